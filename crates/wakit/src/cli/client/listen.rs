//! `wakit listen`: the organization's events as they happen (the event stream,
//! `GET /events`), one line each; reconnects after a dropped connection from the last
//! event it printed, so nothing is missed or printed twice. `--forward-to URL` also
//! POSTs each event there, signed like an outbound webhook (like `stripe listen`).

use serde_json::Value;
use std::io::Write;
use std::time::Duration;
use wakit_api::{ClientError, EventsQuery, StreamEvent};
use wakit_server::deliveries::signature;

use super::{Ctx, ListenArgs};

/// Between reconnection attempts.
const RECONNECT: Duration = Duration::from_secs(1);

/// Prints events until interrupted.
pub async fn listen(args: ListenArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let mut query = EventsQuery {
        after: args.after,
        types: args.types.clone(),
        account_phone: None,
    };
    eprintln!(
        "Listening for events on {} (Ctrl-C to stop)",
        ctx.config.base_url
    );
    let forward = match &args.forward_to {
        Some(url) => Some(Forward::new(url, args.secret.clone())?),
        None => None,
    };
    loop {
        let mut stream = match ctx.client.events(&query).await {
            Ok(s) => s,
            Err(e) if !retryable(&e) => return Err(e.into()),
            Err(e) => {
                eprintln!("Cannot reach the event stream ({e}); retrying");
                tokio::time::sleep(RECONNECT).await;
                continue;
            }
        };
        loop {
            match stream.next().await {
                Ok(Some(event)) => {
                    print(&event, args.out.json)?;
                    if let Some(f) = &forward {
                        f.deliver(&event).await;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("The event stream was interrupted ({e}); reconnecting");
                    break;
                }
            }
        }
        query.after = stream.last_id().or(query.after);
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Transport failures, 429 and 5xx are worth another try; other refusals are final.
fn retryable(e: &ClientError) -> bool {
    e.status().is_none_or(|s| s == 429 || s >= 500)
}

fn print(event: &StreamEvent, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", event.body)?;
    } else {
        let at = event.body["timestamp"].as_str().unwrap_or("");
        let time = at.get(11..19).unwrap_or(at);
        let row = &event.body["data"];
        writeln!(
            out,
            "{time}  #{:<6} {:<21} {}",
            event.seq,
            event.kind,
            summary(&event.kind, row)
        )?;
    }
    out.flush()?;
    Ok(())
}

/// A line about the row: a message's direction, contact, status and text; a
/// conversation's contact and status.
fn summary(kind: &str, row: &Value) -> String {
    let s = |k: &str| row[k].as_str().unwrap_or("").to_string();
    if kind.starts_with("messages.") {
        let arrow = if s("direction") == "incoming" {
            "←"
        } else {
            "→"
        };
        let content = &row["content"];
        let text = content["text"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("[{}]", content["type"].as_str().unwrap_or("message")));
        format!("{arrow} +{}  {}  {text}", s("contact_address"), s("status"))
    } else {
        format!("+{}  {}", s("contact_address"), s("status"))
    }
}

/// Where `--forward-to` delivers, and the secret it signs with.
struct Forward {
    url: String,
    secret: String,
    http: reqwest::Client,
}

impl Forward {
    fn new(url: &str, secret: Option<String>) -> anyhow::Result<Forward> {
        let secret = secret.unwrap_or_else(signature::new_secret);
        if signature::sign(&[&secret], "msg_check", 0, b"").is_none() {
            anyhow::bail!("--secret must be whsec_ followed by base64");
        }
        eprintln!("Forwarding to {url}; signing secret {secret}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Forward {
            url: url.to_string(),
            secret,
            http,
        })
    }

    /// POSTs the event with Standard Webhooks headers; prints the outcome to stderr.
    async fn deliver(&self, event: &StreamEvent) {
        let body = event.body.to_string();
        let id = format!("evt_{}", event.seq);
        let at = chrono::Utc::now().timestamp();
        let Some(signed) = signature::sign(&[&self.secret], &id, at, body.as_bytes()) else {
            return;
        };
        let sent = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", at.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) => eprintln!("  #{} -> {} {}", event.seq, self.url, resp.status()),
            Err(e) => eprintln!("  #{} -> {} failed: {e}", event.seq, self.url),
        }
    }
}
