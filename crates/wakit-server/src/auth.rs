//! The API-key extractor: `Authorization: Bearer sk_...` or `api-key: sk_...`. A key not
//! known good is looked up only while the client's IP is within its budget of failed
//! authentications (429 past it, see [`crate::refusals`]); a failure counts against it.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::time::Duration;
use wakit_core::ApiKeyId;
use wakit_store::AuthContext;
use wakit_store::secrets::looks_like_api_key;

use crate::AppState;
use crate::error::ApiError;
use crate::refusals::{Kind, client_ip};

/// An IP for a log line (`unknown` when the request did not come over TCP).
struct DisplayIp(Option<std::net::IpAddr>);

impl std::fmt::Display for DisplayIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "from {ip}"),
            None => f.write_str("from an unknown address"),
        }
    }
}

/// A request authenticated by a valid, unrevoked API key.
#[derive(Clone, Copy, Debug)]
pub struct ApiKeyAuth(pub AuthContext);

/// The key presented: a Bearer `sk_` key, else the `api-key` header (which supabase
/// clients send beside the anon key as their Bearer token), else whatever the Bearer is.
fn presented_key(parts: &Parts) -> Option<&str> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| {
            let v = v.to_str().ok()?.trim();
            let (scheme, token) = v.split_once(' ').unwrap_or((v, ""));
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let header = parts
        .headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match (bearer, header) {
        (Some(b), _) if looks_like_api_key(b) => Some(b),
        (_, Some(h)) => Some(h),
        (b, None) => b,
    }
}

impl FromRequestParts<AppState> for ApiKeyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let has_header = parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
            || parts.headers.contains_key("api-key");
        if !has_header {
            return Err(ApiError::unauthorized("Missing Authorization header"));
        }
        let key = presented_key(parts).filter(|k| looks_like_api_key(k));
        let cached = key.and_then(|k| state.api.cache.known_key(k));
        let ctx = match (cached, key) {
            (Some(ctx), _) => ctx,
            (None, key) => {
                // Not known good: within the IP's budget of failures only.
                let refusals = &state.api.refusals;
                let ip = client_ip(&parts.extensions);
                refusals.check(ip)?;
                let found = match key {
                    Some(key) => state.api.cache.authenticate(state, key).await?,
                    None => None,
                };
                let Some(ctx) = found else {
                    refusals.failed(ip);
                    refusals.note(Kind::InvalidKey, &DisplayIp(ip));
                    return Err(ApiError::unauthorized("Invalid API key"));
                };
                ctx
            }
        };
        if let Some(slot) = parts.extensions.get::<crate::access_log::OrgSlot>() {
            slot.set(ctx.org_id);
        }
        within_rate(state, ctx.key_id, "API key")?;
        Ok(ApiKeyAuth(ctx))
    }
}

/// The API's rate limit for one caller (`bucket`: a key's id, or a signed-in user's id
/// — both UUIDs, so never the same bucket); `who` names it in the refusal.
pub(crate) fn within_rate(state: &AppState, bucket: ApiKeyId, who: &str) -> Result<(), ApiError> {
    let Some(rate) = state.api.rate_limit else {
        return Ok(());
    };
    // A bucket of 2 s worth of requests, refilled at `rate` per second.
    let burst = Duration::from_secs(2);
    if let Err(over) = state.api.limiter.reserve(bucket, rate, burst) {
        let secs = over.as_secs_f64().ceil().max(1.0) as u64;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many requests for this {who} (limit {rate}/s); retry in {secs}s"),
        )
        .retry_after(secs));
    }
    Ok(())
}
