//! `GET /{version}/{waba-id}/message_templates` (reference §4.1): filters, `fields`, and
//! cursor paging with `paging.next` only when more pages exist.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::{GraphError, access_token, authorize, check_version, requested_fields};
use crate::core::Core;
use crate::json::ok;

/// Default and largest page sizes.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;
/// How many templates a WABA may hold (`summary.message_template_limit`).
const TEMPLATE_LIMIT: usize = 250;

/// The handler.
pub(crate) async fn list(
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
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_LIMIT),
            _ => return Err(GraphError::param("Param limit must be a positive integer.")),
        },
    };
    let filter = |key: &str| query.get(key).map(|v| v.to_ascii_lowercase());
    let (name, status, language, category) = (
        filter("name"),
        filter("status"),
        filter("language"),
        filter("category"),
    );
    let matches = |field: &str, want: &Option<String>| {
        want.as_ref()
            .is_none_or(|w| w.split(',').any(|w| w.trim() == field.to_ascii_lowercase()))
    };
    let all: Vec<Value> = st
        .templates
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|t| {
            name.as_ref()
                .is_none_or(|n| t.name.to_ascii_lowercase().contains(n))
        })
        .filter(|t| matches(&t.status, &status))
        .filter(|t| matches(&t.language, &language))
        .filter(|t| matches(&t.category, &category))
        .map(|t| t.to_graph())
        .collect();
    let in_waba = st.templates.get(&id).map_or(0, Vec::len);
    drop(st);

    let cursor = |key: &str| -> Result<Option<usize>, GraphError> {
        query
            .get(key)
            .map(|c| {
                decode_cursor(c).ok_or_else(|| GraphError::param(format!("Invalid {key} cursor.")))
            })
            .transpose()
    };
    let (start, end) = match (cursor("after")?, cursor("before")?) {
        (Some(a), _) => (a + 1, (a + 1 + limit).min(all.len())),
        (None, Some(b)) => (b.saturating_sub(limit), b.min(all.len())),
        (None, None) => (0, limit.min(all.len())),
    };
    let start = start.min(end);
    let fields = requested_fields(&query);
    let data: Vec<Value> = all[start..end]
        .iter()
        .map(|t| project(t, fields.as_deref()))
        .collect();
    let mut body = json!({ "data": data });
    if start < end {
        let mut paging =
            json!({"cursors": {"before": encode_cursor(start), "after": encode_cursor(end - 1)}});
        let link = |key: &str, value: String| {
            let mut params: Vec<(String, String)> = query
                .iter()
                .filter(|(k, _)| {
                    k.as_str() != "after" && k.as_str() != "before" && k.as_str() != "limit"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.sort();
            params.insert(0, ("limit".into(), limit.to_string()));
            params.push((key.to_string(), value));
            let qs: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            format!(
                "{}/{ver}/{id}/message_templates?{}",
                core.origin(),
                qs.join("&")
            )
        };
        if end < all.len() {
            paging["next"] = json!(link("after", encode_cursor(end - 1)));
        }
        if start > 0 {
            paging["previous"] = json!(link("before", encode_cursor(start)));
        }
        body["paging"] = paging;
    }
    if let Some(wanted) = query.get("summary") {
        let mut summary = Map::new();
        for key in wanted.split(',').map(str::trim) {
            let v = match key {
                "total_count" => json!(all.len()),
                "message_template_count" => json!(in_waba),
                "message_template_limit" => json!(TEMPLATE_LIMIT),
                "are_translations_complete" => json!(true),
                _ => continue,
            };
            summary.insert(key.to_string(), v);
        }
        body["summary"] = Value::Object(summary);
    }
    Ok(ok(body))
}

/// Keeps the requested fields (and `id`); unknown names are ignored.
fn project(t: &Value, fields: Option<&[String]>) -> Value {
    let (Some(fields), Some(obj)) = (fields, t.as_object()) else {
        return t.clone();
    };
    let mut out = Map::new();
    for f in fields.iter().map(String::as_str).chain(["id"]) {
        if let Some(v) = obj.get(f) {
            out.insert(f.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

fn encode_cursor(index: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("tpl:{index}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("tpl:")?
        .parse()
        .ok()
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(41)), Some(41));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
