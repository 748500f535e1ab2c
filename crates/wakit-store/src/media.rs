//! Stored media files (migration 0015): one row per file wakit holds, the bytes in the
//! media storage under a content-addressed, tenant-scoped key; and the download job of
//! an inbound media message, queued with the message in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wakit_core::content::{FileRef, INTERNAL_MEDIA_SCHEME};
use wakit_core::{AccountId, MediaId, MessageContent, MessageId, OrgId, PartType};

use crate::job::{JobArgs, NewJob};
use crate::{InboundMessage, StoreError, StoreResult};

/// Job kind that downloads an inbound message's media from Meta (payload
/// `{"message_id", "account_id"}`).
pub const DOWNLOAD_MEDIA: &str = "download_media";

/// [`DOWNLOAD_MEDIA`]: fetch the media of one inbound message and keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadMedia {
    /// The inbound message whose file part names Meta's media id.
    pub message_id: MessageId,
    /// The number it arrived on (whose token reads the media).
    pub account_id: AccountId,
}

impl JobArgs for DownloadMedia {
    const KIND: &'static str = DOWNLOAD_MEDIA;
}

/// Priority of media downloads: after webhook processing and replies, before bulk.
pub const DOWNLOAD_PRIORITY: i16 = 1;

/// The download job an inbound message needs: one for a file part that names a Meta
/// media id (`meta://...`), none otherwise. Backends queue it in the ingest transaction,
/// so every stored media message has exactly one.
pub fn download_job(org: OrgId, message: MessageId, msg: &InboundMessage) -> Option<NewJob> {
    let file = msg.content.file.as_ref()?;
    file.uri.starts_with("meta://").then(|| {
        DownloadMedia {
            message_id: message,
            account_id: msg.account_id,
        }
        .job(Some(org), msg.timestamp.min(Utc::now()), DOWNLOAD_PRIORITY)
    })
}

/// A file to record (its bytes are in the media storage already).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewMedia {
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type.
    pub mime_type: String,
    /// Original file name, when known.
    pub filename: Option<String>,
    /// Where the bytes are in the media storage.
    pub storage_key: String,
    /// The inbound message the file came with, if any.
    pub message_id: Option<MessageId>,
}

/// A stored file as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MediaRecord {
    /// Id (`internal://media/<id>`).
    pub id: MediaId,
    /// Owner.
    pub org_id: OrgId,
    /// The file as recorded.
    #[serde(flatten)]
    pub file: NewMedia,
    /// Meta's id for the file once uploaded for a number, while it lives.
    pub meta_media_id: Option<String>,
    /// The number the Meta id belongs to.
    pub meta_account_id: Option<AccountId>,
    /// When Meta's id expires.
    pub meta_expires_at: Option<DateTime<Utc>>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

impl MediaRecord {
    /// Meta's id for this file on `account`, if one is cached and still valid at `now`.
    pub fn meta_id_for(&self, account: AccountId, now: DateTime<Utc>) -> Option<&str> {
        match (
            &self.meta_media_id,
            self.meta_account_id,
            self.meta_expires_at,
        ) {
            (Some(id), Some(a), Some(exp)) if a == account && exp > now => Some(id),
            _ => None,
        }
    }

    /// The file part that points at this file (caption and kind stay the message's).
    pub fn file_ref(&self) -> FileRef {
        FileRef {
            mime_type: self.file.mime_type.clone(),
            uri: format!("{INTERNAL_MEDIA_SCHEME}{}", self.id),
            name: self.file.filename.clone(),
            size: self.file.size,
            id: Some(self.id.to_string()),
            error: None,
        }
    }
}

/// `content` with its file part replaced by `file`; refused for a content without one.
pub fn with_file(mut content: MessageContent, file: FileRef) -> StoreResult<MessageContent> {
    if content.part_type != PartType::File {
        return Err(StoreError::other(format!(
            "a {} message has no file part",
            content.kind
        )));
    }
    content.file = Some(file);
    Ok(content)
}

/// Why a kept file's part has no bytes any more: the media retention deleted them.
pub const EXPIRED: &str =
    "expired: deleted after the media retention period (WAKIT_MEDIA_RETENTION_DAYS)";

/// The file part of a message whose stored file the retention deleted: it keeps its
/// type, name and size, loses its id, and says why.
pub fn expired_file(file: FileRef) -> FileRef {
    FileRef {
        id: None,
        error: Some(EXPIRED.into()),
        ..file
    }
}

/// What one [`MediaStore::expire_media`] call deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiredMedia {
    /// Media rows deleted.
    pub rows: usize,
    /// Storage keys no remaining row names: their bytes can go.
    pub unnamed: Vec<String>,
}

/// The file part of `content` when it names the stored file `id`.
pub fn names_media(content: &MessageContent, id: MediaId) -> Option<FileRef> {
    let file = content.file.as_ref()?;
    (file.id.as_deref() == Some(id.to_string().as_str())).then(|| file.clone())
}

/// The distinct storage keys of `files`, in order.
pub fn unique_keys(files: &[MediaRecord]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for f in files {
        if !keys.contains(&f.file.storage_key) {
            keys.push(f.file.storage_key.clone());
        }
    }
    keys
}

/// Stored media, per organization.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Records a stored file of `org`.
    async fn insert_media(&self, org: OrgId, new: NewMedia) -> StoreResult<MediaRecord>;
    /// The org's file `id`; `NotFound` for another org's.
    async fn get_media(&self, org: OrgId, id: MediaId) -> StoreResult<MediaRecord>;
    /// Replaces the file part of the org's message `message` (after its download, or
    /// with the reason it failed) — [`with_file`] on the stored content.
    async fn set_message_file(
        &self,
        org: OrgId,
        message: MessageId,
        file: FileRef,
    ) -> StoreResult<()>;
    /// Media retention, across organizations (the retention worker only): deletes up
    /// to `limit` files stored before `before`, oldest first, and marks the part of each
    /// one's message [`expired_file`] (a `messages.update` event), in one transaction.
    /// Says how many rows went and the storage keys no remaining row names, whose bytes
    /// the caller deletes.
    async fn expire_media(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<ExpiredMedia>;
    /// Records Meta's id of file `id` uploaded for `account`, valid until `expires_at`.
    async fn cache_meta_media(
        &self,
        org: OrgId,
        id: MediaId,
        account: AccountId,
        meta_media_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
