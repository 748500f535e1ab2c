//! Meta's webhook bodies (reference §3.3–§3.7), built as JSON values.

use serde_json::{Value, json};

use crate::identity::CustomerIdentity;
use crate::number::Number;
use crate::template::Template;

/// Where Meta's error codes are documented (the `href` of webhook error objects).
const ERRORS_HREF: &str =
    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

/// `{"object":"whatsapp_business_account","entry":[{"id":waba,"time":unix,"changes":[{field,value}]}]}`.
pub(crate) fn envelope(waba_id: &str, field: &str, value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "time": chrono::Utc::now().timestamp(),
                   "changes": [{"value": value, "field": field}]}]
    })
}

/// One `value.contacts[]` item: `profile` (name, username), `wa_id` when the customer's
/// phone is shown (`show_phone`), `user_id` and `parent_user_id` (reference §3.3).
pub(crate) fn contact(c: &CustomerIdentity, show_phone: bool) -> Value {
    let mut profile = json!({"name": c.profile_name});
    if let Some(u) = &c.username {
        profile["username"] = json!(u);
    }
    let mut v = json!({"profile": profile});
    if let Some(phone) = c.phone.as_ref().filter(|_| show_phone) {
        v["wa_id"] = json!(phone);
    }
    v["user_id"] = json!(c.user_id);
    v["parent_user_id"] = json!(c.parent_user_id);
    v
}

fn metadata(number: &Number) -> Value {
    json!({"display_phone_number": number.display_phone_number,
           "phone_number_id": number.phone_number_id})
}

/// A `messages` change carrying inbound messages from `contacts`.
pub(crate) fn inbound_body(
    number: &Number,
    contacts: &[CustomerIdentity],
    messages: Vec<Value>,
) -> Value {
    let contacts: Vec<Value> = contacts.iter().map(|c| contact(c, true)).collect();
    envelope(
        &number.waba_id,
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(number),
               "contacts": contacts, "messages": messages}),
    )
}

/// A webhook error object (reference §2.4).
pub(crate) fn error_object(code: i64, title: &str, details: &str) -> Value {
    json!({"code": code, "title": title, "message": title,
           "error_data": {"details": details}, "href": ERRORS_HREF})
}

/// Pricing and conversation facts of one outgoing message (reference §3.5).
#[derive(Clone, Debug)]
pub(crate) struct Billing {
    /// `service`, `utility`, `marketing`, `authentication`.
    pub category: String,
    /// `regular` or `free_customer_service`.
    pub pricing_type: &'static str,
    /// `(id, expiration unix seconds)` when emulating v23 or older.
    pub conversation: Option<(String, i64)>,
}

/// Everything a status webhook of one message needs.
#[derive(Clone, Debug)]
pub(crate) struct StatusTarget {
    pub number: Number,
    pub wamid: String,
    /// The customer the send reached.
    pub recipient: CustomerIdentity,
    /// Whether the send addressed a phone number (`to`): then `recipient_id` and
    /// `wa_id` appear; a send to a BSUID (`recipient`) omits them.
    pub by_phone: bool,
    pub biz_opaque_callback_data: Option<String>,
    pub billing: Billing,
}

/// Which status to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusKind {
    Sent,
    Delivered,
    Read,
    /// Failed with this error code.
    Failed(i64),
}

impl StatusKind {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            StatusKind::Sent => "sent",
            StatusKind::Delivered => "delivered",
            StatusKind::Read => "read",
            StatusKind::Failed(_) => "failed",
        }
    }
}

/// Title and details of the asynchronous failures the sandbox produces.
pub(crate) fn failure_text(code: i64) -> (&'static str, &'static str) {
    match code {
        131047 => (
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131053 => (
            "Media upload error",
            "Unable to download the media sent by the business.",
        ),
        _ => ("Message undeliverable", "Message could not be delivered."),
    }
}

/// A `messages` change with one `statuses[]` item and the recipient in `contacts`.
pub(crate) fn status_body(t: &StatusTarget, kind: StatusKind, timestamp: i64) -> Value {
    let mut s = json!({"id": t.wamid, "status": kind.as_str(),
        "timestamp": timestamp.to_string()});
    if let Some(phone) = t.recipient.phone.as_ref().filter(|_| t.by_phone) {
        s["recipient_id"] = json!(phone);
    }
    s["recipient_user_id"] = json!(t.recipient.user_id);
    s["parent_recipient_user_id"] = json!(t.recipient.parent_user_id);
    if let Some(data) = &t.biz_opaque_callback_data {
        s["biz_opaque_callback_data"] = json!(data);
    }
    match kind {
        StatusKind::Failed(code) => {
            let (title, details) = failure_text(code);
            s["errors"] = json!([error_object(code, title, details)]);
        }
        StatusKind::Sent | StatusKind::Delivered => {
            if let Some((id, expires)) = &t.billing.conversation {
                let mut c = json!({"id": id, "origin": {"type": t.billing.category}});
                if kind == StatusKind::Sent {
                    c["expiration_timestamp"] = json!(expires.to_string());
                }
                s["conversation"] = c;
            }
            let regular = t.billing.pricing_type == "regular";
            s["pricing"] = json!({"billable": regular, "pricing_model": "PMP",
                "type": t.billing.pricing_type, "category": t.billing.category});
        }
        StatusKind::Read => {}
    }
    envelope(
        &t.number.waba_id,
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(&t.number),
               "contacts": [contact(&t.recipient, t.by_phone)], "statuses": [s]}),
    )
}

/// `message_template_status_update` for `t` with `event` (its status).
pub(crate) fn template_status_body(t: &Template, event: &str) -> Value {
    let id = template_id_json(t);
    let reason = if event == "REJECTED" {
        "INVALID_FORMAT"
    } else {
        "NONE"
    };
    envelope(
        &t.waba_id,
        "message_template_status_update",
        json!({"event": event, "message_template_id": id,
               "message_template_name": t.name, "message_template_language": t.language,
               "reason": reason, "message_template_category": t.category}),
    )
}

/// `message_template_quality_update`: `t` went from `previous` to its quality score.
pub(crate) fn template_quality_body(t: &Template, previous: &str) -> Value {
    envelope(
        &t.waba_id,
        "message_template_quality_update",
        json!({"previous_quality_score": previous, "new_quality_score": t.quality_score,
               "message_template_id": template_id_json(t),
               "message_template_name": t.name, "message_template_language": t.language}),
    )
}

/// Meta sends template ids in webhooks as numbers.
fn template_id_json(t: &Template) -> Value {
    t.id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(t.id))
}

/// `phone_number_quality_update` for `n` with `event`.
pub(crate) fn quality_body(n: &Number, event: &str, old_limit: Option<&str>) -> Value {
    let mut v = json!({"display_phone_number": n.display_phone_number, "event": event,
        "current_limit": n.messaging_limit.deprecated_tier(),
        "max_daily_conversations_per_business": n.messaging_limit.as_str()});
    if let Some(old) = old_limit {
        v["old_limit"] = json!(old);
    }
    envelope(&n.waba_id, "phone_number_quality_update", v)
}
