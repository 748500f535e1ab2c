//! GoTrue's error answers. A request carrying `X-Supabase-Api-Version: 2024-01-01` (or
//! later) gets `{"code": "<error_code>", "message": ...}` and the version echoed; older
//! clients get GoTrue's first shape, `{"code": <status>, "error_code": ..., "msg": ...}`.
//! Both carry the `x-sb-error-code` header. The handler cannot see the request's
//! headers when it fails, so the error is rendered in the new shape and kept in the
//! response's extensions; [`versioned`] rewrites it for older clients.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wakit_store::StoreError;

/// The request header naming the client's API version.
pub const API_VERSION_HEADER: &str = "x-supabase-api-version";
/// The one dated version GoTrue has defined.
pub const API_VERSION_2024: &str = "2024-01-01";

/// An `/auth/v1` error: status, GoTrue error code, message.
#[derive(Clone, Debug)]
pub struct AuthError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// `weak_password.reasons`, for `weak_password`.
    reasons: Vec<&'static str>,
}

impl AuthError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AuthError {
            status,
            code,
            message: message.into(),
            reasons: Vec::new(),
        }
    }

    /// The sentence for the caller.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 400 `validation_failed`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_failed", message)
    }

    /// 400 `invalid_credentials`, the same for an unknown address and a wrong password.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
            "Invalid login credentials",
        )
    }

    /// 422 `weak_password` with GoTrue's reasons.
    pub fn weak_password(message: impl Into<String>, reasons: Vec<&'static str>) -> Self {
        AuthError {
            reasons,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", message)
        }
    }

    /// 403 `bad_jwt`.
    pub fn bad_jwt(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "bad_jwt",
            format!("invalid JWT: unable to parse or verify signature, {detail}"),
        )
    }

    /// 500 `unexpected_failure` (the cause is logged, not answered).
    pub fn unexpected(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "auth request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            "Unexpected failure, please check server logs for more information",
        )
    }

    /// The GoTrue error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    fn body(&self, dated: bool) -> Value {
        let mut body = if dated {
            json!({"code": self.code, "message": self.message})
        } else {
            json!({"code": self.status.as_u16(), "error_code": self.code, "msg": self.message})
        };
        if !self.reasons.is_empty() {
            body["weak_password"] = json!({"reasons": self.reasons});
        }
        body
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                AuthError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unexpected_failure",
                    "The database is unavailable; try again shortly.",
                )
            }
            other => AuthError::unexpected(other),
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body(true))).into_response();
        resp.headers_mut()
            .insert("x-sb-error-code", HeaderValue::from_static(self.code));
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Whether the request asked for the dated error shape.
fn dated(req: &Request) -> bool {
    req.headers()
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() >= API_VERSION_2024 && v.trim().len() == API_VERSION_2024.len())
}

/// Answers errors in the shape the request's API version asks for, echoing the version.
pub async fn versioned(req: Request, next: Next) -> Response {
    let dated = dated(&req);
    let mut resp = next.run(req).await;
    if dated {
        resp.headers_mut().insert(
            API_VERSION_HEADER,
            HeaderValue::from_static(API_VERSION_2024),
        );
        return resp;
    }
    let Some(err) = resp.extensions_mut().remove::<AuthError>() else {
        return resp;
    };
    let (mut parts, _) = resp.into_parts();
    let fresh = Json(err.body(false)).into_response();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.extend(fresh_parts.headers);
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_name_the_code() {
        let e = AuthError::weak_password("too short", vec!["length"]);
        assert_eq!(
            e.body(true),
            json!({"code": "weak_password", "message": "too short", "weak_password": {"reasons": ["length"]}})
        );
        assert_eq!(
            AuthError::invalid_credentials().body(false),
            json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
        );
    }
}
