//! `GET /contacts`, `GET /templates`, `GET /health`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ContactBrief;

/// Query of `GET /contacts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ContactsQuery {
    /// Part of the name or WhatsApp username (case- and accent-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Part of the digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Max results (default 10, clamped to 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `GET /contacts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ContactsResponse {
    /// Ordered by name, then phone.
    pub contacts: Vec<ContactBrief>,
}

/// One template in `GET /templates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TemplateItem {
    /// Meta's template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, ...
    pub status: String,
    /// `UTILITY`, `MARKETING`, `AUTHENTICATION`.
    pub category: String,
    /// Language code (`es`, `en_US`).
    pub language: String,
}

/// `GET /templates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TemplatesResponse {
    /// By name, then language.
    pub templates: Vec<TemplateItem>,
    /// Set when Meta could not be asked for a fresh list and this is the cached one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// `GET /templates?template_id=...`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TemplateDetail {
    /// Meta's template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Category.
    pub category: String,
    /// Language code.
    pub language: String,
    /// Meta's components (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub components: Value,
}

/// One number in `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthItem {
    /// Digits.
    pub phone: String,
    /// Verified name.
    pub name: String,
    /// Meta's phone-number id.
    pub address: String,
    /// `active` or `error`.
    pub status: String,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    /// Meta's current messaging limit (or the deprecated tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_limit: Option<String>,
    /// Meta's message when the check failed (or `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Meta's error code when the check failed (addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

/// `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// Every connected number.
    pub accounts: Vec<HealthItem>,
}

/// What `GET /templates` answers: the list, or one template when `template_id` is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TemplatesAnswer {
    /// Without `template_id`.
    List(TemplatesResponse),
    /// With `template_id`.
    Detail(TemplateDetail),
}

/// Query of `GET /templates`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct TemplatesQuery {
    /// The number whose templates to list (required when the org has several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_phone: Option<String>,
    /// One template's id: answers its details with components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
}

/// One quick reply (a saved answer), as the data API's `quick_replies` table holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct QuickReply {
    /// Its id.
    pub id: String,
    /// Its short name.
    pub name: String,
    /// The text it inserts.
    pub content: String,
}

/// The org's quick replies, by name (the MCP tool `list_quick_replies`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct QuickRepliesResponse {
    /// By name.
    pub quick_replies: Vec<QuickReply>,
}
