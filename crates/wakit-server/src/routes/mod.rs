//! Routes under `/functions/v1/api`, one module per resource.

mod accounts;
mod ping;
pub mod webhook;

use crate::AppState;
use axum::Router;

/// The REST API router (mounted at [`wakit_api::API_PREFIX`]).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(ping::router())
        .merge(accounts::router())
}
