//! The tools' inputs, with the hosted product's names and defaults (every `limit` 10).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wakit_api::SendRequest;

/// Every `limit`'s default.
pub const DEFAULT_LIMIT: u32 = 10;

fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

/// `list_conversations`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListConversations {
    /// Most conversations to return (default 10, at most 200).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// The org's number to use (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
}

/// `fetch_conversation`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchConversation {
    /// The contact's phone number with country code (`+`, spaces, dashes accepted).
    pub contact_phone: String,
    /// The org's number to use (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
    /// Most recent messages to return, oldest first (default 10, at most 1000).
    #[serde(default = "default_limit")]
    pub limit: u32,
}

/// `search_contacts`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchContacts {
    /// Part of the contact's name (case- and accent-insensitive).
    #[serde(default)]
    pub name: Option<String>,
    /// Part of the contact's number (digits).
    #[serde(default)]
    pub number: Option<String>,
    /// Most contacts to return (default 10, at most 200).
    #[serde(default = "default_limit")]
    pub limit: u32,
}

/// `list_accounts` takes nothing.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListAccounts {}

/// `list_quick_replies` takes nothing.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListQuickReplies {}

/// `list_templates`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListTemplates {
    /// The org's number whose templates to list (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
}

/// `fetch_template`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchTemplate {
    /// The template's id (from `list_templates`).
    pub template_id: String,
    /// The org's number the template belongs to (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
}

/// `mark_read`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarkRead {
    /// The contact whose newest incoming message to mark read.
    pub contact_phone: String,
    /// The org's number the messages arrived on (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
}

/// `send_message`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SendMessage {
    /// The contact's phone number with country code.
    pub contact_phone: String,
    /// What to send: a v1 content part.
    pub content: ContentPart,
    /// The org's number to send from (required when the org has several).
    #[serde(default)]
    pub account_phone: Option<String>,
    /// Makes retries safe: the same key within 24 h returns the first send's answer and
    /// never sends twice (as the REST API's `Idempotency-Key`).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A v1 content part: `{"type": "text", "text": "..."}` (needs the contact's 24 h window
/// open), `{"type": "data", "kind": "template", "data": {"name", "language": {"code"},
/// "components"}}`, or `{"type": "file", "kind": "document", "file": {"uri", "mime_type",
/// "name"}, "text": "caption"}` (needs the window open).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ContentPart {
    /// `text`, `data` (a template) or `file` (a document).
    #[serde(rename = "type")]
    pub part_type: String,
    /// `text`, `template` or `document` (optional; follows from `type`).
    #[serde(default)]
    pub kind: Option<String>,
    /// The text, or a document's caption.
    #[serde(default)]
    pub text: Option<String>,
    /// The template: Meta's template object `{name, language: {code}, components}`.
    #[serde(default)]
    pub data: Option<Value>,
    /// The document.
    #[serde(default)]
    pub file: Option<FilePart>,
}

/// A document by public link.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct FilePart {
    /// Public https:// URL of the file.
    pub uri: String,
    /// MIME type (default `application/pdf`).
    #[serde(default)]
    pub mime_type: Option<String>,
    /// File name shown to the contact.
    #[serde(default)]
    pub name: Option<String>,
}

impl SendMessage {
    /// The REST API's request for this send, or why the content cannot be sent.
    pub fn request(self, account_phone: Option<String>) -> Result<SendRequest, String> {
        let part = serde_json::to_value(&self.content).map_err(|e| e.to_string())?;
        Ok(SendRequest {
            contact_phone: Some(self.contact_phone),
            account_phone,
            ..crate::outgoing::from_part(&part)?
        })
    }
}
