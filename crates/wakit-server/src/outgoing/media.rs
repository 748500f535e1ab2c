//! Media sends: `image`, `video`, `audio`, `document` or `sticker` with the `id` of an
//! upload (`POST /media`, the org's own) or a public `link`, checked against what
//! WhatsApp carries for the kind.

use wakit_api::{MediaRequest, SendRequest};
use wakit_core::content::{FileRef, Kind};
use wakit_core::{MediaId, MessageContent, OrgId};

use crate::AppState;
use crate::error::ApiError;

/// The media objects a request names, with their kinds.
pub(super) fn requested(req: &SendRequest) -> Vec<(Kind, &MediaRequest)> {
    [
        (Kind::Image, &req.image),
        (Kind::Video, &req.video),
        (Kind::Audio, &req.audio),
        (Kind::Document, &req.document),
        (Kind::Sticker, &req.sticker),
    ]
    .into_iter()
    .filter_map(|(k, m)| m.as_ref().map(|m| (k, m)))
    .collect()
}

/// The MIME type a link of `kind` gets when none is given.
fn default_mime(kind: Kind) -> &'static str {
    match kind {
        Kind::Image => "image/jpeg",
        Kind::Video => "video/mp4",
        Kind::Audio => "audio/ogg",
        Kind::Sticker => "image/webp",
        _ => "application/pdf",
    }
}

/// The checked content of a media send.
pub(super) async fn content(
    state: &AppState,
    org: OrgId,
    kind: Kind,
    req: &MediaRequest,
) -> Result<MessageContent, ApiError> {
    let caption = req.caption.clone().filter(|c| !c.trim().is_empty());
    if caption.is_some() && matches!(kind, Kind::Audio | Kind::Sticker) {
        return Err(ApiError::bad_request(format!(
            "WhatsApp sends a {kind} without caption"
        )));
    }
    if caption.as_ref().is_some_and(|c| c.chars().count() > 1024) {
        return Err(ApiError::bad_request(
            "caption must be at most 1024 characters",
        ));
    }
    let link = req.link.trim();
    let file = match (req.id.as_deref(), link.is_empty()) {
        (Some(id), true) => uploaded(state, org, kind, id, req).await?,
        (None, false) => linked(kind, link, req)?,
        (Some(_), false) => {
            return Err(ApiError::bad_request(format!(
                "{kind}: give id or link, not both"
            )));
        }
        (None, true) => {
            return Err(ApiError::bad_request(format!(
                "{kind}.id (an upload, POST /media) or {kind}.link (public https URL) is required"
            )));
        }
    };
    MessageContent::file(kind, file, caption)
        .ok_or_else(|| ApiError::bad_request(format!("{kind} cannot be sent")))
}

async fn uploaded(
    state: &AppState,
    org: OrgId,
    kind: Kind,
    id: &str,
    req: &MediaRequest,
) -> Result<FileRef, ApiError> {
    let missing = || {
        ApiError::bad_request(format!(
            "{kind}.id {id:?} names no upload of this organization"
        ))
    };
    let id: MediaId = id.trim().parse().map_err(|_| missing())?;
    let record = match state.store.get_media(org, id).await {
        Err(wakit_store::StoreError::NotFound(_)) => return Err(missing()),
        other => other?,
    };
    let mime = &record.file.mime_type;
    let carried = wakit_meta::media_limit(mime).map(|(k, _)| k);
    // A document carries any file WhatsApp takes; the other kinds their own types.
    if carried.is_none() || (kind != Kind::Document && carried != Some(kind.as_str())) {
        return Err(ApiError::bad_request(format!(
            "WhatsApp does not send a {mime} file as {kind}"
        )));
    }
    let mut file = record.file_ref();
    if let Some(name) = req.filename.clone().filter(|n| !n.trim().is_empty()) {
        file.name = Some(name);
    }
    Ok(file)
}

fn linked(kind: Kind, link: &str, req: &MediaRequest) -> Result<FileRef, ApiError> {
    let host = link.strip_prefix("https://").unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || link.chars().any(char::is_whitespace) {
        return Err(ApiError::bad_request(format!(
            "{kind}.link must be a public https:// URL"
        )));
    }
    Ok(FileRef {
        mime_type: req
            .mime_type
            .clone()
            .unwrap_or_else(|| default_mime(kind).to_string()),
        uri: link.to_string(),
        name: req.filename.clone(),
        ..FileRef::default()
    })
}
