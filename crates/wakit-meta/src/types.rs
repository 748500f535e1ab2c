//! What the Graph API answers, as wakit reads it.

use serde::Deserialize;
use serde_json::Value;

/// Meta accepted a send (not yet delivered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendOk {
    /// The new message's wamid.
    pub wamid: String,
    /// `messages[0].message_status` (`accepted`, `held_for_quality_assessment`, ...).
    pub message_status: Option<String>,
}

/// One template as listed by `GET /{waba-id}/message_templates` (reference §4.2).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Template {
    /// Template id.
    pub id: String,
    /// Template name.
    pub name: String,
    /// Locale, e.g. `en_US`.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, ...
    pub status: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: String,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    /// Meta's `components[]` (HEADER/BODY/FOOTER/BUTTONS ...).
    pub components: Vec<Value>,
    /// `quality_score` object, when present.
    pub quality_score: Option<Value>,
    /// `rejected_reason`, when present.
    pub rejected_reason: Option<String>,
}

/// A business number's profile and health (`GET /{phone-number-id}`, reference §5).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NumberInfo {
    /// The phone-number id.
    pub id: Option<String>,
    /// Approved display name.
    pub verified_name: Option<String>,
    /// Formatted number, e.g. `+1 555-096-7852`.
    pub display_phone_number: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `NA`, `UNKNOWN`.
    pub quality_rating: Option<String>,
    /// `whatsapp_business_manager_messaging_limit`, else the deprecated `messaging_limit_tier`.
    pub messaging_limit: Option<String>,
    /// `throughput.level` (`STANDARD`, `HIGH`, ...).
    pub throughput: Option<String>,
    /// `status` (`CONNECTED`, `FLAGGED`, ...).
    pub status: Option<String>,
    /// Meta's `health_status` object.
    pub health_status: Option<Value>,
}

impl NumberInfo {
    /// Reads the fields from Meta's JSON object.
    pub fn from_json(v: &Value) -> Self {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        NumberInfo {
            id: s("id"),
            verified_name: s("verified_name"),
            display_phone_number: s("display_phone_number"),
            quality_rating: s("quality_rating"),
            messaging_limit: s("whatsapp_business_manager_messaging_limit")
                .or_else(|| s("messaging_limit_tier")),
            throughput: v
                .pointer("/throughput/level")
                .and_then(Value::as_str)
                .map(str::to_string),
            status: s("status"),
            health_status: v.get("health_status").filter(|h| !h.is_null()).cloned(),
        }
    }
}
