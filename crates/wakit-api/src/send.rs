//! `POST /messages`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Body of `POST /messages`: exactly one of `text`, `template`, `image`, `video`,
/// `audio`, `document`, `sticker`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The contact's phone, or the business-scoped user ID (BSUID) of a customer who
    /// shares no phone number (sent to Meta as `recipient`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    /// A group instead of a contact (where groups exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// A text message (needs an open service window; at most 4096 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Meta's template object: `{name, language: {code}, components: [...]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub template: Option<Value>,
    /// A document: an upload's `id` (`POST /media`) or a public `link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentRequest>,
    /// An image (jpeg, png): `id` or `link`, optional caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaRequest>,
    /// A video (mp4, 3gpp): `id` or `link`, optional caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<MediaRequest>,
    /// Audio or a voice note: `id` or `link` (no caption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<MediaRequest>,
    /// A sticker (webp): `id` or `link` (no caption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticker: Option<MediaRequest>,
    /// The number to send from (required when the org has several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
}

/// A document to send (the same fields as any media).
pub type DocumentRequest = MediaRequest;

/// A file to send: exactly one of `id` (an upload, `POST /media`) or `link` (public https).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MediaRequest {
    /// The id `POST /media` answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Public https URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
    /// File name shown to the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// MIME type of a link (default per kind: `image/jpeg`, `video/mp4`, `audio/ogg`,
    /// `image/webp`, `application/pdf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// Answer of `POST /messages`: 200 `sent` (Meta accepted it) or 202 `pending` (stored,
/// still being sent; its status shows in `GET /conversation`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SendResponse {
    /// `sent` or `pending`.
    pub status: String,
    /// wakit's message id (addition).
    #[serde(default)]
    pub id: String,
    /// WhatsApp's message id once Meta accepted it (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
}

/// Header that makes a send safe to retry: the same key returns the first answer.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Body of `POST /conversation/read`: mark the contact's newest incoming message read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The contact's phone, or the business-scoped user ID of a customer who shares no
    /// phone number.
    pub contact_phone: String,
    /// The number the messages arrived on (required when the org has several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
}

/// Answer of `POST /conversation/read` (202): the read receipt is queued for Meta; the
/// message shows `read` in `GET /conversation` once Meta took it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ReadResponse {
    /// `queued`.
    pub status: String,
    /// WhatsApp's id of the message marked read (the contact's newest incoming one).
    pub wamid: String,
}
