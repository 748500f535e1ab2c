//! `wakit webhooks list|add|rm|deliveries|retry|test`: the organization's outbound
//! webhook endpoints through the REST API (the saved key must be an admin or owner key).
//! A token is read from an environment variable, never from the command line.

use clap::{Args, Subcommand};
use wakit_api::{DeliveryView, NewWebhookBody};

use super::style::{Table, Tone, cell, one_line};
use super::{Ctx, JsonFlag, UsageError, call, print_json};

/// `wakit webhooks`.
#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// What to do with webhook endpoints.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List the organization's endpoints.
    List(JsonFlag),
    /// Add an endpoint; prints its signing secret (shown only this once).
    Add(AddArgs),
    /// Delete an endpoint and its deliveries.
    Rm(IdArg),
    /// An endpoint's latest deliveries with their last attempt.
    Deliveries(IdArg),
    /// Send a delivery again now (by the delivery's id).
    Retry(IdArg),
    /// Queue a test delivery (`webhook.test`) to an endpoint.
    Test(IdArg),
}

/// `wakit webhooks add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where deliveries go (https://...).
    pub url: String,
    /// `messages`, `conversations` or `contacts`.
    #[arg(long, default_value = "messages")]
    pub table: String,
    /// `insert` and/or `update` (repeat; default both).
    #[arg(long = "op", value_name = "OPERATION")]
    pub operations: Vec<String>,
    /// Only events of this business number.
    #[arg(long, value_name = "PHONE")]
    pub account: Option<String>,
    /// Read the Bearer token sent with each delivery from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// An id.
#[derive(Debug, Args)]
pub struct IdArg {
    /// The endpoint's (or, for `retry`, the delivery's) id.
    pub id: String,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// Runs `wakit webhooks ...`.
pub async fn webhooks(args: WebhooksArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    match args.command {
        WebhooksCommand::List(out) => list(&ctx, out.json).await,
        WebhooksCommand::Add(a) => add(&ctx, a).await,
        WebhooksCommand::Rm(a) => {
            call(|| ctx.client.delete_webhook(&a.id)).await?;
            println!("Deleted webhook {}.", a.id);
            Ok(())
        }
        WebhooksCommand::Deliveries(a) => deliveries(&ctx, &a).await,
        WebhooksCommand::Retry(a) => {
            let answer = call(|| ctx.client.retry_delivery(&a.id)).await?;
            queued(&answer.value, &answer.raw, a.out.json)
        }
        WebhooksCommand::Test(a) => {
            let answer = call(|| ctx.client.test_webhook(&a.id)).await?;
            queued(&answer.value, &answer.raw, a.out.json)
        }
    }
}

async fn add(ctx: &Ctx, a: AddArgs) -> anyhow::Result<()> {
    let token = match &a.token_env {
        Some(var) => Some(
            std::env::var(var).map_err(|_| UsageError(format!("--token-env: {var} is not set")))?,
        ),
        None => None,
    };
    let body = NewWebhookBody {
        url: a.url.clone(),
        table_name: a.table.clone(),
        operations: a.operations.clone(),
        account_phone: a.account.as_deref().map(super::digits),
        token,
    };
    let answer = call(|| ctx.client.create_webhook(&body)).await?;
    if a.out.json {
        return print_json(&answer.raw);
    }
    let w = &answer.value;
    println!("Added webhook {} → {} ({})", w.id, w.url, w.table_name);
    println!(
        "Signing secret (shown once, keep it): {}",
        w.secret.as_deref().unwrap_or("-")
    );
    Ok(())
}

async fn list(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let answer = call(|| ctx.client.webhooks()).await?;
    if json {
        return print_json(&answer.raw);
    }
    if answer.value.webhooks.is_empty() {
        println!("No webhooks. Add one: wakit webhooks add URL --table messages");
        return Ok(());
    }
    let mut table = Table::with_header(&["URL", "TABLE", "OPERATIONS", "STATE", "ID"]);
    for w in &answer.value.webhooks {
        let ops = match w.operations.is_empty() {
            true => "insert,update".to_string(),
            false => w.operations.join(","),
        };
        let (state, tone) = match (&w.disabled_reason, &w.failing_since) {
            (Some(why), _) => (format!("disabled: {why}"), Tone::Red),
            (None, Some(since)) => (format!("failing since {since}"), Tone::Yellow),
            (None, None) => ("ok".to_string(), Tone::Green),
        };
        table.row(vec![
            cell(w.url.clone(), Tone::Plain),
            cell(w.table_name.clone(), Tone::Plain),
            cell(ops, Tone::Plain),
            cell(state, tone),
            cell(w.id.clone(), Tone::Plain),
        ]);
    }
    print!("{}", table.render(ctx.style));
    Ok(())
}

async fn deliveries(ctx: &Ctx, a: &IdArg) -> anyhow::Result<()> {
    let answer = call(|| ctx.client.webhook_deliveries(&a.id)).await?;
    if a.out.json {
        return print_json(&answer.raw);
    }
    if answer.value.deliveries.is_empty() {
        println!("No deliveries yet.");
        return Ok(());
    }
    let mut table = Table::with_header(&["CREATED", "TYPE", "STATE", "TRIES", "LAST", "ID"]);
    for d in &answer.value.deliveries {
        let tone = match d.state.as_str() {
            "delivered" => Tone::Green,
            "failed" => Tone::Red,
            _ => Tone::Yellow,
        };
        let last = match (d.last_status, &d.last_error) {
            (_, Some(e)) => one_line(e),
            (Some(s), None) => format!("HTTP {s}"),
            (None, None) => "-".into(),
        };
        table.row(vec![
            cell(d.created_at.clone(), Tone::Dim),
            cell(d.event_type.clone(), Tone::Plain),
            cell(d.state.clone(), tone),
            cell(d.attempts.to_string(), Tone::Plain),
            cell(last, Tone::Plain),
            cell(d.id.clone(), Tone::Plain),
        ]);
    }
    print!("{}", table.render(ctx.style));
    Ok(())
}

fn queued(d: &DeliveryView, raw: &serde_json::Value, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(raw);
    }
    println!(
        "Queued delivery {} ({}), webhook-id {}.",
        d.id, d.event_type, d.msg_id
    );
    Ok(())
}
