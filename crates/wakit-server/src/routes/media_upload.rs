//! `POST /media`: a multipart upload (`file` field) kept in the media storage for sending
//! (`{"image": {"id": ...}}` in `POST /messages`). The body streams to the storage, one
//! part in memory at a time; WhatsApp's type and size limits are checked as it arrives,
//! and `WAKIT_MEDIA_MAX_BYTES` bounds every upload (413), so nothing too large or of a
//! type WhatsApp refuses is kept.

use axum::Json;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::media::PutError;

/// Room for the multipart framing around the file.
const FRAMING: u64 = 64 * 1024;

/// The upload route. Its body is bounded by the handler (the media limit: reading stops
/// there), not by the API's JSON body limit.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::disable())
}

/// What `POST /media` stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MediaUploaded {
    /// The file's id, for `POST /messages` (`{"image": {"id": ...}}`) and `GET /media/{id}`.
    pub id: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The file name sent with it.
    pub filename: Option<String>,
}

/// The multipart form of `POST /media` (documentation only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The file, with its name and Content-Type (else the type follows the name's
    /// extension).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("The file is larger than this server accepts ({max} bytes, WAKIT_MEDIA_MAX_BYTES)"),
    )
}

fn broken(e: &MultipartError, max: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(max);
    }
    ApiError::bad_request(format!(
        "The multipart body cannot be read: {}",
        e.body_text()
    ))
}

/// Upload a file to send later.
#[utoipa::path(post, path = "/media", operation_id = "uploadMedia", tag = "media",
    security(("api_key" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaUploaded),
        (status = 400, description = "No file, an empty one, a type WhatsApp does not take, or larger than WhatsApp takes for its type", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = wakit_api::ErrorBody),
        (status = 413, description = "Larger than WAKIT_MEDIA_MAX_BYTES", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    req: Request,
) -> Result<(StatusCode, Json<MediaUploaded>), ApiError> {
    let max = state.api.media.max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max.saturating_add(FRAMING)) {
        // Read (a bounded part of) it first, or the client sees a reset, not the 413.
        super::body::drain(req.into_body().into_data_stream(), 0).await;
        return Err(too_large(max));
    }
    let mut form = Multipart::from_request(req, &state).await.map_err(|e| {
        ApiError::bad_request(format!(
            "The body must be multipart/form-data with a file field: {}",
            e.body_text()
        ))
    })?;
    while let Some(field) = form.next_field().await.map_err(|e| broken(&e, max))? {
        if field.name() == Some("file") {
            let kept = keep(&state, auth.org_id, field, max).await;
            if kept.is_err() {
                drain_form(&mut form).await;
            }
            return Ok((StatusCode::CREATED, Json(kept?)));
        }
    }
    Err(ApiError::bad_request("The form has no file field"))
}

/// Reads and drops the rest of a refused form (bounded in time), so the client gets the
/// answer rather than a reset.
async fn drain_form(form: &mut Multipart) {
    let rest = async {
        while let Ok(Some(mut field)) = form.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
    };
    let _ = tokio::time::timeout(super::body::DRAIN_TIME, rest).await;
}

async fn keep(
    state: &AppState,
    org: wakit_core::OrgId,
    field: Field<'_>,
    max: u64,
) -> Result<MediaUploaded, ApiError> {
    let filename = field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
        .filter(|n| !n.is_empty());
    let declared = field
        .content_type()
        .map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty() && m != "application/octet-stream");
    let mime = declared
        .or_else(|| {
            let name = filename.as_deref()?;
            wakit_meta::mime_from_name(name).map(str::to_string)
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "The file has no Content-Type and its name does not tell one (e.g. foto.jpg)",
            )
        })?;
    let (kind, meta_max) = wakit_meta::media_limit(&mime).ok_or_else(|| {
        ApiError::bad_request(format!(
            "WhatsApp does not accept {mime} files (images: jpeg, png; stickers: webp; \
             video: mp4, 3gpp; audio: aac, amr, mpeg, mp4, ogg; documents: pdf, text, \
             Word, Excel, PowerPoint)"
        ))
    })?;
    let limit = meta_max.min(max);
    let stored = state
        .api
        .media
        .storage
        .put_stream(org, Box::pin(field), limit, None)
        .await
        .map_err(|e| match e {
            PutError::TooLarge(_) if meta_max <= max => ApiError::bad_request(format!(
                "WhatsApp sends a {kind} of type {mime} only up to {} bytes; this file is larger",
                meta_max
            )),
            PutError::TooLarge(_) => too_large(max),
            PutError::Empty => ApiError::bad_request("The file is empty"),
            PutError::Source(why) => ApiError::bad_request(format!("The upload broke off: {why}")),
            e => ApiError::internal(e),
        })?;
    let record = state
        .store
        .insert_media(org, stored.record(mime, filename, None))
        .await?;
    Ok(MediaUploaded {
        id: record.id.to_string(),
        mime_type: record.file.mime_type,
        size: record.file.size,
        sha256: record.file.sha256,
        filename: record.file.filename,
    })
}
