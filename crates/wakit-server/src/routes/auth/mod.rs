//! `/auth/v1`: the subset of GoTrue (Supabase Auth) that `supabase-js` and
//! `supabase-py` use for e-mail and password sign-in — `POST /token`
//! (`grant_type=password|refresh_token`), `POST /signup`, `GET`/`PUT /user`,
//! `POST /logout`, `GET /settings`, `GET /health`.
//!
//! There is no e-mail delivery, so sign-up (when enabled: `WAKIT_AUTH_SIGNUP=on`)
//! confirms the address at once and answers a session, as GoTrue does with
//! `mailer_autoconfirm`. Every request needs the `apikey` header (the anon or the
//! service-role key, see [`tokens::JwtSecret::api_key`]). Passwords and tokens are never
//! logged: the store sees only their hashes.

mod error;
mod grant;
mod limits;
pub mod password;
pub mod tokens;
mod user;
mod wire;

pub use error::{API_VERSION_2024, API_VERSION_HEADER, AuthError};
pub use limits::FailureBudget;
pub use tokens::JwtSecret;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::sync::Arc;
use wakit_store::{StoreError, User};

use crate::AppState;
use crate::routes::body::{Oversized, read_bounded};

/// Where the routes are mounted.
pub const AUTH_PREFIX: &str = "/auth/v1";
/// Default lifetime of an access token (`WAKIT_AUTH_ACCESS_TTL`), in seconds.
pub const DEFAULT_ACCESS_TTL_SECS: i64 = 3600;

/// `/auth/v1` settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Signs and checks access tokens and the anon/service keys.
    pub secret: JwtSecret,
    /// Access-token lifetime, in seconds.
    pub access_ttl_secs: i64,
    /// Whether `POST /signup` creates users (`WAKIT_AUTH_SIGNUP=on`).
    pub signup: bool,
    /// Failed sign-ins per address (an IP's failures count in
    /// [`crate::ApiConfig::refusals`], as failed API keys do).
    pub email_failures: Arc<FailureBudget<String>>,
}

impl Default for AuthConfig {
    /// A random secret (tokens die with the process), sign-up off.
    fn default() -> Self {
        AuthConfig {
            secret: JwtSecret::random(),
            access_ttl_secs: DEFAULT_ACCESS_TTL_SECS,
            signup: false,
            email_failures: Arc::new(FailureBudget::per_email()),
        }
    }
}

/// The `/auth/v1` router (mounted at [`AUTH_PREFIX`]).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/token", post(grant::token))
        .route("/signup", post(grant::signup))
        .route("/user", get(user::get_user).put(user::put_user))
        .route("/logout", post(user::logout))
        .route("/settings", get(user::settings))
        .route("/health", get(user::health))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_apikey,
        ))
        .layer(axum::middleware::from_fn(error::versioned))
}

/// The gateway's check (Supabase's Kong): `apikey` must be the anon or service key.
/// Its refusals have the gateway's shape, `{"message": ...}`, not GoTrue's.
async fn require_apikey(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let refused = |message: &str| {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "message": message })),
        )
            .into_response()
    };
    match key {
        None | Some("") => refused("No API key found in request"),
        Some(k) => match state.api.auth.secret.key_role(k).as_deref() {
            Some("anon" | "service_role") => next.run(req).await,
            _ => refused("Invalid API key"),
        },
    }
}

/// The client's IP (for the failed sign-in budget).
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(crate::refusals::client_ip(&parts.extensions)))
    }
}

/// A JSON body of type `T`; unreadable or malformed → 400 `validation_failed`.
pub(crate) struct AuthJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for AuthJson<T> {
    type Rejection = AuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = read_bounded(body, &parts.headers, state, Oversized::Drain)
            .await
            .map_err(|e| {
                AuthError::new(
                    e.status(),
                    "validation_failed",
                    "Could not read the request body",
                )
            })?;
        let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(bytes).map(AuthJson).map_err(|e| {
            AuthError::validation(format!("Could not parse request body as JSON: {e}"))
        })
    }
}

/// A request with a live user's access token: signature, expiry, a session not ended
/// and a user that still exists.
pub(crate) struct SignedIn {
    pub claims: tokens::AccessClaims,
    pub user: User,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AuthError::new(
                    StatusCode::UNAUTHORIZED,
                    "no_authorization",
                    "This endpoint requires a valid Bearer token",
                )
            })?;
        let claims = state.api.auth.secret.verify_access(token)?;
        let ended = || {
            AuthError::new(
                StatusCode::FORBIDDEN,
                "session_not_found",
                "Session from session_id claim in JWT does not exist",
            )
        };
        match state.store.get_session(claims.session()).await {
            Ok(s) if s.revoked_at.is_none() && s.user_id == claims.user_id() => {}
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(ended()),
            Err(e) => return Err(e.into()),
        }
        let user = match state.store.get_user(claims.user_id()).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => {
                return Err(AuthError::new(
                    StatusCode::FORBIDDEN,
                    "user_not_found",
                    "User from sub claim in JWT does not exist",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(SignedIn { claims, user })
    }
}
