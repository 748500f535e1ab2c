//! Media (reference §6): multipart upload → id, `DELETE /{media-id}`, and the bearer-
//! protected download of the short-lived URL `GET /{media-id}` hands out.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

use super::multipart::{self, Part};
use super::{GraphError, access_token, authorize, check_version};
use crate::core::Core;
use crate::json::ok;

/// Largest accepted upload (documents), in bytes.
pub(crate) const MAX_UPLOAD: usize = 100 * 1024 * 1024;

/// The MIME types Meta accepts, in the order its error message lists them.
const SUPPORTED: &[&str] = &[
    "audio/aac",
    "audio/mp4",
    "audio/mpeg",
    "audio/amr",
    "audio/ogg",
    "audio/opus",
    "application/vnd.ms-powerpoint",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/pdf",
    "text/plain",
    "application/vnd.ms-excel",
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/mp4",
    "video/3gpp",
];

/// Max size per supported MIME type (reference §6).
fn max_size(mime: &str) -> Option<usize> {
    wakit_meta::media_limit(mime).and_then(|(_, max)| usize::try_from(max).ok())
}

fn upload_error(details: impl Into<String>) -> GraphError {
    GraphError::wa(
        131053,
        StatusCode::BAD_REQUEST,
        "Media upload error",
        details,
    )
}

fn field<'a>(parts: &'a [Part], name: &str) -> Option<&'a Part> {
    parts.iter().find(|p| p.name == name)
}

/// `POST /{version}/{phone-number-id}/media`.
pub(crate) async fn upload(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, GraphError> {
    check_version(&ver, uri.path())?;
    let number = {
        let st = core.state();
        let wabas = authorize(&st, access_token(&headers, &query).as_deref(), Utc::now())?;
        st.number(&id)
            .filter(|n| wabas.contains(&n.waba_id))
            .cloned()
            .ok_or_else(|| GraphError::no_object("post", &id))?
    };
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or_else(|| GraphError::param("The parameter messaging_product is required."))?;
    let parts = multipart::parse(&body, &boundary).map_err(GraphError::param)?;
    let text = |name: &str| {
        field(&parts, name).map(|p| String::from_utf8_lossy(&p.data).trim().to_string())
    };
    match text("messaging_product") {
        Some(p) if p.eq_ignore_ascii_case("whatsapp") => {}
        _ => {
            return Err(GraphError::param(
                "The parameter messaging_product is required.",
            ));
        }
    }
    let file = field(&parts, "file")
        .ok_or_else(|| GraphError::param("The parameter file is required."))?;
    let mime = text("type")
        .or_else(|| file.content_type.clone())
        .ok_or_else(|| GraphError::param("The parameter type is required."))?;
    let base = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let limit = max_size(&base).ok_or_else(|| {
        GraphError::param(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{base}'.",
            SUPPORTED.join(", ")
        ))
    })?;
    if file.data.is_empty() {
        return Err(upload_error("The uploaded file is empty."));
    }
    if file.data.len() > limit {
        return Err(upload_error(format!(
            "File is too big. Max size for {base} is {limit} bytes."
        )));
    }
    let media_id = core.state().store_media(&number, &mime, file.data.clone());
    Ok(ok(json!({ "id": media_id })))
}

/// `DELETE /{version}/{media-id}`.
pub(crate) async fn delete(
    State(core): State<Arc<Core>>,
    Path((ver, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    check_version(&ver, uri.path())?;
    let mut st = core.state();
    let wabas = authorize(&st, access_token(&headers, &query).as_deref(), Utc::now())?;
    let allowed = st.media.get(&id).is_some_and(|m| {
        wabas.contains(&m.waba_id)
            && query
                .get("phone_number_id")
                .is_none_or(|p| *p == m.phone_number_id)
    });
    if !allowed {
        return Err(GraphError::no_object("delete", &id));
    }
    st.media.remove(&id);
    st.media_urls.retain(|_, (m, _)| *m != id);
    Ok(ok(json!({"success": true})))
}

/// `GET /whatsapp_business/attachments/?mid=..&ext=..&hash=..` with the bearer token.
pub(crate) async fn download(
    State(core): State<Arc<Core>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, GraphError> {
    let now = Utc::now();
    let mut st = core.state();
    let wabas = authorize(&st, access_token(&headers, &query).as_deref(), now)?;
    if st.failing_downloads > 0 {
        st.failing_downloads -= 1;
        return Err(GraphError::wa(
            2,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Service temporarily unavailable",
            "The media could not be served; try again later.",
        ));
    }
    let expired = || GraphError {
        status: StatusCode::NOT_FOUND,
        ..GraphError::param("Media URL expired or invalid; fetch a new one with GET /{media-id}.")
    };
    let hash = query.get("hash").ok_or_else(expired)?;
    let media_id = match st.media_urls.get(hash) {
        Some((m, exp)) if *exp > now && query.get("mid") == Some(m) => m.clone(),
        _ => return Err(expired()),
    };
    let media = st.media.get(&media_id).ok_or_else(expired)?;
    if !wabas.contains(&media.waba_id) {
        return Err(GraphError::no_object("get", &media_id));
    }
    let bytes = media.bytes.clone();
    let mime = media.mime_type.clone();
    let mut resp = if st.stalling_downloads > 0 {
        st.stalling_downloads -= 1;
        st.stalled_downloads += 1;
        stalled(bytes)
    } else {
        st.media_downloads += 1;
        (StatusCode::OK, bytes).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&mime) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(resp)
}

/// An answer announcing all of `bytes` that sends half of them and then stalls (for ten
/// minutes; the test around it is over long before).
fn stalled(bytes: Bytes) -> Response {
    let (mut writer, reader) = tokio::io::duplex(bytes.len().max(1));
    let half = bytes.slice(..bytes.len() / 2);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        if writer.write_all(&half).await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        }
        drop(writer);
    });
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_has_a_size() {
        assert!(SUPPORTED.iter().all(|m| max_size(m).is_some()));
        assert_eq!(max_size("application/x-foo"), None);
    }
}
