//! Meta's synchronous error envelope (reference §2.1) and the errors the sandbox returns.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Offset, Utc};
use rand::Rng;
use serde_json::{Value, json};

use crate::json::MetaJson;

/// Put on every error response so the rejection counter can read the code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RejectedCode(pub i64);

/// One Graph error answer.
#[derive(Clone, Debug)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    pub kind: &'static str,
    pub message: String,
    /// `error_data.details` (WhatsApp errors only).
    pub details: Option<String>,
    /// Adds `WWW-Authenticate` (token errors).
    pub www_authenticate: Option<&'static str>,
}

impl GraphError {
    /// A WhatsApp error: `(#code) title` with `error_data.details`.
    pub(crate) fn wa(
        code: i64,
        status: StatusCode,
        title: &str,
        details: impl Into<String>,
    ) -> Self {
        GraphError {
            status,
            code,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#{code}) {title}"),
            details: Some(details.into()),
            www_authenticate: None,
        }
    }

    /// 100 Invalid parameter, with Meta's sentence as the message.
    pub(crate) fn param(sentence: impl Into<String>) -> Self {
        let sentence = sentence.into();
        GraphError {
            message: format!("(#100) {sentence}"),
            ..GraphError::wa(100, StatusCode::BAD_REQUEST, "Invalid parameter", sentence)
        }
    }

    /// 131008 Required parameter is missing.
    pub(crate) fn missing(details: impl Into<String>) -> Self {
        GraphError::wa(
            131008,
            StatusCode::BAD_REQUEST,
            "Required parameter is missing",
            details,
        )
    }

    /// 131009 Parameter value is not valid.
    pub(crate) fn invalid(details: impl Into<String>) -> Self {
        GraphError::wa(
            131009,
            StatusCode::BAD_REQUEST,
            "Parameter value is not valid",
            details,
        )
    }

    /// 104: no access token at all.
    pub(crate) fn no_token() -> Self {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code: 104,
            subcode: None,
            kind: "OAuthException",
            message: "An access token is required to request this resource.".into(),
            details: None,
            www_authenticate: Some("invalid_request"),
        }
    }

    /// 190: a token the sandbox does not know.
    pub(crate) fn invalid_token() -> Self {
        GraphError {
            status: StatusCode::UNAUTHORIZED,
            code: 190,
            subcode: None,
            kind: "OAuthException",
            message: "Invalid OAuth access token - Cannot parse access token".into(),
            details: None,
            www_authenticate: Some("invalid_token"),
        }
    }

    /// 190 / 463: an expired session (reference §2.1 message shape).
    pub(crate) fn expired_token(expired_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let pst = FixedOffset::west_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
        let fmt = |t: DateTime<Utc>| {
            t.with_timezone(&pst)
                .format("%A, %d-%b-%y %H:%M:%S PST")
                .to_string()
        };
        GraphError {
            subcode: Some(463),
            message: format!(
                "Error validating access token: Session has expired on {}. The current time is {}.",
                fmt(expired_at),
                fmt(now)
            ),
            ..GraphError::invalid_token()
        }
    }

    /// 100 / 33: the object does not exist or the token cannot reach it.
    pub(crate) fn no_object(method: &str, id: &str) -> Self {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: Some(33),
            kind: "GraphMethodException",
            message: format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            details: None,
            www_authenticate: None,
        }
    }

    /// 2500: a path Graph does not know.
    pub(crate) fn unknown_path(path: &str) -> Self {
        GraphError {
            status: StatusCode::BAD_REQUEST,
            code: 2500,
            subcode: None,
            kind: "OAuthException",
            message: format!("Unknown path components: {path}"),
            details: None,
            www_authenticate: None,
        }
    }

    /// 131062: the message cannot go to a BSUID (e.g. authentication templates).
    pub(crate) fn bsuid_not_supported(details: &str) -> Self {
        GraphError::wa(
            131062,
            StatusCode::BAD_REQUEST,
            "BSUID recipients not supported for this message",
            details,
        )
    }

    /// 130429: the number's throughput is exhausted.
    pub(crate) fn throughput() -> Self {
        GraphError {
            subcode: Some(2494055),
            ..GraphError::wa(
                130429,
                StatusCode::BAD_REQUEST,
                "Rate limit hit",
                "Cloud API message throughput has been reached.",
            )
        }
    }

    fn body(&self) -> Value {
        let trace: String = rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(11)
            .map(char::from)
            .collect();
        let mut err = json!({"message": self.message, "type": self.kind, "code": self.code});
        if let Some(sub) = self.subcode {
            err["error_subcode"] = json!(sub);
        }
        if let Some(details) = &self.details {
            err["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
        }
        err["fbtrace_id"] = json!(trace);
        json!({ "error": err })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut resp = MetaJson(self.status, self.body()).into_response();
        if let Some(kind) = self.www_authenticate {
            let value = format!(
                "OAuth \"Facebook Platform\" \"{kind}\" \"{}\"",
                self.message.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp.extensions_mut().insert(RejectedCode(self.code));
        resp
    }
}
