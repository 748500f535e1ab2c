//! Control routes that play customers: messages, batches, storms, windows.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

use super::{handle, parse};
use crate::core::Core;
use crate::customer::{CustomerMessage, Inbound};
use crate::error::{SimError, invalid};
use crate::identity::{CustomerIdentity, Sender, is_bsuid, parent_bsuid};
use crate::number::normalize_phone;

/// One message as the control API takes it: `text`, or `type` + `body` (Meta's object
/// for that type, as in `value.messages[]`).
struct MessageIn {
    text: Option<String>,
    kind: Option<String>,
    body: Option<Value>,
    context_id: Option<String>,
}

/// The message fields every input carrying one message has.
macro_rules! message_fields {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            $($field: $ty,)*
            text: Option<String>,
            #[serde(rename = "type")]
            kind: Option<String>,
            body: Option<Value>,
            context_id: Option<String>,
        }

        impl $name {
            fn message(&mut self) -> MessageIn {
                MessageIn {
                    text: self.text.take(),
                    kind: self.kind.take(),
                    body: self.body.take(),
                    context_id: self.context_id.take(),
                }
            }
        }
    };
}

message_fields!(WriteIn {
    phone_number_id: String,
    profile_name: Option<String>,
});

message_fields!(BatchMessageIn {
    from: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    country: Option<String>,
    profile_name: Option<String>,
});

message_fields!(SenderWriteIn {
    phone_number_id: String,
    from: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    country: Option<String>,
    profile_name: Option<String>,
});

/// A [`Sender`] from the identity fields of a control input.
fn sender(
    from: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    country: Option<String>,
    profile_name: Option<String>,
) -> Sender {
    Sender {
        phone: from,
        username,
        user_id,
        profile_name,
        country,
    }
}

/// What the control API answers about a customer.
fn identity_json(c: &CustomerIdentity) -> Value {
    json!({"user_id": c.user_id, "parent_user_id": c.parent_user_id, "wa_id": c.phone,
           "username": c.username, "profile_name": c.profile_name})
}

impl MessageIn {
    fn into_message(self) -> Result<CustomerMessage, SimError> {
        let content = match (self.text, self.kind.as_deref(), self.body) {
            (Some(_), Some(k), _) if k != "text" => {
                return Err(invalid("give text, or type + body, not both"));
            }
            (Some(_), _, Some(_)) => return Err(invalid("give text, or type + body, not both")),
            (Some(t), _, None) if t.is_empty() => return Err(invalid("text must not be empty")),
            (Some(t), _, None) => Inbound::Text(t),
            (None, Some("text"), Some(b)) => match b.get("body").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => Inbound::Text(t.to_string()),
                _ => return Err(invalid("a text body needs {\"body\": \"...\"}")),
            },
            (None, Some("unsupported"), None) => Inbound::Unsupported,
            (None, Some(k), body) => {
                let valid = !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                if !valid {
                    return Err(invalid("type must be lower-case letters and _"));
                }
                let body = body.unwrap_or_else(|| json!({}));
                if !(body.is_object() || (k == "contacts" && body.is_array())) {
                    return Err(invalid("body must be Meta's object for that type"));
                }
                Inbound::Raw {
                    kind: k.to_string(),
                    body,
                }
            }
            (None, None, _) => return Err(invalid("text or type + body is required")),
        };
        Ok(CustomerMessage {
            content,
            context_id: self.context_id,
        })
    }
}

pub(crate) async fn write(
    State(core): State<Arc<Core>>,
    Path(phone): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let mut input: WriteIn = parse(&body)?;
    let msg = input.message().into_message()?;
    let wamid = core.customer_writes(
        &input.phone_number_id,
        &phone,
        input.profile_name.as_deref(),
        msg,
    )?;
    let user_id = handle(&core).customer_bsuid(&phone);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "wamid": wamid, "user_id": user_id })),
    ))
}

