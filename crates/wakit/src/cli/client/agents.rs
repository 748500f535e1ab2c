//! `wakit agents list|add|set|pause|resume`: AI agents through the REST API (the saved
//! key must be an admin or owner key). Provider keys are read from an environment
//! variable, never from the command line (shell history, `ps`).

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use wakit_api::{
    AgentPatchBody, AgentView, ConversationAgentBody, ConversationQuery, NewAgentBody,
};

use super::style::{Table, Tone, cell};
use super::{Ctx, JsonFlag, UsageError, call, print_json, resolve};

/// `wakit agents`.
#[derive(Debug, Args)]
pub struct AgentsArgs {
    #[command(subcommand)]
    pub command: AgentsCommand,
}

/// What to do with AI agents.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List the organization's AI agents.
    List(JsonFlag),
    /// Create an AI agent.
    Add(AgentFields),
    /// Change an AI agent (by id or name); unspecified fields stay.
    Set(SetArgs),
    /// Pause AI agents in the conversation with a contact (phone or name).
    Pause(ContactArg),
    /// Let AI agents answer a contact again.
    Resume(ContactArg),
}

/// An agent's configurable fields.
#[derive(Debug, Args)]
pub struct AgentFields {
    /// Display name.
    pub name: String,
    /// `openai`, `anthropic`, `google`, `groq` or an OpenAI-compatible base URL.
    #[arg(long)]
    pub api_url: Option<String>,
    /// Model name.
    #[arg(long)]
    pub model: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub instructions: Option<String>,
    /// `active`, `draft` or `inactive`.
    #[arg(long)]
    pub mode: Option<String>,
    /// Read the provider API key from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// More `extra` fields as a JSON object (temperature, max_tokens, tools, ...).
    #[arg(long, value_name = "JSON")]
    pub extra: Option<String>,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit agents set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The agent's id or current name; the other fields as for `add`.
    #[command(flatten)]
    pub fields: AgentFields,
    /// A new display name.
    #[arg(long)]
    pub rename: Option<String>,
    /// Remove the stored provider API key.
    #[arg(long, conflicts_with = "api_key_env")]
    pub clear_api_key: bool,
}

/// A contact.
#[derive(Debug, Args)]
pub struct ContactArg {
    /// The contact's phone or name.
    pub contact: String,
    /// The business number (default: the saved account).
    #[arg(long)]
    pub from: Option<String>,
}

/// Runs `wakit agents ...`.
pub async fn agents(args: AgentsArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    match args.command {
        AgentsCommand::List(out) => list(&ctx, out.json).await,
        AgentsCommand::Add(f) => {
            let body = NewAgentBody {
                name: f.name.clone(),
                extra: Value::Object(extra_of(&f)?),
            };
            let answer = call(|| ctx.client.create_agent(&body)).await?;
            show(&answer.value, &answer.raw, f.out.json)
        }
        AgentsCommand::Set(s) => {
            let id = agent_id(&ctx, &s.fields.name).await?;
            let mut extra = extra_of(&s.fields)?;
            if s.clear_api_key {
                extra.insert("api_key".into(), Value::Null);
            }
            let body = AgentPatchBody {
                name: s.rename.clone(),
                extra: Some(Value::Object(extra)),
            };
            let answer = call(|| ctx.client.update_agent(&id, &body)).await?;
            show(&answer.value, &answer.raw, s.fields.out.json)
        }
        AgentsCommand::Pause(c) => pause(&ctx, &c, true).await,
        AgentsCommand::Resume(c) => pause(&ctx, &c, false).await,
    }
}

fn extra_of(f: &AgentFields) -> anyhow::Result<Map<String, Value>> {
    let mut extra = match f.extra.as_deref() {
        None => Map::new(),
        Some(raw) => match serde_json::from_str(raw) {
            Ok(Value::Object(m)) => m,
            _ => return Err(UsageError("--extra must be a JSON object".into()).into()),
        },
    };
    let fields = [
        ("api_url", &f.api_url),
        ("model", &f.model),
        ("instructions", &f.instructions),
        ("mode", &f.mode),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            extra.insert(k.into(), json!(v));
        }
    }
    if let Some(var) = &f.api_key_env {
        let key = std::env::var(var)
            .map_err(|_| UsageError(format!("--api-key-env: {var} is not set")))?;
        extra.insert("api_key".into(), json!(key));
    }
    Ok(extra)
}

async fn list(ctx: &Ctx, json: bool) -> anyhow::Result<()> {
    let answer = call(|| ctx.client.agents()).await?;
    if json {
        return print_json(&answer.raw);
    }
    if answer.value.agents.is_empty() {
        println!("No AI agents. Add one: wakit agents add NAME --api-url URL --model MODEL");
        return Ok(());
    }
    let mut table = Table::with_header(&["NAME", "MODE", "MODEL", "API", "KEY", "ID"]);
    for a in &answer.value.agents {
        let mode = a.extra["mode"].as_str().unwrap_or("active");
        let tone = if mode == "active" {
            Tone::Green
        } else {
            Tone::Yellow
        };
        table.row(vec![
            cell(a.name.clone(), Tone::Plain),
            cell(mode, tone),
            cell(a.extra["model"].as_str().unwrap_or_default(), Tone::Plain),
            cell(a.extra["api_url"].as_str().unwrap_or_default(), Tone::Plain),
            cell(if a.has_api_key { "sealed" } else { "-" }, Tone::Plain),
            cell(a.id.clone(), Tone::Plain),
        ]);
    }
    print!("{}", table.render(ctx.style));
    Ok(())
}

fn show(agent: &AgentView, raw: &Value, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(raw);
    }
    let key = if agent.has_api_key {
        ", key sealed"
    } else {
        ""
    };
    println!(
        "{} ({}, {} at {}{key})  id {}",
        agent.name,
        agent.extra["mode"].as_str().unwrap_or("active"),
        agent.extra["model"].as_str().unwrap_or_default(),
        agent.extra["api_url"].as_str().unwrap_or_default(),
        agent.id
    );
    Ok(())
}

/// An agent given by id or by its exact name (unique).
async fn agent_id(ctx: &Ctx, arg: &str) -> anyhow::Result<String> {
    let agents = call(|| ctx.client.agents()).await?.value.agents;
    let by_name: Vec<_> = agents.iter().filter(|a| a.name == arg).collect();
    match (agents.iter().find(|a| a.id == arg), by_name.as_slice()) {
        (Some(a), _) => Ok(a.id.clone()),
        (None, [a]) => Ok(a.id.clone()),
        (None, []) => {
            Err(UsageError(format!("No AI agent {arg:?} (see wakit agents list)")).into())
        }
        (None, _) => {
            Err(UsageError(format!("Several agents are named {arg:?}: use the id")).into())
        }
    }
}

async fn pause(ctx: &Ctx, c: &ContactArg, paused: bool) -> anyhow::Result<()> {
    let phone = resolve::contact_phone(ctx, &c.contact).await?;
    let query = ConversationQuery {
        contact_phone: Some(phone.clone()),
        group_id: None,
        limit: Some(1),
        account_phone: ctx.account(c.from.as_deref()),
    };
    let conv = call(|| ctx.client.conversation(&query)).await?.value;
    let body = ConversationAgentBody {
        paused: Some(paused),
        default_agent_id: None,
    };
    let state = call(|| {
        ctx.client
            .set_conversation_agent(&conv.conversation_id, &body)
    })
    .await?
    .value;
    match state.paused {
        true => println!("AI agents paused for {phone}."),
        false => println!("AI agents answer {phone} again."),
    }
    Ok(())
}
