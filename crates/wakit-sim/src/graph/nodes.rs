//! `GET /{version}/{node-id}` for phone numbers, WABAs, templates and media, plus
//! `GET /{waba-id}/phone_numbers` and `GET /debug_token` (reference §5, §6).

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::{GraphError, access_token, authorize, check_version, requested_fields};
use crate::core::Core;
use crate::graph::PhoneAdmin;
use crate::json::ok;
use crate::number::Number;

/// Fields returned when `fields=` is absent (pywa's documented default).
const DEFAULT_NUMBER_FIELDS: &[&str] = &[
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
];

/// Fields that depend on the number's administration and the webhook URL.
fn admin_fields(
    n: &Number,
    admin: Option<&PhoneAdmin>,
    webhook_url: Option<&str>,
) -> Vec<(&'static str, Value)> {
    let default = PhoneAdmin::default();
    let a = admin.unwrap_or(&default);
    let mut automation = Value::Object(a.automation.clone());
    automation["id"] = json!(n.phone_number_id);
    let cc = crate::identity::country_of_phone(&n.display_phone_number);
    let dial = n
        .formatted_number()
        .trim_start_matches('+')
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let code_status = if a.verified {
        "VERIFIED"
    } else {
        "NOT_VERIFIED"
    };
    vec![
        ("conversational_automation", automation),
        (
            "webhook_configuration",
            webhook_url.map_or(Value::Null, |u| json!({"application": u})),
        ),
        ("new_name_status", json!("NONE")),
        ("code_verification_status", json!(code_status)),
        ("is_on_biz_app", json!(false)),
        ("is_pin_enabled", json!(a.pin_enabled)),
        ("is_preverified_number", json!(false)),
        (
            "eligibility_for_api_business_global_search",
            json!("NON_ELIGIBLE_UNDEFINED_COUNTRY"),
        ),
        (
            "certificate",
            json!(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("wakit-sim certificate for {}", n.display_phone_number)
            )),
        ),
        ("new_certificate", Value::Null),
        ("last_onboarded_time", json!("2026-01-05T10:00:00+0000")),
        ("country_code", json!(cc)),
        ("country_dial_code", json!(dial)),
    ]
}

/// The phone-number object with the requested fields (fields without a value are
/// left out, as Graph does); an unknown field is Meta's 100.
fn number_json(
    n: &Number,
    admin: Option<&PhoneAdmin>,
    webhook_url: Option<&str>,
    fields: Option<&[String]>,
) -> Result<Value, GraphError> {
    let mut all = admin_fields(n, admin, webhook_url);
    let base: Vec<_> = n
        .graph_fields()
        .into_iter()
        .filter(|(k, _)| !all.iter().any(|(a, _)| a == k))
        .collect();
    all.extend(base);
    let mut out = Map::new();
    match fields {
        None => {
            for (k, v) in all
                .iter()
                .filter(|(k, _)| DEFAULT_NUMBER_FIELDS.contains(k))
            {
                out.insert(k.to_string(), v.clone());
            }
        }
        Some(fields) => {
            for f in fields {
                let (k, v) = all.iter().find(|(k, _)| k == f).ok_or_else(|| {
                    GraphError::param(format!(
                        "Tried accessing nonexisting field ({f}) on node type (WhatsAppBusinessPhoneNumber)"
                    ))
                })?;
                if !v.is_null() {
                    out.insert(k.to_string(), v.clone());
                }
            }
            out.insert("id".into(), json!(n.phone_number_id));
        }
    }
    Ok(Value::Object(out))
}

/// Keeps the requested fields of `v` (plus `id`), ignoring unknown names.
fn tolerant(v: Value, fields: Option<&[String]>) -> Value {
    let (Some(fields), Value::Object(obj)) = (fields, &v) else {
        return v;
    };
    let mut out = Map::new();
    for f in fields.iter().map(String::as_str).chain(["id"]) {
        if let Some(x) = obj.get(f) {
            out.insert(f.to_string(), x.clone());
        }
    }
    Value::Object(out)
}

