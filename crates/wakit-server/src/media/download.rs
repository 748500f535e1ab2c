//! Fetching one inbound file from Meta: `GET /{media-id}` for the URL, SHA-256 and size,
//! then the bytes with the number's token, streamed into the media storage and checked
//! against what Meta announced.

use std::time::Duration;

use bytes::Bytes;
use wakit_core::OrgId;
use wakit_meta::{ErrorClass, GraphClient, MediaInfo, MetaError};

use super::{MediaStorage, PutError, Stored};

/// Why a download stored nothing.
#[derive(Debug)]
pub enum FetchError {
    /// It cannot succeed later: Meta no longer has the file, or it is too large. The
    /// message's part says so.
    Gone(String),
    /// Worth another try later (network, Meta busy, bytes that did not match).
    Retry(String, Option<Duration>),
    /// Meta refused the number's token.
    Reauth(MetaError),
}

impl FetchError {
    fn meta(e: MetaError) -> FetchError {
        match e.class {
            _ if e.is_retryable() => FetchError::Retry(e.to_string(), e.retry_after),
            ErrorClass::Reauth if e.code == Some(190) => FetchError::Reauth(e),
            _ => FetchError::Gone(format!("Meta no longer has this media: {}", e.message)),
        }
    }
}

/// Downloads Meta's media `media_id` with `token` into `storage` as `org`'s file, at
/// most `max` bytes; what was stored and what Meta said about it.
pub async fn fetch(
    graph: &GraphClient,
    token: &str,
    media_id: &str,
    storage: &MediaStorage,
    org: OrgId,
    max: u64,
) -> Result<(Stored, MediaInfo), FetchError> {
    let info = graph
        .media_info(media_id, token)
        .await
        .map_err(FetchError::meta)?;
    if info.file_size.is_some_and(|s| s > max) {
        return Err(FetchError::Gone(format!(
            "the file is larger than this server keeps ({max} bytes, WAKIT_MEDIA_MAX_BYTES)"
        )));
    }
    // The URL lives minutes: a refusal of it is retried with a fresh one.
    let resp = graph
        .download(&info.url, token)
        .await
        .map_err(|e| match FetchError::meta(e) {
            FetchError::Gone(why) => FetchError::Retry(why, None),
            other => other,
        })?;
    let chunks = Box::pin(futures::stream::unfold(Some(resp), |resp| async move {
        let mut resp = resp?;
        match resp.chunk().await {
            Ok(Some(c)) => Some((Ok::<Bytes, String>(c), Some(resp))),
            Ok(None) => None,
            Err(e) => Some((Err(e.without_url().to_string()), None)),
        }
    }));
    let limit = info.file_size.unwrap_or(max).min(max);
    let stored = storage
        .put_stream(org, chunks, limit, info.sha256.as_deref())
        .await
        .map_err(|e| match e {
            PutError::TooLarge(_) => FetchError::Retry(
                format!("Meta sent more than the {limit} bytes it announced"),
                None,
            ),
            other => FetchError::Retry(other.to_string(), None),
        })?;
    if let Some(size) = info.file_size
        && size != stored.size
    {
        return Err(FetchError::Retry(
            format!("Meta announced {size} bytes and sent {}", stored.size),
            None,
        ));
    }
    Ok((stored, info))
}
