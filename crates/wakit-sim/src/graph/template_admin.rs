//! Template management (reference §4.3): `POST /{waba-id}/message_templates` (create:
//! PENDING, approved after a short review), `DELETE /{waba-id}/message_templates?name=
//! [&hsm_id=]`, and `POST /{template-id}` (edit) / `POST /{phone-number-id}`
//! (`new_display_name`).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{GraphError, access_token, authorize, check_version};
use crate::core::Core;
use crate::error::SimError;
use crate::json::ok;
use crate::template::{TemplateSpec, validate_spec};

/// Subcode Meta answers when a template name already exists in that language.
const ALREADY_EXISTS: i64 = 2388024;

fn wabas(
    core: &Core,
    ver: &str,
    path: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<HashSet<String>, GraphError> {
    check_version(ver, path)?;
    let st = core.state();
    authorize(&st, access_token(headers, query).as_deref(), Utc::now())
}

/// The definition in a create or edit body, as a spec (status PENDING).
fn spec_of(body: &Value) -> Result<TemplateSpec, GraphError> {
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| GraphError::param(format!("The parameter {k} is required.")))
    };
    let components = match body.get("components") {
        Some(Value::Array(c)) if !c.is_empty() => c.clone(),
        _ => return Err(GraphError::param("The parameter components is required.")),
    };
    let spec = TemplateSpec {
        name: text("name")?,
        language: text("language")?,
        category: text("category")?.to_ascii_uppercase(),
        status: "PENDING".into(),
        parameter_format: body
            .get("parameter_format")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase),
        components,
    };
    validate_spec(&spec).map_err(|e| GraphError::param(format!("Invalid parameter: {e}.")))?;
    Ok(spec)
}

/// `POST /{waba-id}/message_templates`.
pub(crate) async fn create(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    let reach = wabas(&core, &ver, uri.path(), &headers, &query)?;
    if !reach.contains(&id) {
        return Err(GraphError::no_object("post", &id));
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let spec = spec_of(&req)?;
    let exists = core.state().templates.get(&id).is_some_and(|list| {
        list.iter()
            .any(|t| t.name == spec.name && t.language == spec.language)
    });
    if exists {
        return Err(GraphError {
            subcode: Some(ALREADY_EXISTS),
            ..GraphError::param(format!(
                "Content in this language already exists: {} ({}).",
                spec.name, spec.language
            ))
        });
    }
    let t = core.add_template(&id, &spec).map_err(|e| match e {
        SimError::Invalid(s) => GraphError::param(s),
        other => GraphError::param(other.to_string()),
    })?;
    approve_later(&core, t.id.clone());
    Ok(ok(
        json!({"id": t.id, "status": t.status, "category": t.category}),
    ))
}

/// The sandbox's review: a created template turns APPROVED (with its webhook) after
/// the `delivered` status delay.
fn approve_later(core: &Arc<Core>, template_id: String) {
    let guard = core.webhooks.schedule();
    let delay = core.delays.delivered;
    let core2 = core.clone();
    core.tracker.spawn(async move {
        let _guard = guard;
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = core2.cancel.cancelled() => return,
        }
        let still_pending = core2
            .state()
            .template_by_id(&template_id)
            .is_some_and(|t| t.status == "PENDING");
        if still_pending && let Err(e) = core2.set_template_status(&template_id, "APPROVED") {
            tracing::debug!(error = %e, "template review");
        }
    });
}

/// `DELETE /{waba-id}/message_templates?name=..[&hsm_id=..]`: by name deletes every
/// language; with `hsm_id` only that template.
pub(crate) async fn delete(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let reach = wabas(&core, &ver, uri.path(), &headers, &query)?;
    if !reach.contains(&id) {
        return Err(GraphError::no_object("delete", &id));
    }
    let name = query
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| GraphError::param("The parameter name is required."))?;
    let hsm_id = query.get("hsm_id");
    let mut st = core.state();
    let list = st.templates.entry(id.clone()).or_default();
    let before = list.len();
    list.retain(|t| !(t.name == *name && hsm_id.is_none_or(|h| *h == t.id)));
    if list.len() == before {
        return Err(GraphError::param(format!(
            "Message template \"{name}\" was not found."
        )));
    }
    Ok(ok(json!({"success": true})))
}

/// `POST /{id}`: edits a template (`components`, `category`, `parameter_format`; answers
/// `{"success": true, "id", "name", "category"}`) or takes a number's `new_display_name`
/// (`{"success": true}`).
pub(crate) async fn edit(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    let reach = wabas(&core, &ver, uri.path(), &headers, &query)?;
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut st = core.state();
    if st.number(&id).is_some_and(|n| reach.contains(&n.waba_id)) {
        let name = req.get("new_display_name").and_then(Value::as_str);
        if name.is_none_or(str::is_empty) {
            return Err(GraphError::param(
                "The parameter new_display_name is required.",
            ));
        }
        return Ok(ok(json!({"success": true})));
    }
    let Some(t) = st
        .templates
        .values_mut()
        .flatten()
        .find(|t| t.id == id && reach.contains(&t.waba_id))
    else {
        return Err(GraphError::no_object("post", &id));
    };
    if let Some(Value::Array(c)) = req.get("components") {
        t.components = c.clone();
    }
    if let Some(cat) = req.get("category").and_then(Value::as_str) {
        let cat = cat.to_ascii_uppercase();
        if !crate::template::CATEGORIES.contains(&cat.as_str()) {
            return Err(GraphError::param(format!("Invalid category {cat}.")));
        }
        t.category = cat;
    }
    if let Some(f) = req.get("parameter_format").and_then(Value::as_str) {
        let f = f.to_ascii_uppercase();
        if f != "POSITIONAL" && f != "NAMED" {
            return Err(GraphError::param(
                "Param parameter_format must be one of {POSITIONAL, NAMED}.",
            ));
        }
        t.parameter_format = f;
    }
    Ok(ok(
        json!({"success": true, "id": t.id, "name": t.name, "category": t.category}),
    ))
}