/// `GET /{version}/{id}`.
pub(crate) async fn get_node(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    check_version(&ver, uri.path())?;
    let token = access_token(&headers, &query);
    let now = Utc::now();
    let mut st = core.state();
    if id == "debug_token" {
        token.ok_or_else(GraphError::no_token)?;
        let input = query.get("input_token").cloned().unwrap_or_default();
        let wabas = st.token_wabas(&input);
        let mut data = json!({"app_id": "634974688087057", "type": "SYSTEM_USER",
            "application": "wakit sandbox", "data_access_expires_at": 0, "expires_at": 0,
            "is_valid": !wabas.is_empty(), "issued_at": 1_700_000_000,
            "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
            "granular_scopes": [{"scope": "whatsapp_business_messaging", "target_ids": wabas}]});
        if let Some(at) = st.expired_tokens.get(&input) {
            data["is_valid"] = json!(false);
            data["expires_at"] = json!(at.timestamp());
            data["error"] = json!({"code": 190, "subcode": 463,
                "message": GraphError::expired_token(*at, now).message});
        } else if wabas.is_empty() {
            data["error"] = json!({"code": 190, "message": "Invalid OAuth access token."});
        }
        return Ok(ok(json!({ "data": data })));
    }
    let wabas = authorize(&st, token.as_deref(), now)?;
    let fields = requested_fields(&query);
    let fields = fields.as_deref();
    let denied = || GraphError::no_object("get", &id);
    if let Some(n) = st.number(&id) {
        if !wabas.contains(&n.waba_id) {
            return Err(denied());
        }
        let url = core.webhooks.url();
        return Ok(ok(number_json(
            n,
            st.admin.get(&id),
            url.as_deref(),
            fields,
        )?));
    }
    if let Some(t) = st.template_by_id(&id) {
        if !wabas.contains(&t.waba_id) {
            return Err(denied());
        }
        let mut v = t.to_graph();
        if fields.is_some_and(|f| f.iter().any(|f| f == "health_status")) {
            v["health_status"] = template_health(&t.id, &t.waba_id);
        }
        return Ok(ok(tolerant(v, fields)));
    }
    if st.media.contains_key(&id) {
        let (waba, owner) = st
            .media
            .get(&id)
            .map(|m| (m.waba_id.clone(), m.phone_number_id.clone()))
            .unwrap_or_default();
        let wrong_owner = query.get("phone_number_id").is_some_and(|p| *p != owner);
        if !wabas.contains(&waba) || wrong_owner {
            return Err(denied());
        }
        let hash = st.issue_media_url(&id, now);
        let Some(m) = st.media.get(&id) else {
            return Err(denied());
        };
        let url = format!(
            "{}/whatsapp_business/attachments/?mid={}&ext={}&hash={}",
            core.origin(),
            m.id,
            now.timestamp(),
            hash
        );
        return Ok(ok(json!({"messaging_product": "whatsapp", "url": url,
            "mime_type": m.mime_type, "sha256": m.sha256, "file_size": m.bytes.len(), "id": m.id})));
    }
    if wabas.contains(&id) && st.waba_exists(&id) {
        return Ok(ok(tolerant(waba_json(&id), fields)));
    }
    Err(denied())
}

/// `GET /{version}/{waba-id}/phone_numbers`.
pub(crate) async fn phone_numbers(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    check_version(&ver, uri.path())?;
    let st = core.state();
    let wabas = authorize(&st, access_token(&headers, &query).as_deref(), Utc::now())?;
    if !wabas.contains(&id) {
        return Err(GraphError::no_object("get", &id));
    }
    let fields = requested_fields(&query);
    let url = core.webhooks.url();
    let data = st
        .numbers
        .values()
        .filter(|n| n.info.waba_id == id)
        .map(|n| {
            number_json(
                &n.info,
                st.admin.get(&n.info.phone_number_id),
                url.as_deref(),
                fields.as_deref(),
            )
        })
        .collect::<Result<Vec<Value>, GraphError>>()?;
    let mut body = json!({ "data": data });
    if let (Some(first), Some(last)) = (data_id(&body, 0), data_id(&body, usize::MAX)) {
        body["paging"] = json!({"cursors": {"before": first, "after": last}});
    }
    Ok(ok(body))
}

/// A cursor for the first (`0`) or last item of `body.data`.
fn data_id(body: &Value, index: usize) -> Option<String> {
    let data = body.get("data")?.as_array()?;
    let item = if index == 0 {
        data.first()
    } else {
        data.last()
    }?;
    let id = item.get("id")?.as_str()?;
    Some(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        id,
    ))
}

/// The WABA object with the fields Meta returns (pywa asks for all of them).
fn waba_json(id: &str) -> Value {
    json!({"id": id, "name": format!("Sandbox WABA {id}"), "currency": "USD",
        "timezone_id": "1", "message_template_namespace": format!("sandbox_{id}"),
        "status": "ACTIVE", "business_verification_status": "verified",
        "account_review_status": "APPROVED", "ownership_type": "SELF", "country": "US",
        "is_enabled_for_insights": true,
        "marketing_messages_lite_api_status": "INELIGIBLE",
        "marketing_messages_onboarding_status": "INELIGIBLE_COUNTRY_NOT_SUPPORTED",
        "disable_marketing_messages_on_cloud_api": false,
        "owner_business_info": {"id": "506914307656634", "name": "Sandbox Business"},
        "subscribed_apps": {"data": [{"whatsapp_business_api_data": {
            "id": "634974688087057", "name": "wakit sandbox",
            "link": "https://developers.facebook.com/apps/634974688087057"}}]},
        "health_status": {"can_send_message": "AVAILABLE", "entities": [
            {"entity_type": "WABA", "id": id, "can_send_message": "AVAILABLE"},
            {"entity_type": "BUSINESS", "id": "506914307656634", "can_send_message": "AVAILABLE"},
            {"entity_type": "APP", "id": "634974688087057", "can_send_message": "AVAILABLE"}]}})
}

/// A template's `health_status` (reference §5.2: MESSAGE_TEMPLATE, WABA, BUSINESS, APP).
fn template_health(id: &str, waba: &str) -> Value {
    json!({"can_send_message": "AVAILABLE", "entities": [
        {"entity_type": "MESSAGE_TEMPLATE", "id": id, "can_send_message": "AVAILABLE"},
        {"entity_type": "WABA", "id": waba, "can_send_message": "AVAILABLE"},
        {"entity_type": "BUSINESS", "id": "506914307656634", "can_send_message": "AVAILABLE"},
        {"entity_type": "APP", "id": "634974688087057", "can_send_message": "AVAILABLE"}]})
}
