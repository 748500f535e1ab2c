//! The read-only commands: `health`, `conversations`, `chat`, `contacts`, `templates`.

use serde_json::Value;
use wakit_api::{ContactsQuery, ConversationQuery, ConversationsQuery, HealthItem, MessageItem};

use super::style::{
    Style, Table, Tone, as_phone, cell, contact_label, describe, one_line, plus, truncate,
};
use super::{
    ChatArgs, ContactsArgs, ConversationsArgs, Ctx, HealthArgs, TemplatesArgs, call, print_json,
    resolve,
};

/// How much of a conversation's last message `conversations` shows.
const PREVIEW: usize = 60;

/// `wakit health`: every number's token checked against Meta.
pub async fn health(args: HealthArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let answer = call(|| ctx.client.health()).await?;
    if args.out.json {
        return print_json(&answer.raw);
    }
    if answer.value.accounts.is_empty() {
        println!("No WhatsApp numbers are connected.");
        return Ok(());
    }
    let mut table = Table::new();
    for item in &answer.value.accounts {
        table.row(health_row(item));
    }
    print!("{}", table.render(ctx.style));
    Ok(())
}

fn health_row(item: &HealthItem) -> Vec<(String, Tone)> {
    let mut row = vec![
        cell(String::new(), Tone::Plain),
        cell(item.name.clone(), Tone::Bold),
        cell(plus(&item.phone), Tone::Plain),
    ];
    if item.status == "active" {
        row[0] = cell("✓", Tone::Green);
        let quality = item.quality.as_deref().unwrap_or("-");
        let tone = match quality {
            "GREEN" => Tone::Green,
            "RED" => Tone::Red,
            "YELLOW" => Tone::Yellow,
            _ => Tone::Plain,
        };
        row.push(cell(format!("Quality: {quality}"), tone));
        row.push(cell(
            format!(
                "Messaging limit: {}",
                item.messaging_limit.as_deref().unwrap_or("-")
            ),
            Tone::Plain,
        ));
    } else {
        row[0] = cell("✗", Tone::Red);
        let error = item.error.as_deref().unwrap_or("unknown error");
        row.push(cell(error.to_string(), Tone::Red));
        let hint = if is_timeout(item) {
            "← Meta did not answer in time"
        } else {
            "← CHECK TOKEN"
        };
        row.push(cell(hint, Tone::Yellow));
    }
    row
}

/// A timeout says nothing about the token.
fn is_timeout(item: &HealthItem) -> bool {
    item.error_code.is_none()
        && item
            .error
            .as_deref()
            .map(str::to_lowercase)
            .is_some_and(|e| e.contains("timeout") || e.contains("timed out"))
}

/// `wakit conversations`: newest first, with unread counts and a preview.
pub async fn conversations(args: ConversationsArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let query = ConversationsQuery {
        limit: args.page.limit,
        account_phone: ctx.account(args.page.from.from.as_deref()),
    };
    let answer = call(|| ctx.client.conversations(&query)).await?;
    if args.page.out.json {
        return print_json(&answer.raw);
    }
    let s = ctx.style;
    let account = &answer.value.account;
    println!(
        "{} {}",
        s.bold(&account.name),
        s.dim(&format!("({})", plus(&account.phone)))
    );
    if answer.value.conversations.is_empty() {
        println!("No conversations yet.");
        return Ok(());
    }
    let mut table = Table::new();
    for c in &answer.value.conversations {
        let unread = match c.unread {
            0 => String::new(),
            n => format!("({n} new)"),
        };
        let (arrow, preview, time) = match &c.last_message {
            Some(m) => (
                arrow(&m.direction),
                truncate(&describe(&m.content), PREVIEW),
                m.timestamp.clone(),
            ),
            None => (cell("", Tone::Plain), String::new(), String::new()),
        };
        table.row(vec![
            cell(
                contact_label(c.contact.name.as_deref(), &c.contact.phone),
                Tone::Bold,
            ),
            cell(plus(&c.contact.phone), Tone::Dim),
            cell(unread, Tone::Yellow),
            arrow,
            cell(preview, Tone::Plain),
            cell(time, Tone::Dim),
        ]);
    }
    print!("{}", table.render(s));
    Ok(())
}

fn arrow(direction: &str) -> (String, Tone) {
    if direction == "incoming" {
        cell("←", Tone::Cyan)
    } else {
        cell("→", Tone::Green)
    }
}

/// `wakit chat <phone|name>`: the service window and the latest messages, oldest first.
pub async fn chat(args: ChatArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let phone = resolve::contact_phone(&ctx, &args.contact).await?;
    let query = ConversationQuery {
        contact_phone: Some(phone),
        group_id: None,
        limit: args.page.limit,
        account_phone: ctx.account(args.page.from.from.as_deref()),
    };
    let answer = call(|| ctx.client.conversation(&query)).await?;
    if args.page.out.json {
        return print_json(&answer.raw);
    }
    let s = ctx.style;
    let c = &answer.value;
    let who = match c.contact.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => format!(
            "{} {}",
            s.bold(name),
            s.dim(&format!("({})", plus(&c.contact.phone)))
        ),
        None => s.bold(&plus(&c.contact.phone)),
    };
    let via = format!("via {} ({})", c.account.name, plus(&c.account.phone));
    println!("{who}  {}", s.dim(&via));
    let window = if c.service_window == "open" {
        let closes = c
            .service_window_expires_at
            .as_deref()
            .map(|at| format!(" (closes at {})", local_time(at)))
            .unwrap_or_default();
        s.green(&format!("open{closes}"))
    } else {
        s.yellow("closed (send a template: wakit send <phone> --template <name>)")
    };
    println!("Service window: {window}\n");
    if c.messages.is_empty() {
        println!("No messages.");
        return Ok(());
    }
    let mut table = Table::new();
    for m in &c.messages {
        table.row(message_row(m));
    }
    print!("{}", table.render(s));
    Ok(())
}

