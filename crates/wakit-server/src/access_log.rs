//! One log line per request at info: request id, method, path, status, latency and the
//! organization that made it — never the query string or the body (phone numbers,
//! message text, keys). The request id is the caller's `x-request-id` when it sends a
//! sane one, else a new UUID, and is echoed in the response.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use wakit_core::OrgId;

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";

/// Where the API-key check records whose request this is (for the log line).
#[derive(Clone, Default)]
pub struct OrgSlot(Arc<OnceLock<OrgId>>);

impl OrgSlot {
    /// Records the authenticated organization.
    pub fn set(&self, org: OrgId) {
        let _ = self.0.set(org);
    }
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The middleware.
pub async fn log(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let slot = OrgSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = next.run(req).await;
    let status = response.status().as_u16();
    let org = slot.0.get().map(ToString::to_string);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let org_id = org.as_deref().unwrap_or("-");
    // Refused strangers (401, 429) are counted and logged by sample elsewhere
    // (`refusals`), and probes come every few seconds: both only at debug, so a flood of
    // them cannot become a flood of log lines.
    let quiet = matches!(status, 401 | 429) || path.ends_with("/ping") || path.ends_with("/ready");
    if quiet {
        tracing::debug!(request_id = %id, method = %method, route = %path, status, latency_ms, org_id, "request");
    } else {
        tracing::info!(request_id = %id, method = %method, route = %path, status, latency_ms, org_id, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}
