//! `GET /conversations` and `GET /conversation` (alias `GET /messages`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AccountRef, ContactBrief};

/// Query of `GET /conversations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ConversationsQuery {
    /// Max conversations (default 10, clamped to 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The number to use (required when the org has several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
}

/// `GET /conversations`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ConversationsResponse {
    /// The number whose conversations these are.
    pub account: AccountRef,
    /// Newest message first.
    pub conversations: Vec<ConversationItem>,
}

/// One conversation with its preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ConversationItem {
    /// The conversation's id (addition).
    #[serde(default)]
    pub id: String,
    /// Who it is with.
    pub contact: ContactBrief,
    /// Incoming messages after the last outgoing one.
    pub unread: u32,
    /// The newest message; null when the conversation has none.
    pub last_message: Option<LastMessage>,
}

/// The preview of a conversation's newest message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct LastMessage {
    /// The message id (addition).
    #[serde(default)]
    pub id: String,
    /// `incoming` or `outgoing`.
    pub direction: String,
    /// The content (normalized v1 part: at least `kind` and `text`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Value,
    /// Human label in the org's timezone: `HH:MM`, `yesterday`, a weekday, `YYYY-MM-DD`.
    pub timestamp: String,
    /// RFC 3339 UTC instant (addition).
    #[serde(default)]
    pub at: String,
    /// `pending`, `sent`, `delivered`, `read` or `failed`.
    pub status: String,
}

/// Query of `GET /conversation` and `GET /messages`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ConversationQuery {
    /// The contact's phone (digits with country code; `+`, spaces, dashes accepted), or
    /// the business-scoped user ID of a customer who shares no phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
    /// A group instead of a contact (where groups exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Max messages (default 50, clamped to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The number to use (required when the org has several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
}

/// `GET /conversation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ConversationResponse {
    /// The org's number.
    pub account: AccountRef,
    /// The contact.
    pub contact: ContactBrief,
    /// `open` when the contact's newest incoming message (whole history) is < 24 h old.
    pub service_window: String,
    /// When the open window closes, RFC 3339 (addition; null when closed).
    #[serde(default)]
    pub service_window_expires_at: Option<String>,
    /// The conversation's id (addition).
    #[serde(default)]
    pub conversation_id: String,
    /// The last `limit` messages, oldest first.
    pub messages: Vec<MessageItem>,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MessageItem {
    /// The message id (addition; the one `POST /messages` returned).
    #[serde(default)]
    pub id: String,
    /// `incoming` or `outgoing`.
    pub direction: String,
    /// The content (normalized v1 part).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: Value,
    /// Human label in the org's timezone.
    pub time: String,
    /// RFC 3339 UTC instant (addition).
    #[serde(default)]
    pub at: String,
    /// One status word.
    pub status: String,
    /// WhatsApp's message id, once Meta accepted it (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
    /// Meta's errors when the message failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub errors: Option<Vec<Value>>,
}
