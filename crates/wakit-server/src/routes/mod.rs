//! Routes under `/functions/v1/api`, one module per resource.

pub(crate) mod accounts;
mod agent_settings;
mod agents;
pub mod auth;
pub(crate) mod body;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub mod cors;
pub mod events;
mod health;
pub mod labels;
mod media;
mod media_upload;
pub mod openapi;
mod outbound;
mod outcome;
pub(crate) mod params;
mod ping;
pub(crate) mod read;
pub mod rest;
pub(crate) mod send;
pub(crate) mod templates;
pub use health::CACHE_TTL as HEALTH_CACHE_TTL;
pub use templates::FetchError;
pub mod webhook;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every API route with its OpenAPI description.
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(ping::router())
        .merge(accounts::router())
        .merge(agents::router())
        .merge(conversations::router())
        .merge(templates::router())
        .merge(health::router())
        .merge(contacts::router())
        .merge(read::router())
        .merge(events::router())
        .merge(media::router())
        .merge(media_upload::router())
        .merge(outbound::router())
}

/// The OpenAPI 3.1 document of the REST API.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

/// The REST API router (mounted at [`wakit_api::API_PREFIX`]), with the OpenAPI
/// document at `GET /openapi.json` (no key needed).
pub fn api_router() -> Router<AppState> {
    let (router, doc) = documented().split_for_parts();
    let json = Arc::new(doc.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the OpenAPI document");
        "{}".to_string()
    }));
    router.route(
        "/openapi.json",
        get(move || {
            let json = Arc::clone(&json);
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    (*json).clone(),
                )
            }
        }),
    )
}

/// Gives the bodies axum and tower-http write themselves (405 with its `Allow` header,
/// 413 from the body limit) the API's JSON error shape; other responses pass unchanged.
pub async fn json_errors(resp: Response) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let replacement = match resp.status() {
        _ if is_json => None,
        StatusCode::METHOD_NOT_ALLOWED => Some(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
        )),
        StatusCode::PAYLOAD_TOO_LARGE => Some(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The body is larger than {} bytes", crate::MAX_BODY),
        )),
        _ => None,
    };
    let Some(error) = replacement else {
        return resp;
    };
    let (parts, _) = resp.into_parts();
    let mut fresh = error.into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        fresh.headers_mut().insert(header::ALLOW, allow.clone());
    }
    fresh
}
