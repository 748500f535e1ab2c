//! `GET /` and `GET /assets/{path}`, and the security headers of every dashboard answer.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use crate::Dashboard;

/// A versioned URL's lifetime in caches: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidate every time (the ETag makes that a 304).
const REVALIDATE: &str = "no-cache";

/// The page (every dashboard route is under its `#/` fragment).
pub(crate) async fn index(State(d): State<Arc<Dashboard>>, headers: HeaderMap) -> Response {
    let assets = &d.assets;
    cached(
        &headers,
        &assets.index_version,
        REVALIDATE,
        "text/html; charset=utf-8",
        assets.index.clone().into_bytes(),
    )
}

/// An embedded file; immutable when asked for by its current version (`?v=`).
pub(crate) async fn asset(
    State(d): State<Arc<Dashboard>>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = d.assets.get(&path) else {
        // The API's error shape, as every other unknown path of the server answers.
        let body = serde_json::json!({"error": format!("No asset {path}"), "code": "not_found"});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    let versioned = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p.strip_prefix("v=") == Some(asset.version.as_str()))
    });
    let policy = if versioned { IMMUTABLE } else { REVALIDATE };
    cached(
        &headers,
        &asset.version,
        policy,
        asset.content_type,
        asset.bytes.to_vec(),
    )
}

/// `body` with its ETag, or 304 when the client has it.
fn cached(
    headers: &HeaderMap,
    version: &str,
    policy: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let etag = format!("\"{version}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if let Ok(v) = HeaderValue::try_from(etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// The headers every dashboard answer carries.
pub(crate) async fn secure(State(d): State<Arc<Dashboard>>, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if let Ok(csp) = HeaderValue::try_from(d.assets.csp.as_str()) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    resp
}
