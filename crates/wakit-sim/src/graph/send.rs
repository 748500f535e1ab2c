//! `POST /{version}/{phone-number-id}/messages` (reference §1): sends and mark-as-read.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::validate::{self, Address, MediaRef};
use super::{GraphError, access_token, authorize, check_version, template_check};
use crate::core::Core;
use crate::identity::{CustomerIdentity, Sender, is_parent_bsuid};
use crate::json::ok;
use crate::lifecycle;
use crate::number::Number;
use crate::records::{ReadReceipt, SentMessage};
use crate::state::State as SimState;
use crate::webhooks::payload::{Billing, StatusTarget};

/// The handler.
pub(crate) async fn messages(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    check_version(&ver, uri.path())?;
    let token = access_token(&headers, &query);
    let now = Utc::now();
    let (response, plan) = {
        let mut st = core.state();
        let wabas = authorize(&st, token.as_deref(), now)?;
        let number = st
            .number(&id)
            .filter(|n| wabas.contains(&n.waba_id))
            .cloned()
            .ok_or_else(|| GraphError::no_object("post", &id))?;
        let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if req.get("status").is_some() {
            return mark_read(&mut st, &number, &req, now);
        }
        if st.admin.get(&id).is_some_and(|a| !a.registered) {
            return Err(GraphError::wa(
                133010,
                axum::http::StatusCode::BAD_REQUEST,
                "Phone number not registered",
                "The phone number is not registered on the Cloud API (POST /register).",
            ));
        }
        let env = validate::envelope(&req, &number.display_phone_number)?;
        let (template, media) = if env.kind == "template" {
            (
                Some(template_check::check(&st, &number.waba_id, &req)?),
                None,
            )
        } else {
            (None, validate::body(&env.kind, &req)?)
        };
        if template
            .as_ref()
            .is_some_and(|t| t.category.eq_ignore_ascii_case("AUTHENTICATION"))
            && matches!(env.address, Address::Bsuid(_))
        {
            return Err(GraphError::bsuid_not_supported(
                "Authentication templates can only be sent to a phone number (to).",
            ));
        }
        let customer = recipient(&mut st, &env.address)?;
        let mps = number.throughput_mps;
        let fits = st
            .numbers
            .get_mut(&id)
            .is_some_and(|n| n.bucket.take(mps, Instant::now()));
        if !fits {
            return Err(GraphError::throughput());
        }
        let window_open = st.window_open(&id, &customer.user_id, now);
        let failure = if template.is_none() && !window_open {
            Some(131047)
        } else {
            media.and_then(|m| media_failure(&st, &number, &m))
        };
        let category = template
            .as_ref()
            .map(|t| t.category.to_ascii_lowercase())
            .unwrap_or_else(|| "service".to_string());
        let free = category == "service" || (category == "utility" && window_open);
        let conversation = (core.webhook_version <= 23)
            .then(|| conversation(&mut st, &number, &customer.user_id, &category, now));
        let by_phone = matches!(env.address, Address::Phone(_));
        let wa_id = match &env.address {
            Address::Phone(digits) => digits.clone(),
            Address::Bsuid(_) => String::new(),
        };
        let wamid = st
            .ids
            .wamid(if by_phone { &wa_id } else { &customer.user_id });
        st.sent.push(SentMessage {
            wamid: wamid.clone(),
            phone_number_id: id.clone(),
            to: env.to.clone(),
            wa_id: wa_id.clone(),
            user_id: customer.user_id.clone(),
            kind: env.kind.clone(),
            request: req.clone(),
            biz_opaque_callback_data: env.biz_opaque_callback_data.clone(),
            at: now,
            failure,
        });
        st.accepted += 1;
        let user_id = customer.user_id.clone();
        let target = StatusTarget {
            number,
            wamid: wamid.clone(),
            recipient: customer,
            by_phone,
            biz_opaque_callback_data: env.biz_opaque_callback_data,
            billing: Billing {
                category,
                pricing_type: if free {
                    "free_customer_service"
                } else {
                    "regular"
                },
                conversation,
            },
        };
        let reads = st.customer_reads(&user_id);
        let (quirks, chatty) = (st.quirks.clone(), st.chatty.clone());
        let plan = lifecycle::plan(
            &mut st.ids,
            &quirks,
            &core.delays,
            target,
            failure,
            reads,
            chatty,
        );
        let mut msg = json!({"id": wamid});
        if template.is_some() {
            msg["message_status"] = json!("accepted");
        }
        let contact = if by_phone {
            json!({"input": env.to, "wa_id": wa_id})
        } else {
            json!({"input": env.to, "user_id": user_id})
        };
        let response = json!({"messaging_product": "whatsapp",
            "contacts": [contact], "messages": [msg]});
        (response, plan)
    };
    if let Some(early) = lifecycle::start(core.clone(), plan) {
        // The `sent` webhook reaches the receiver before this response does.
        let _ = early.await;
    }
    Ok(ok(response))
}

