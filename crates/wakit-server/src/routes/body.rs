//! Request bodies, read only where a handler asks for one (after the API key was
//! checked; for the webhook, once a signature can be checked at all), bounded in size
//! ([`crate::MAX_BODY`]) and in time ([`crate::ApiConfig::body_timeout`]): not JSON →
//! 415, malformed → 400, too large → 413, too slow → 408.

use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use futures::StreamExt;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::refusals::Kind;

/// A JSON object body (read after the handler's API key was checked).
#[derive(Debug)]
pub struct JsonBody(pub serde_json::Map<String, Value>);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = read_bounded(body, &parts.headers, state, Oversized::Drain).await?;
        let req = Request::from_parts(parts, Body::from(bytes));
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
pub(crate) const DRAIN_TIME: Duration = Duration::from_secs(5);

/// What to do with the rest of a body over the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oversized {
    /// Read and drop it (bounded by [`DRAIN_BYTES`] and [`DRAIN_TIME`]) before the 413:
    /// answering with the upload unread makes the kernel reset the connection, and the
    /// client usually sees that reset instead of the 413. For authenticated requests.
    Drain,
    /// Answer 413 at once and let the connection close: for requests not (yet)
    /// authenticated, which get no more of the server's time than that.
    Close,
}

/// The whole body: 413 when it declares or passes [`crate::MAX_BODY`] bytes, 408 when it
/// has not arrived whole within the configured body timeout. Chunks are kept only up to
/// the limit, so a refused upload never costs more memory than that.
pub async fn read_bounded(
    body: Body,
    headers: &HeaderMap,
    state: &AppState,
    oversized: Oversized,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > crate::MAX_BODY as u64) {
        if oversized == Oversized::Drain {
            drain(stream, 0).await;
        }
        return Err(too_large());
    }
    let deadline = state.api.body_timeout;
    let read = async {
        let mut buf = Vec::new();
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else {
                return Err(Short::Unreadable);
            };
            if buf.len() + chunk.len() > crate::MAX_BODY {
                return Err(Short::TooLarge(buf.len() + chunk.len()));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(Short::Unreadable)) => {
            Err(ApiError::bad_request("The request body could not be read"))
        }
        Ok(Err(Short::TooLarge(read))) => {
            if oversized == Oversized::Drain {
                drain(stream, read).await;
            }
            Err(too_large())
        }
        Err(_) => {
            state
                .api
                .refusals
                .note(Kind::SlowBody, &format!("{deadline:?}"));
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "The request body did not arrive within {}s",
                    deadline.as_secs_f64()
                ),
            ))
        }
    }
}

/// Why a body was not read whole.
enum Short {
    Unreadable,
    TooLarge(usize),
}

/// Reads and drops the rest of a refused upload, bounded in bytes and time.
pub(crate) async fn drain(mut body: BodyDataStream, already: usize) {
    let drain = async {
        let mut read = already;
        while read < DRAIN_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}
