//! The dashboard: a team inbox in the browser, served at `/` by the same binary. The
//! page is plain ES modules and CSS embedded at build time ([`assets`]); it talks to
//! wakit through the routes any client uses (`/auth/v1`, `/rest/v1`,
//! `/functions/v1/api`, the event stream) with a short-lived access token kept in
//! memory. The only routes of its own are the session cookie's ([`session`]): they keep
//! the refresh token in an HttpOnly cookie, out of the page's reach, and call `/auth/v1`
//! in-process for it.
#![forbid(unsafe_code)]

pub mod assets;
mod pages;
pub mod session;

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

pub use assets::Assets;

/// What the dashboard needs from the server.
#[derive(Clone)]
pub struct DashboardConfig {
    /// The anon key: `/auth/v1` wants it as `apikey` (public by design, as Supabase's).
    pub anon_key: String,
    /// The `/auth/v1` routes (state applied; paths relative to `/auth/v1`), called
    /// in-process by the session endpoints with the request's extensions (its client IP
    /// counts against the failed sign-in budgets as a direct call would).
    pub auth: Router,
}

/// The dashboard's shared state.
pub(crate) struct Dashboard {
    pub assets: Assets,
    pub config: DashboardConfig,
}

/// The dashboard's routes: `GET /` (the page), `GET /assets/{path}`, and
/// `POST /dashboard/session[/refresh|/logout]`; every answer carries the security
/// headers (CSP, `nosniff`, no referrer, no framing).
pub fn router<S: Clone + Send + Sync + 'static>(config: DashboardConfig) -> Router<S> {
    let dashboard = Arc::new(Dashboard {
        assets: Assets::load(),
        config,
    });
    // Compressed: the page and its files. Not the session answers, which carry tokens
    // (no secret shares a compressed body with anything a third party could inject).
    let files = Router::new()
        .route("/", get(pages::index))
        .route("/assets/{*path}", get(pages::asset))
        .layer(CompressionLayer::new());
    let sessions = Router::new()
        .route(session::SIGN_IN, post(session::sign_in))
        .route(session::REFRESH, post(session::refresh))
        .route(session::LOGOUT, post(session::logout));
    files
        .merge(sessions)
        .layer(axum::middleware::map_response_with_state(
            dashboard.clone(),
            pages::secure,
        ))
        .with_state(dashboard)
}
