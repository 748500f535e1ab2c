//! `GET /media/{id}`: a stored file, streamed (Range requests, its MIME type, its name
//! in `Content-Disposition`), to an API key of its organization or to whoever holds a
//! signed URL (`?org=..&exp=..&sig=..`) from `GET /media/{id}/url`.

use std::collections::HashMap;
use std::ops::Range;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_core::{MediaId, OrgId};
use wakit_store::MediaRecord;

use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::media::sign::{DEFAULT_TTL_SECS, MAX_TTL_SECS};

/// The media read routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_media))
        .routes(routes!(signed_url))
}

/// A signed URL of a file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MediaUrl {
    /// Path and query (relative to the server) that read the file without an API key.
    pub url: String,
    /// When it stops working (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
}

fn media_id(id: &str) -> Result<MediaId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found("No media with this id"))
}

async fn find(state: &AppState, org: OrgId, id: MediaId) -> Result<MediaRecord, ApiError> {
    match state.store.get_media(org, id).await {
        Err(wakit_store::StoreError::NotFound(_)) => {
            Err(ApiError::not_found("No media with this id"))
        }
        other => Ok(other?),
    }
}

/// A stored file's bytes.
#[utoipa::path(get, path = "/media/{id}", operation_id = "getMedia", tag = "media",
    security(("api_key" = []), ()),
    params(("id" = String, Path, description = "The file's id (`file.id` of a message part)"),
        ("org" = Option<String>, Query, description = "Signed URL: the organization"),
        ("exp" = Option<i64>, Query, description = "Signed URL: expiry (unix seconds)"),
        ("sig" = Option<String>, Query, description = "Signed URL: signature"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=START-END`")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 206, description = "The requested range", content_type = "application/octet-stream"),
        (status = 416, description = "Range outside the file", body = wakit_api::ErrorBody),
        super::openapi::ReadErrors))]
async fn get_media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    mut parts: Parts,
) -> Result<Response, ApiError> {
    let org = if query.contains_key("sig") {
        signed_org(&state, &id, &query)?
    } else {
        ApiKeyAuth::from_request_parts(&mut parts, &state)
            .await?
            .0
            .org_id
    };
    let record = find(&state, org, media_id(&id)?).await?;
    serve(&state, &record, &parts.headers).await
}

/// The org a signed URL is for, when its signature holds and it has not expired.
fn signed_org(
    state: &AppState,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<OrgId, ApiError> {
    let bad = || ApiError::unauthorized("The signed URL is invalid or has expired");
    let org: OrgId = query
        .get("org")
        .and_then(|o| o.parse().ok())
        .ok_or_else(bad)?;
    let exp: i64 = query
        .get("exp")
        .and_then(|e| e.parse().ok())
        .ok_or_else(bad)?;
    let sig = query.get("sig").ok_or_else(bad)?;
    let id = id.parse().map_err(|_| bad())?;
    if !state.api.media.signer.verify(org, id, exp, sig, Utc::now()) {
        return Err(bad());
    }
    Ok(org)
}

/// A signed URL reading the file without an API key, for `ttl` seconds (default 3600,
/// at most 7 days).
#[utoipa::path(get, path = "/media/{id}/url", operation_id = "signMediaUrl", tag = "media",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The file's id"),
        ("ttl" = Option<i64>, Query, description = "Lifetime in seconds (default 3600, at most 604800)")),
    responses(
        (status = 200, description = "The signed URL", body = MediaUrl),
        super::openapi::ReadErrors))]
async fn signed_url(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<MediaUrl>, ApiError> {
    let ttl = match query.get("ttl") {
        None => DEFAULT_TTL_SECS,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|t| (1..=MAX_TTL_SECS).contains(t))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "ttl must be a number of seconds from 1 to {MAX_TTL_SECS}"
                ))
            })?,
    };
    let record = find(&state, auth.org_id, media_id(&id)?).await?;
    let expires_at = Utc::now() + chrono::Duration::seconds(ttl);
    let exp = expires_at.timestamp();
    let sig = state.api.media.signer.sign(auth.org_id, record.id, exp);
    Ok(Json(MediaUrl {
        url: format!(
            "{}/media/{}?org={}&exp={exp}&sig={sig}",
            wakit_api::API_PREFIX,
            record.id,
            auth.org_id
        ),
        expires_at,
    }))
}

/// The one range of a `Range: bytes=...` header within `size` bytes: `Ok(None)` for the
/// whole file (no header, or one this server does not narrow, like several ranges),
/// `Err` when it lies outside the file.
fn range(headers: &HeaderMap, size: u64) -> Result<Option<Range<u64>>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let r = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e => s..(e + 1).min(size),
        (Ok(s), Err(_)) if end.is_empty() => s..size,
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => size.saturating_sub(n)..size,
        _ => return Ok(None),
    };
    if r.start >= size {
        return Err(());
    }
    Ok(Some(r))
}

/// `inline; filename="..."` (ASCII fallback) with the UTF-8 name as `filename*`.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn serve(
    state: &AppState,
    record: &MediaRecord,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let size = record.file.size;
    let wanted = match range(headers, size) {
        Ok(r) => r,
        Err(()) => {
            let mut resp = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("The range lies outside the file ({size} bytes)"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(resp);
        }
    };
    let got = state
        .api
        .media
        .storage
        .get(&record.file.storage_key, wanted.clone())
        .await
        .map_err(|e| match e {
            object_store::Error::NotFound { .. } => ApiError::new(
                StatusCode::GONE,
                "media_gone",
                "The file's bytes are no longer in the media storage",
            ),
            e => ApiError::internal(format!("media storage: {e}")),
        })?;
    let served = got.range.clone();
    let body = Body::from_stream(got.into_stream().map_err(std::io::Error::other));
    let status = if wanted.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, record.file.mime_type.clone());
    set(
        header::CONTENT_LENGTH,
        (served.end - served.start).to_string(),
    );
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::ETAG, format!("\"{}\"", record.file.sha256));
    set(header::CACHE_CONTROL, "private, max-age=3600".into());
    // Files come from customers: never sniffed, never run as a page of this origin.
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    set(header::CONTENT_SECURITY_POLICY, "sandbox".into());
    if wanted.is_some() {
        set(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", served.start, served.end - 1),
        );
    }
    if let Some(name) = &record.file.filename {
        set(header::CONTENT_DISPOSITION, disposition(name));
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::RANGE,
            HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
        );
        h
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range(&HeaderMap::new(), 10), Ok(None));
        assert_eq!(range(&with("bytes=0-3"), 10), Ok(Some(0..4)));
        assert_eq!(range(&with("bytes=4-"), 10), Ok(Some(4..10)));
        assert_eq!(range(&with("bytes=-3"), 10), Ok(Some(7..10)));
        assert_eq!(range(&with("bytes=5-100"), 10), Ok(Some(5..10)));
        assert_eq!(range(&with("bytes=10-"), 10), Err(()));
        assert_eq!(range(&with("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(range(&with("bytes=x-y"), 10), Ok(None));
    }

    #[test]
    fn names_are_quoted_safely() {
        assert_eq!(
            disposition("año \"1\".pdf"),
            "inline; filename=\"a_o _1_.pdf\"; filename*=UTF-8''a%C3%B1o%20%221%22.pdf"
        );
    }
}
