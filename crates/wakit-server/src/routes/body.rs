//! JSON request bodies with the API's error statuses: not JSON → 415, malformed → 400,
//! too large → 413.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON object body.
#[derive(Debug)]
pub struct JsonBody(pub serde_json::Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(Value::Object(map))) => Ok(JsonBody(map)),
            Ok(_) => Err(ApiError::bad_request("The body must be a JSON object")),
            Err(e) => Err(rejection(e)),
        }
    }
}

fn rejection(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The body must be JSON (Content-Type: application/json)",
        ),
        JsonRejection::BytesRejection(_) => too_large(),
        other => ApiError::bad_request(format!("Invalid JSON body: {}", other.body_text())),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("The body is larger than {} bytes", crate::MAX_BODY),
    )
}

/// Most bytes of a refused upload read (and dropped) before answering, and for how long.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Answers 413 to a body whose `Content-Length` is over the limit — after reading what
/// the client sends of it (up to [`DRAIN_BYTES`] within [`DRAIN_TIME`]). Answering and
/// closing with the upload unread makes the kernel reset the connection, and the client
/// usually sees that reset instead of the 413.
pub async fn refuse_oversized(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n <= crate::MAX_BODY as u64) {
        return next.run(req).await;
    }
    let mut body = req.into_body().into_data_stream();
    let drain = async {
        let mut read = 0usize;
        while read < DRAIN_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    too_large().into_response()
}
