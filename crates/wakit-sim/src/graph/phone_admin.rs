//! Phone-number administration edges (Meta's Cloud API reference: business profiles,
//! registration, verification codes, settings, block list, conversational automation):
//! `/{phone-number-id}/whatsapp_business_profile`, `/register`, `/deregister`,
//! `/request_code`, `/verify_code`, `/settings`, `/block_users`,
//! `/conversational_automation`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::{GraphError, access_token, authorize, check_version, requested_fields};
use crate::core::Core;
use crate::identity::is_bsuid;
use crate::json::ok;
use crate::number::normalize_phone;

/// Industries Meta accepts as `vertical`.
const VERTICALS: &[&str] = &[
    "UNDEFINED",
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
    "MATRIMONY_SERVICE",
];

/// What the sandbox remembers of a number's administration.
pub(crate) struct PhoneAdmin {
    pub profile: Map<String, Value>,
    pub settings: Map<String, Value>,
    pub automation: Map<String, Value>,
    /// Blocked users: (input as given, wa_id or user_id).
    pub blocked: Vec<(String, String)>,
    pub registered: bool,
    pub pin_enabled: bool,
    pub code_requested: bool,
    pub verified: bool,
}

impl Default for PhoneAdmin {
    fn default() -> Self {
        let obj = |v: Value| match v {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        PhoneAdmin {
            profile: obj(
                json!({"about": "Hi! We answer on WhatsApp.", "vertical": "OTHER",
                "messaging_product": "whatsapp"}),
            ),
            settings: obj(json!({
                "calling": {"status": "DISABLED", "call_icon_visibility": "DEFAULT"},
                "storage_configuration": {"status": "DEFAULT"},
                "user_identity_change": {"enable_identity_key_check": false}})),
            automation: obj(json!({"enable_welcome_message": false})),
            blocked: Vec::new(),
            registered: true,
            pin_enabled: false,
            code_requested: false,
            verified: true,
        }
    }
}

/// The request pieces every handler here needs.
pub(crate) struct Call {
    ver: String,
    id: String,
    query: HashMap<String, String>,
    path: String,
    headers: HeaderMap,
    method: Method,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = GraphError;

    async fn from_request(req: Request, state: &S) -> Result<Self, GraphError> {
        let (mut parts, body) = req.into_parts();
        let OriginalUri(uri) = OriginalUri::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| GraphError::unknown_path(parts.uri.path()))?;
        let path = uri.path().to_string();
        let Path((ver, id)) = Path::<(String, String)>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| GraphError::unknown_path(&path))?;
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| GraphError::param("Invalid query string."))?;
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| GraphError::param("The request body is too large."))?;
        Ok(Call {
            ver,
            id,
            query,
            path,
            headers: parts.headers,
            method: parts.method,
            body,
        })
    }
}

/// Checks version and token, and that the token reaches number `c.id`; then runs `f`
/// on the number's admin record.
fn with_admin<T>(
    core: &Core,
    c: &Call,
    f: impl FnOnce(&mut PhoneAdmin) -> Result<T, GraphError>,
) -> Result<T, GraphError> {
    check_version(&c.ver, &c.path)?;
    let mut st = core.state();
    let wabas = authorize(
        &st,
        access_token(&c.headers, &c.query).as_deref(),
        Utc::now(),
    )?;
    let reachable = st.number(&c.id).is_some_and(|n| wabas.contains(&n.waba_id));
    if !reachable {
        let method = c.method.as_str().to_ascii_lowercase();
        return Err(GraphError::no_object(&method, &c.id));
    }
    let mut admin = st.admin.remove(&c.id).unwrap_or_default();
    let out = f(&mut admin);
    st.admin.insert(c.id.clone(), admin);
    out
}

