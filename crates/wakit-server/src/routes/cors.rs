//! CORS for the Supabase-compatible APIs (`/auth/v1`, `/rest/v1`): supabase-js in a
//! browser on another origin works against wakit. Any origin is allowed because these
//! APIs authenticate by headers (`apikey`, `Authorization`), never by cookies, so a
//! foreign page gains nothing it could not do with the key it already holds.

use axum::http::{HeaderName, Method, header};
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};

/// The layer: any origin and request header, the methods the clients use, and the
/// response headers they read (counts, error codes, the API version).
pub fn supabase() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_headers(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::LOCATION,
            HeaderName::from_static("x-supabase-api-version"),
            HeaderName::from_static("x-sb-error-code"),
        ])
        .max_age(Duration::from_secs(24 * 3600))
}
