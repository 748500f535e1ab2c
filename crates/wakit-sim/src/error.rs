//! Errors of the sandbox's library API and of its control routes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a sandbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The IO error.
        source: std::io::Error,
    },
    /// The webhook HTTP client could not be built.
    #[error("building the webhook HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// No number has this phone-number id.
    #[error("unknown phone number id {0}")]
    UnknownNumber(String),
    /// No WABA has this id.
    #[error("unknown WABA {0}")]
    UnknownWaba(String),
    /// No template has this id.
    #[error("unknown template {0}")]
    UnknownTemplate(String),
    /// No customer has this phone, BSUID or username.
    #[error("unknown customer {0}")]
    UnknownCustomer(String),
    /// An input was invalid; the sentence says which and why.
    #[error("{0}")]
    Invalid(String),
}

impl SimError {
    /// The HTTP status the control API answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            SimError::UnknownNumber(_)
            | SimError::UnknownWaba(_)
            | SimError::UnknownTemplate(_)
            | SimError::UnknownCustomer(_) => StatusCode::NOT_FOUND,
            SimError::Invalid(_) => StatusCode::BAD_REQUEST,
            SimError::Bind { .. } | SimError::Http(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A machine-readable code for the control API.
    pub fn code(&self) -> &'static str {
        match self {
            SimError::UnknownNumber(_)
            | SimError::UnknownWaba(_)
            | SimError::UnknownTemplate(_)
            | SimError::UnknownCustomer(_) => "not_found",
            SimError::Invalid(_) => "invalid_parameter",
            SimError::Bind { .. } | SimError::Http(_) => "internal",
        }
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.to_string(), "code": self.code()});
        (self.status(), Json(body)).into_response()
    }
}

/// Shorthand for an [`SimError::Invalid`].
pub(crate) fn invalid(msg: impl Into<String>) -> SimError {
    SimError::Invalid(msg.into())
}