/// The JSON body, or the form/query parameters Graph also accepts.
fn params(c: &Call) -> Map<String, Value> {
    let mut out: Map<String, Value> = c
        .query
        .iter()
        .filter(|(k, _)| k.as_str() != "access_token")
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&c.body) {
        out.extend(body);
    }
    out
}

fn success() -> Response {
    ok(json!({"success": true}))
}

/// `GET|POST /{phone-number-id}/whatsapp_business_profile`.
pub(crate) async fn profile(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    with_admin(&core, &c, |admin| {
        if c.method == Method::GET {
            let mut p = admin.profile.clone();
            if let Some(fields) = requested_fields(&c.query) {
                p.retain(|k, _| k == "messaging_product" || fields.contains(k));
            }
            return Ok(ok(json!({"data": [p]})));
        }
        let input = params(&c);
        let limits = [
            ("about", 139),
            ("address", 256),
            ("description", 512),
            ("email", 128),
        ];
        for (key, max) in limits {
            match input.get(key) {
                None => {}
                Some(Value::String(s)) if s.chars().count() <= max => {}
                Some(_) => {
                    return Err(GraphError::param(format!(
                        "Param {key} must be a string of at most {max} characters."
                    )));
                }
            }
        }
        if let Some(v) = input.get("vertical") {
            let known = v.as_str().is_some_and(|s| VERTICALS.contains(&s));
            if !known {
                return Err(GraphError::param(format!(
                    "Param vertical must be one of {{{}}}.",
                    VERTICALS.join(", ")
                )));
            }
        }
        if let Some(w) = input.get("websites") {
            let fine = w.as_array().is_some_and(|a| {
                a.len() <= 2 && a.iter().all(|u| u.as_str().is_some_and(|s| s.len() <= 256))
            });
            if !fine {
                return Err(GraphError::param(
                    "Param websites must be at most 2 URLs of at most 256 characters.",
                ));
            }
        }
        for (k, v) in input {
            let keep = matches!(
                k.as_str(),
                "about" | "address" | "description" | "email" | "vertical" | "websites"
            );
            if keep {
                admin.profile.insert(k, v);
            }
        }
        Ok(success())
    })
}

/// `POST /{phone-number-id}/register` (`pin`: 6 digits) and `/deregister`.
pub(crate) async fn register(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    let deregister = c.path.ends_with("/deregister");
    with_admin(&core, &c, |admin| {
        if deregister {
            admin.registered = false;
            return Ok(success());
        }
        let input = params(&c);
        let pin = input.get("pin").map(|p| {
            p.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| p.to_string())
        });
        match pin {
            Some(p) if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) => {}
            Some(_) => return Err(GraphError::param("Param pin must be a 6-digit number.")),
            None => return Err(GraphError::param("The parameter pin is required.")),
        }
        admin.registered = true;
        admin.pin_enabled = true;
        Ok(success())
    })
}

/// `POST /{phone-number-id}/request_code` (`code_method` SMS|VOICE, `language`) and
/// `/verify_code` (`code`: 6 digits, after a request).
pub(crate) async fn verification(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    let verify = c.path.ends_with("/verify_code");
    with_admin(&core, &c, |admin| {
        let input = params(&c);
        let text = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
        if !verify {
            if !matches!(text("code_method"), "SMS" | "VOICE") {
                return Err(GraphError::param(
                    "Param code_method must be one of {SMS, VOICE}.",
                ));
            }
            if text("language").is_empty() {
                return Err(GraphError::param("The parameter language is required."));
            }
            admin.code_requested = true;
            return Ok(success());
        }
        let code = text("code");
        if !admin.code_requested || code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GraphError::wa(
                136025,
                StatusCode::BAD_REQUEST,
                "Verify code error",
                "The code is wrong or was not requested.",
            ));
        }
        admin.verified = true;
        Ok(success())
    })
}

