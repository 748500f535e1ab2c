//! Meta webhook POST bodies → [`WebhookEvent`]s (reference §3.3–§3.7), and the GET
//! verification handshake (§3.1).
//!
//! The body is parsed as a plain JSON value and every `entry[].changes[]` item
//! (every message, status and error) is mapped on its own: a malformed item becomes
//! [`WebhookEvent::Invalid`] and never drops the rest of the batch.

use chrono::{DateTime, Utc};
use serde_json::Value;
use wakit_core::MessageStatus;

pub use crate::event::WebhookEvent;
use crate::inbound::message_content;

fn invalid(raw: &Value, reason: impl Into<String>) -> WebhookEvent {
    WebhookEvent::Invalid {
        raw: raw.clone(),
        reason: reason.into(),
    }
}

/// Parses a raw POST body. Never fails: a body that is not JSON yields one
/// [`WebhookEvent::Invalid`] carrying the body as a (lossy UTF-8) string.
pub fn parse_webhook(body: &[u8]) -> Vec<WebhookEvent> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => parse_webhook_value(&v),
        Err(e) => vec![invalid(
            &Value::String(String::from_utf8_lossy(body).into_owned()),
            format!("body is not JSON: {e}"),
        )],
    }
}

/// Parses an already-decoded webhook envelope.
pub fn parse_webhook_value(body: &Value) -> Vec<WebhookEvent> {
    if let Some(obj) = body.get("object").and_then(Value::as_str)
        && obj != "whatsapp_business_account"
    {
        return vec![invalid(body, format!("unexpected object {obj:?}"))];
    }
    let Some(entries) = body.get("entry").and_then(Value::as_array) else {
        return vec![invalid(body, "missing entry array")];
    };
    let mut events = Vec::new();
    for entry in entries {
        let waba_id = id_string(entry.get("id")).unwrap_or_default();
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            events.push(invalid(entry, "entry without changes array"));
            continue;
        };
        for change in changes {
            parse_change(&waba_id, change, &mut events);
        }
    }
    events
}

fn parse_change(waba_id: &str, change: &Value, out: &mut Vec<WebhookEvent>) {
    let (Some(field), Some(value)) = (
        change.get("field").and_then(Value::as_str),
        change.get("value").filter(|v| v.is_object()),
    ) else {
        out.push(invalid(change, "change without field or value object"));
        return;
    };
    match field {
        "messages" => parse_messages_value(value, out),
        "message_template_status_update" => out.push(template_status(waba_id, value)),
        "phone_number_quality_update" | "phone_number_name_update" | "account_update" => {
            out.push(WebhookEvent::NumberUpdate {
                waba_id: waba_id.to_string(),
                display_phone_number: str_of(value, "display_phone_number"),
                field: field.to_string(),
                value: value.clone(),
            })
        }
        _ => out.push(WebhookEvent::Unknown {
            field: field.to_string(),
            value: value.clone(),
        }),
    }
}

fn template_status(waba_id: &str, value: &Value) -> WebhookEvent {
    let (Some(template_id), Some(event)) = (
        id_string(value.get("message_template_id")),
        str_of(value, "event"),
    ) else {
        return invalid(
            value,
            "template status without message_template_id or event",
        );
    };
    WebhookEvent::TemplateStatus {
        waba_id: waba_id.to_string(),
        template_id,
        name: str_of(value, "message_template_name").unwrap_or_default(),
        language: str_of(value, "message_template_language").unwrap_or_default(),
        event,
    }
}

fn parse_messages_value(value: &Value, out: &mut Vec<WebhookEvent>) {
    let metadata = value.get("metadata");
    let phone_number_id = metadata.and_then(|m| id_string(m.get("phone_number_id")));
    let display = metadata
        .and_then(|m| id_string(m.get("display_phone_number")))
        .unwrap_or_default();
    let before = out.len();

    let messages = value.get("messages").and_then(Value::as_array);
    let statuses = value.get("statuses").and_then(Value::as_array);
    let items = messages.into_iter().flatten().map(|m| (true, m));
    let items = items.chain(statuses.into_iter().flatten().map(|s| (false, s)));
    for (is_message, item) in items {
        let Some(pnid) = phone_number_id.as_deref() else {
            out.push(invalid(item, "missing metadata.phone_number_id"));
            continue;
        };
        out.push(if is_message {
            message(pnid, &display, value, item)
        } else {
            status(pnid, item)
        });
    }
    if let Some(errors) = value.get("errors").filter(|e| !e.is_null()) {
        out.push(WebhookEvent::Errors {
            phone_number_id: phone_number_id.clone(),
            errors: errors.clone(),
        });
    }
    if out.len() == before {
        out.push(WebhookEvent::Unknown {
            field: "messages".to_string(),
            value: value.clone(),
        });
    }
}