/// The customer a send reaches: by phone (created when new), by BSUID (created when
/// new) or by parent BSUID (must be known: 100 otherwise).
fn recipient(st: &mut SimState, address: &Address) -> Result<CustomerIdentity, GraphError> {
    let found = match address {
        Address::Phone(digits) => st.customers.by_phone_mut(digits).map(|c| c.identity()),
        Address::Bsuid(b) if is_parent_bsuid(b) => st
            .customers
            .by_recipient(b)
            .map(|c| c.identity())
            .ok_or_else(|| format!("recipient ({b}) is not a parent BSUID of a known user.")),
        Address::Bsuid(b) => st
            .customers
            .resolve(&Sender::user_id(b.clone()))
            .map(|c| c.identity()),
    };
    found.map_err(|e| GraphError::param(format!("Invalid parameter: {e}")))
}

/// `{"status": "read", "message_id": ...}` (reference §1.4).
fn mark_read(
    st: &mut SimState,
    number: &Number,
    req: &Value,
    now: DateTime<Utc>,
) -> Result<Response, GraphError> {
    match req.get("messaging_product").and_then(Value::as_str) {
        Some(p) if p.eq_ignore_ascii_case("whatsapp") => {}
        _ => {
            return Err(GraphError::param(
                "The parameter messaging_product is required.",
            ));
        }
    }
    if req.get("status").and_then(Value::as_str) != Some("read") {
        return Err(GraphError::param("Param status must be one of {READ}."));
    }
    let message_id = req
        .get("message_id")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| GraphError::param("The parameter message_id is required."))?;
    if st.inbound.get(message_id) != Some(&number.phone_number_id) {
        return Err(GraphError::param(format!(
            "Invalid parameter: message_id ({message_id}) is not a message this number received."
        )));
    }
    let typing = match req.get("typing_indicator") {
        None | Some(Value::Null) => false,
        Some(t) if t.get("type").and_then(Value::as_str) == Some("text") => true,
        Some(_) => return Err(GraphError::invalid("typing_indicator['type'] must be text")),
    };
    st.reads.push(ReadReceipt {
        phone_number_id: number.phone_number_id.clone(),
        message_id: message_id.to_string(),
        typing_indicator: typing,
        at: now,
    });
    Ok(ok(json!({"success": true})))
}

/// 131053 for a media id the sandbox does not hold (or another WABA's), or a link to
/// an `.invalid` host.
fn media_failure(st: &SimState, number: &Number, media: &MediaRef) -> Option<i64> {
    let bad = match media {
        MediaRef::Id(id) => st.media.get(id).is_none_or(|m| m.waba_id != number.waba_id),
        MediaRef::Link(link) => {
            let host = link
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split(['/', '?', '#', ':']).next())
                .unwrap_or_default();
            host.is_empty() || host.ends_with(".invalid")
        }
    };
    bad.then_some(131053)
}

/// The conversation a ≤v23 status reports: one per (number, customer, category), 24 h.
fn conversation(
    st: &mut SimState,
    number: &Number,
    customer: &str,
    category: &str,
    now: DateTime<Utc>,
) -> (String, i64) {
    let key = (
        number.phone_number_id.clone(),
        customer.to_string(),
        category.to_string(),
    );
    match st.conversations.get(&key) {
        Some((id, expires)) if *expires > now.timestamp() => (id.clone(), *expires),
        _ => {
            let conv = (
                st.ids.hex(32),
                (now + ChronoDuration::hours(24)).timestamp(),
            );
            st.conversations.insert(key, conv.clone());
            conv
        }
    }
}