/// `GET|POST /{phone-number-id}/settings`: calling, storage and identity-check settings.
pub(crate) async fn settings(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    with_admin(&core, &c, |admin| {
        if c.method == Method::GET {
            let mut s = admin.settings.clone();
            if let Some(fields) = requested_fields(&c.query) {
                s.retain(|k, _| fields.contains(k));
            }
            return Ok(ok(Value::Object(s)));
        }
        let input = params(&c);
        for (k, v) in input {
            match (k.as_str(), &v) {
                (
                    "calling" | "storage_configuration" | "user_identity_change",
                    Value::Object(new),
                ) => {
                    let slot = admin.settings.entry(k.clone()).or_insert_with(|| json!({}));
                    if let Value::Object(old) = slot {
                        old.extend(new.clone());
                    }
                }
                ("messaging_product", _) => {}
                _ => {
                    return Err(GraphError::param(format!(
                        "Param {k} is not a phone number setting (calling, storage_configuration, user_identity_change)."
                    )));
                }
            }
        }
        Ok(success())
    })
}

/// `POST /{phone-number-id}/conversational_automation`: `prompts`, `commands`,
/// `enable_welcome_message` (shown as the number's `conversational_automation` field).
pub(crate) async fn automation(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    with_admin(&core, &c, |admin| {
        let input = params(&c);
        if let Some(p) = input.get("prompts") {
            let fine = p
                .as_array()
                .is_some_and(|a| a.len() <= 4 && a.iter().all(Value::is_string));
            if !fine {
                return Err(GraphError::param(
                    "Param prompts must be at most 4 strings.",
                ));
            }
        }
        for key in ["prompts", "commands", "enable_welcome_message"] {
            if let Some(v) = input.get(key) {
                admin.automation.insert(key.to_string(), v.clone());
            }
        }
        Ok(success())
    })
}

/// `POST|DELETE|GET /{phone-number-id}/block_users`.
pub(crate) async fn block_users(
    State(core): State<Arc<Core>>,
    c: Call,
) -> Result<Response, GraphError> {
    with_admin(&core, &c, |admin| {
        if c.method == Method::GET {
            let data: Vec<Value> = admin.blocked.iter().map(|(_, id)| user_json(id)).collect();
            return Ok(ok(
                json!({"data": data, "paging": {"cursors": {"before": "", "after": ""}}}),
            ));
        }
        let input = params(&c);
        let users = input
            .get("block_users")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| GraphError::param("The parameter block_users is required."))?;
        let mut done = Vec::new();
        for u in users {
            let (input, id) = match (
                u.get("user").and_then(Value::as_str),
                u.get("user_id").and_then(Value::as_str),
            ) {
                (Some(phone), _) => (phone, normalize_phone(phone)),
                (None, Some(b)) => (b, is_bsuid(b).then(|| b.to_string())),
                (None, None) => {
                    return Err(GraphError::param(
                        "Each block_users item needs user or user_id.",
                    ));
                }
            };
            let id = id.ok_or_else(|| GraphError::param(format!("Invalid user {input}.")))?;
            let mut item = user_json(&id);
            item["input"] = json!(input);
            if let Value::Object(o) = &mut item {
                o.remove("messaging_product");
            }
            if c.method == Method::DELETE {
                admin.blocked.retain(|(_, b)| *b != id);
            } else if !admin.blocked.iter().any(|(_, b)| *b == id) {
                admin.blocked.push((input.to_string(), id));
            }
            done.push(item);
        }
        let key = if c.method == Method::DELETE {
            "removed_users"
        } else {
            "added_users"
        };
        Ok(ok(
            json!({"messaging_product": "whatsapp", "block_users": {key: done}}),
        ))
    })
}

/// A blocked user as Graph lists one: `wa_id` for phones, `user_id` for BSUIDs.
fn user_json(id: &str) -> Value {
    if is_bsuid(id) {
        json!({"messaging_product": "whatsapp", "user_id": id})
    } else {
        json!({"messaging_product": "whatsapp", "wa_id": id})
    }
}
