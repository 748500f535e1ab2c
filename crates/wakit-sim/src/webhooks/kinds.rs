//! The kinds of webhook body the sandbox emits, enumerable so that a test can prove
//! every kind is checked by an independent parser (crates/wakit-sim/tests/pywa.rs).
//!
//! A kind is `<field>/<detail>`: `messages/text`, `messages/interactive.list_reply`,
//! `statuses/failed`, `message_template_status_update/PAUSED`,
//! `message_template_quality_update/RED`, `phone_number_quality_update/FLAGGED`.

use serde_json::Value;

use crate::number::Quality;
use crate::template::STATUSES;

/// Inbound message kinds ([`crate::Inbound`] variants other than `Raw`).
pub const INBOUND_KINDS: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "button",
    "interactive.button_reply",
    "interactive.list_reply",
    "unsupported",
];

/// Status kinds (`statuses[].status`).
pub const STATUS_KINDS: &[&str] = &["sent", "delivered", "read", "failed"];

/// `phone_number_quality_update` events the sandbox emits.
pub const QUALITY_EVENTS: &[&str] = &[
    "FLAGGED",
    "UNFLAGGED",
    "UPGRADE",
    "DOWNGRADE",
    "THROUGHPUT_UPGRADE",
];

/// Template quality scores a `message_template_quality_update` can announce.
pub const TEMPLATE_QUALITIES: &[Quality] = &[Quality::Green, Quality::Yellow, Quality::Red];

/// Every kind of body the sandbox can emit (except `Inbound::Raw` messages, whose
/// kind is whatever the caller wrote).
pub fn webhook_kinds() -> Vec<String> {
    let mut out: Vec<String> = INBOUND_KINDS
        .iter()
        .map(|k| format!("messages/{k}"))
        .collect();
    out.extend(STATUS_KINDS.iter().map(|k| format!("statuses/{k}")));
    out.extend(
        STATUSES
            .iter()
            .map(|s| format!("message_template_status_update/{s}")),
    );
    out.extend(
        TEMPLATE_QUALITIES
            .iter()
            .map(|q| format!("message_template_quality_update/{}", q.as_str())),
    );
    out.extend(
        QUALITY_EVENTS
            .iter()
            .map(|e| format!("phone_number_quality_update/{e}")),
    );
    out
}

/// The kind of a webhook body (its first change), `None` when it is not shaped like
/// one the sandbox emits.
pub fn webhook_kind(body: &Value) -> Option<String> {
    let change = body.get("entry")?.get(0)?.get("changes")?.get(0)?;
    let field = change.get("field")?.as_str()?;
    let value = change.get("value")?;
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let detail = match field {
        "messages" => {
            if let Some(status) = value.get("statuses").and_then(|x| x.get(0)) {
                return s(status.get("status")).map(|st| format!("statuses/{st}"));
            }
            let msg = value.get("messages")?.get(0)?;
            let kind = s(msg.get("type"))?;
            if kind == "interactive" {
                let sub = s(msg.get("interactive").and_then(|i| i.get("type")))?;
                format!("interactive.{sub}")
            } else {
                kind
            }
        }
        "message_template_status_update" => s(value.get("event"))?,
        "message_template_quality_update" => s(value.get("new_quality_score"))?,
        "phone_number_quality_update" => s(value.get("event"))?,
        _ => return None,
    };
    Some(format!("{field}/{detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_unique_and_classified() {
        let kinds = webhook_kinds();
        let mut sorted = kinds.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), kinds.len());
        let body = json!({"entry": [{"changes": [{"field": "messages", "value": {
            "messages": [{"type": "interactive", "interactive": {"type": "list_reply"}}]}}]}]});
        assert_eq!(
            webhook_kind(&body).as_deref(),
            Some("messages/interactive.list_reply")
        );
        assert!(kinds.contains(&"messages/interactive.list_reply".to_string()));
        assert_eq!(webhook_kind(&json!({"entry": []})), None);
    }
}