fn message_row(m: &MessageItem) -> Vec<(String, Tone)> {
    let mut row = vec![
        cell(m.time.clone(), Tone::Dim),
        arrow(&m.direction),
        cell(one_line(&describe(&m.content)), Tone::Plain),
    ];
    if m.direction != "incoming" {
        let tone = match m.status.as_str() {
            "read" | "delivered" => Tone::Green,
            "failed" => Tone::Red,
            "pending" => Tone::Yellow,
            _ => Tone::Dim,
        };
        let mut status = m.status.clone();
        if let Some(error) = m.errors.as_ref().and_then(|e| e.first()) {
            status.push_str(&format!(": {}", meta_error(error)));
        }
        row.push(cell(status, tone));
    }
    row
}

/// Meta's error object as one line: its message (or title) and its code.
fn meta_error(error: &Value) -> String {
    let text = ["message", "title", "error"]
        .iter()
        .find_map(|k| error.get(*k).and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string());
    let details = error
        .pointer("/error_data/details")
        .and_then(Value::as_str)
        .filter(|d| *d != text)
        .map(|d| format!(" — {d}"))
        .unwrap_or_default();
    match error.get("code").and_then(Value::as_i64) {
        Some(code) => format!("{text}{details} (Meta {code})"),
        None => format!("{text}{details}"),
    }
}

/// An RFC 3339 instant in this machine's time zone, with its offset (message times are
/// in the organization's zone, which may differ); as given when it does not parse.
fn local_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M %:z")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

/// `wakit contacts [query]`: all contacts, or those whose name (or, for a numeric query,
/// number) contains the query.
pub async fn contacts(args: ContactsArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let mut query = ContactsQuery {
        limit: Some(args.limit),
        ..ContactsQuery::default()
    };
    match args
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        Some(q) if is_numeric(q) => query.number = Some(super::digits(q)),
        Some(q) => query.name = Some(q.to_string()),
        None => {}
    }
    let answer = call(|| ctx.client.contacts(&query)).await?;
    if args.out.json {
        return print_json(&answer.raw);
    }
    if answer.value.contacts.is_empty() {
        println!("No contacts found.");
        return Ok(());
    }
    let mut table = Table::with_header(&["NAME", "PHONE"]);
    for c in &answer.value.contacts {
        table.row(vec![
            cell(c.name.clone().unwrap_or_else(|| "-".into()), Tone::Plain),
            cell(plus(&c.phone), Tone::Plain),
        ]);
    }
    print!("{}", table.render(ctx.style));
    Ok(())
}

/// Digits, possibly written with `+`, spaces or dashes (any length: a partial number).
fn is_numeric(q: &str) -> bool {
    wakit_core::UserId::parse(q).is_err()
        && (as_phone(q).is_some() || super::digits(q).chars().all(|c| c.is_ascii_digit()))
}

/// `wakit templates`: the number's templates.
pub async fn templates(args: TemplatesArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let account = ctx.account(args.from.from.as_deref());
    let answer = call(|| ctx.client.templates(account.as_deref())).await?;
    if args.out.json {
        return print_json(&answer.raw);
    }
    print!("{}", templates_table(&answer.value.templates, ctx.style));
    Ok(())
}

fn templates_table(list: &[wakit_api::TemplateItem], style: Style) -> String {
    if list.is_empty() {
        return "No templates.\n".into();
    }
    let mut table = Table::with_header(&["NAME", "STATUS", "CATEGORY", "LANG"]);
    for t in list {
        let tone = match t.status.as_str() {
            "APPROVED" => Tone::Green,
            "REJECTED" | "DISABLED" | "PAUSED" => Tone::Red,
            _ => Tone::Yellow,
        };
        table.row(vec![
            cell(t.name.clone(), Tone::Plain),
            cell(t.status.clone(), tone),
            cell(t.category.clone(), Tone::Plain),
            cell(t.language.clone(), Tone::Plain),
        ]);
    }
    table.render(style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_errors_read_as_one_line() {
        let e = json!({"code":131047,"title":"Re-engagement message",
            "message":"Re-engagement message","error_data":{"details":"More than 24 hours have passed"}});
        assert_eq!(
            meta_error(&e),
            "Re-engagement message — More than 24 hours have passed (Meta 131047)"
        );
        assert_eq!(meta_error(&json!({"title":"x"})), "x");
    }

    #[test]
    fn timeouts_are_not_token_problems() {
        let mut item = HealthItem {
            phone: "1".into(),
            name: "n".into(),
            address: "a".into(),
            status: "error".into(),
            quality: None,
            messaging_limit: None,
            error: Some("timeout".into()),
            error_code: None,
        };
        assert!(is_timeout(&item));
        item.error = Some("Session has expired".into());
        item.error_code = Some(190);
        assert!(!is_timeout(&item));
        let row = health_row(&item);
        assert_eq!(row[0].0, "✗");
        assert_eq!(row.last().expect("hint").0, "← CHECK TOKEN");
    }

    #[test]
    fn numeric_queries_search_numbers() {
        assert!(is_numeric("5215"));
        assert!(is_numeric("+52 155"));
        assert!(!is_numeric("maria"));
    }
}
