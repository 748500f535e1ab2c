//! The caller of a `/functions/v1/api` route that people use too (the event stream, the
//! templates, read receipts): an API key — its organization and role — or a signed-in
//! person's `/auth/v1` access token, acting in one of their organizations with their
//! role there. The organization is chosen as `/rest/v1` inserts choose it:
//! `organization_id` (query) when given, else their only one.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use std::collections::HashMap;
use uuid::Uuid;
use wakit_core::{ApiKeyId, OrgId};
use wakit_store::AuthContext;
use wakit_store::secrets::looks_like_api_key;

use crate::AppState;
use crate::auth::{ApiKeyAuth, within_rate};
use crate::error::ApiError;
use crate::routes::auth::SignedIn;

/// The query parameter naming the organization a person acts in.
pub const ORG_PARAM: &str = "organization_id";

/// An API key's context, or a member's: `key_id` is nil for a person (no key row).
#[derive(Clone, Copy, Debug)]
pub struct OrgCaller(pub AuthContext);

/// The Bearer token when it is a JWT (three dot-separated parts) and no `api-key`
/// header names a key instead.
fn user_token(parts: &Parts) -> Option<&str> {
    if parts.headers.contains_key("api-key") {
        return None;
    }
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let jwt = token.split('.').count() == 3 && !looks_like_api_key(token);
    (scheme.eq_ignore_ascii_case("bearer") && jwt).then_some(token)
}

impl FromRequestParts<AppState> for OrgCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if user_token(parts).is_none() {
            let ApiKeyAuth(ctx) = ApiKeyAuth::from_request_parts(parts, state).await?;
            return Ok(OrgCaller(ctx));
        }
        let signed_in = SignedIn::from_request_parts(parts, state)
            .await
            .map_err(|e| match e.message() {
                m if m.contains("ExpiredSignature") => ApiError::unauthorized("JWT expired"),
                m => ApiError::unauthorized(m.to_string()),
            })?;
        let user = signed_in.user;
        within_rate(state, ApiKeyId(user.id.0), "user")?;
        let wanted = wanted_org(parts)?;
        let members = state.store.memberships(user.id).await?;
        let chosen = match wanted {
            Some(org) => members.iter().find(|m| m.org_id == org).ok_or_else(|| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("You are not a member of organization {}", org.0),
                )
            })?,
            None => match members.as_slice() {
                [only] => only,
                [] => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "You are not a member of any organization",
                    ));
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "{ORG_PARAM} is required: you are a member of several organizations"
                    )));
                }
            },
        };
        if let Some(slot) = parts.extensions.get::<crate::access_log::OrgSlot>() {
            slot.set(chosen.org_id);
        }
        Ok(OrgCaller(AuthContext {
            org_id: chosen.org_id,
            key_id: ApiKeyId(Uuid::nil()),
            role: chosen.role,
        }))
    }
}

/// `organization_id` from the query, when there is one (a malformed one is a 400).
fn wanted_org(parts: &Parts) -> Result<Option<OrgId>, ApiError> {
    let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {}", e.body_text())))?;
    match query
        .get(ORG_PARAM)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(raw) => raw.parse::<Uuid>().map(|id| Some(OrgId(id))).map_err(|_| {
            ApiError::bad_request(format!("{ORG_PARAM} must be an organization's id (a UUID)"))
        }),
    }
}
