//! `GET /contacts`, `GET /templates`, `GET /health`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ContactBrief;

/// Query of `GET /contacts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsQuery {
    /// Part of the name (case- and accent-insensitive).
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
pub struct ContactsResponse {
    /// Ordered by name, then phone.
    pub contacts: Vec<ContactBrief>,
}

/// One template in `GET /templates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct TemplatesResponse {
    /// By name, then language.
    pub templates: Vec<TemplateItem>,
}

/// `GET /templates?template_id=...`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub components: Value,
}

/// One number in `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct HealthResponse {
    /// Every connected number.
    pub accounts: Vec<HealthItem>,
}