fn message(pnid: &str, display: &str, value: &Value, item: &Value) -> WebhookEvent {
    let Some(wamid) = str_of(item, "id") else {
        return invalid(item, "message without id");
    };
    let from = str_of(item, "from");
    let from_user = str_of(item, "from_user_id");
    if from.is_none() && from_user.is_none() {
        return invalid(item, "message without from or from_user_id");
    }
    let Some(timestamp) = timestamp(item.get("timestamp")) else {
        return invalid(item, "message without a valid timestamp");
    };
    let contact = sender_contact(value, from.as_deref(), from_user.as_deref());
    let of_contact = |key: &str| contact.and_then(|c| str_of(c, key));
    let of_profile = |key: &str| contact.and_then(|c| str_of(c.get("profile")?, key));
    WebhookEvent::Message {
        phone_number_id: pnid.to_string(),
        display_phone_number: display.to_string(),
        profile_name: of_profile("name"),
        username: of_profile("username"),
        user_id: from_user.or_else(|| of_contact("user_id")),
        parent_user_id: str_of(item, "from_parent_user_id")
            .or_else(|| of_contact("parent_user_id")),
        from,
        wamid,
        timestamp,
        content: message_content(item),
    }
}

/// The `value.contacts[]` entry of the sender: the one whose `wa_id` is `from` or whose
/// `user_id` is `from_user_id`; with a single contact and no id match, that contact.
fn sender_contact<'v>(
    value: &'v Value,
    from: Option<&str>,
    user: Option<&str>,
) -> Option<&'v Value> {
    let contacts = value.get("contacts")?.as_array()?;
    let matches =
        |c: &Value, key: &str, id: Option<&str>| id.is_some() && str_of(c, key).as_deref() == id;
    contacts
        .iter()
        .find(|c| matches(c, "wa_id", from) || matches(c, "user_id", user))
        .or_else(|| (contacts.len() == 1).then(|| &contacts[0]))
}

fn status(pnid: &str, item: &Value) -> WebhookEvent {
    let Some(wamid) = str_of(item, "id") else {
        return invalid(item, "status without id");
    };
    let word = str_of(item, "status").unwrap_or_default();
    let status = match word.as_str() {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" | "played" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        other => return invalid(item, format!("unknown status {other:?}")),
    };
    let Some(timestamp) = timestamp(item.get("timestamp")) else {
        return invalid(item, "status without a valid timestamp");
    };
    WebhookEvent::Status {
        phone_number_id: pnid.to_string(),
        wamid,
        status,
        timestamp,
        recipient_id: str_of(item, "recipient_id"),
        recipient_user_id: str_of(item, "recipient_user_id"),
        errors: item.get("errors").filter(|e| !e.is_null()).cloned(),
        biz_opaque_callback_data: str_of(item, "biz_opaque_callback_data"),
    }
}

/// Unix seconds as a string (`"1697043223"`) or an integer.
fn timestamp(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let secs = match v? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    DateTime::from_timestamp(secs, 0)
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// An id that Meta sends as a string or a number.
fn id_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The GET verification handshake: `Some(challenge)` (to answer 200 with as plain text)
/// when `hub.mode` is `subscribe` and `hub.verify_token` equals `expected_token`;
/// `None` (answer 403) otherwise. The token comparison is constant-time.
pub fn verify_challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Option<String> {
    if mode? != "subscribe" || expected_token.is_empty() {
        return None;
    }
    let token = token?.as_bytes();
    let expected = expected_token.as_bytes();
    let same = token.len() == expected.len()
        && token
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return None;
    }
    challenge.map(str::to_string)
}