/// `POST /_sim/messages`: a customer identified by `from` (phone), `username` and/or
/// `user_id` (BSUID) writes; answers the wamid and the customer's identity.
pub(crate) async fn sender_write(
    State(core): State<Arc<Core>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let mut input: SenderWriteIn = parse(&body)?;
    let msg = input.message().into_message()?;
    let who = sender(
        input.from,
        input.username,
        input.user_id,
        input.country,
        input.profile_name,
    );
    let wamid = core.sender_writes(&input.phone_number_id, who.clone(), msg)?;
    let mut out = json!({ "wamid": wamid });
    let found = core.state().customers.find(&who).map(|c| c.identity());
    if let Some(c) = found
        && let (Value::Object(o), Value::Object(extra)) = (&mut out, identity_json(&c))
    {
        o.extend(extra);
    }
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /_sim/customers/{id}`: a customer by phone, BSUID, parent BSUID or `@username`.
/// For a phone the sandbox has not seen yet, the BSUID it will get (`"known": false`).
pub(crate) async fn show(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    let st = core.state();
    let known = if id.starts_with('@') {
        st.customers.by_username(&id)
    } else if is_bsuid(&id) {
        st.customers.by_recipient(&id)
    } else {
        let digits = normalize_phone(&id)
            .ok_or_else(|| invalid("give a phone (7-15 digits), a BSUID or an @username"))?;
        let bsuid = st.customers.bsuid_of_phone(&digits).unwrap_or_default();
        match st.customers.get(&bsuid) {
            Some(c) => Some(c),
            None => {
                return Ok(Json(json!({"known": false, "user_id": bsuid,
                    "parent_user_id": parent_bsuid(&bsuid), "wa_id": digits})));
            }
        }
    };
    let c = known.ok_or_else(|| SimError::UnknownCustomer(id.clone()))?;
    let mut out = identity_json(&c.identity());
    out["known"] = json!(true);
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchIn {
    phone_number_id: String,
    messages: Vec<BatchMessageIn>,
}

pub(crate) async fn batch(
    State(core): State<Arc<Core>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let input: BatchIn = parse(&body)?;
    let items = input
        .messages
        .into_iter()
        .map(|mut m| {
            let msg = m.message().into_message()?;
            let who = sender(m.from, m.username, m.user_id, m.country, m.profile_name);
            Ok((who, msg))
        })
        .collect::<Result<Vec<(Sender, CustomerMessage)>, SimError>>()?;
    let wamids = core.senders_write(&input.phone_number_id, items)?;
    Ok((StatusCode::CREATED, Json(json!({ "wamids": wamids }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StormIn {
    phone_number_id: String,
    count: usize,
    per_body: Option<usize>,
    customers: Option<usize>,
}

pub(crate) async fn storm(
    State(core): State<Arc<Core>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let input: StormIn = parse(&body)?;
    let per_body = input.per_body.unwrap_or(1);
    let customers = input.customers.unwrap_or(input.count.clamp(1, 100));
    let report = handle(&core).storm(&input.phone_number_id, input.count, per_body, customers)?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"messages": report.wamids.len(), "bodies": report.bodies, "wamids": report.wamids}),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowIn {
    phone_number_id: String,
    last_inbound_at: Option<DateTime<Utc>>,
    hours_ago: Option<f64>,
    #[serde(default)]
    never: bool,
}

pub(crate) async fn window(
    State(core): State<Arc<Core>>,
    Path(phone): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: WindowIn = parse(&body)?;
    let at = match (input.last_inbound_at, input.hours_ago, input.never) {
        (Some(t), None, false) => Some(t),
        (None, Some(h), false) if h.is_finite() && h >= 0.0 => {
            Some(Utc::now() - ChronoDuration::milliseconds((h * 3_600_000.0) as i64))
        }
        (None, None, true) => None,
        _ => {
            return Err(invalid(
                "give exactly one of last_inbound_at (RFC 3339), hours_ago (>= 0) or never: true",
            ));
        }
    };
    handle(&core).set_last_inbound(&input.phone_number_id, &phone, at)?;
    let open = at.is_some_and(|t| Utc::now() - t < ChronoDuration::hours(24));
    Ok(Json(
        json!({"phone_number_id": input.phone_number_id, "customer": phone,
        "last_inbound_at": at, "window_open": open}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    reads_messages: Option<bool>,
}

pub(crate) async fn settings(
    State(core): State<Arc<Core>>,
    Path(phone): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let input: SettingsIn = parse(&body)?;
    let reads = input
        .reads_messages
        .ok_or_else(|| invalid("reads_messages (bool) is required"))?;
    handle(&core).set_customer_reads(&phone, reads)?;
    Ok(Json(json!({"customer": phone, "reads_messages": reads})))
}
