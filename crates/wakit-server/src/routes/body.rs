//! JSON request bodies with the API's error statuses: not JSON → 415, malformed → 400,
//! too large → 413.

use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes};
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

/// Answers 413 to a body over the limit — after reading what the client sends of it (up
/// to [`DRAIN_BYTES`] within [`DRAIN_TIME`]). Answering and closing with the upload unread
/// makes the kernel reset the connection, and the client usually sees that reset instead
/// of the 413. A declared `Content-Length` is refused at once; a chunked body is read here
/// (it is read whole by the JSON extractor anyway) and refused once it passes the limit.
pub async fn refuse_oversized(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > crate::MAX_BODY as u64 => {
            drain(req.into_body().into_data_stream(), 0).await;
            too_large().into_response()
        }
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            let (parts, body) = req.into_parts();
            match read_limited(body).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(e) => e.into_response(),
            }
        }
        _ => next.run(req).await,
    }
}

/// The whole body, or 413 (after draining the rest) when it passes the limit.
async fn read_limited(body: Body) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("The request body could not be read"))?;
        if buf.len() + chunk.len() > crate::MAX_BODY {
            drain(stream, buf.len() + chunk.len()).await;
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops the rest of a refused upload, bounded in bytes and time.
async fn drain(mut body: BodyDataStream, already: usize) {
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
