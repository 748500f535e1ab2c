//! Business phone numbers: what a test registers and what the sandbox reports (reference §5).

use serde::Serialize;
use serde_json::{Value, json};

/// A number's quality rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Quality {
    /// High quality.
    Green,
    /// Medium quality.
    Yellow,
    /// Low quality.
    Red,
    /// New number, not rated yet.
    Na,
    /// Unknown.
    Unknown,
}

impl Quality {
    /// Meta's word (`GREEN`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Quality::Green => "GREEN",
            Quality::Yellow => "YELLOW",
            Quality::Red => "RED",
            Quality::Na => "NA",
            Quality::Unknown => "UNKNOWN",
        }
    }

    /// Parses Meta's word (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GREEN" => Quality::Green,
            "YELLOW" => Quality::Yellow,
            "RED" => Quality::Red,
            "NA" => Quality::Na,
            "UNKNOWN" => Quality::Unknown,
            _ => return None,
        })
    }

    /// Higher is better; unrated counts as good.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Quality::Red => 0,
            Quality::Yellow => 1,
            _ => 2,
        }
    }
}

/// The portfolio messaging limit (unique users per 24 h outside a window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum MessagingLimit {
    /// 250 users.
    #[serde(rename = "TIER_250")]
    Tier250,
    /// 2,000 users.
    #[serde(rename = "TIER_2K")]
    Tier2K,
    /// 10,000 users.
    #[serde(rename = "TIER_10K")]
    Tier10K,
    /// 100,000 users.
    #[serde(rename = "TIER_100K")]
    Tier100K,
    /// No limit.
    #[serde(rename = "TIER_UNLIMITED")]
    Unlimited,
}

impl MessagingLimit {
    /// The current field's value (`whatsapp_business_manager_messaging_limit`).
    pub fn as_str(&self) -> &'static str {
        match self {
            MessagingLimit::Tier250 => "TIER_250",
            MessagingLimit::Tier2K => "TIER_2K",
            MessagingLimit::Tier10K => "TIER_10K",
            MessagingLimit::Tier100K => "TIER_100K",
            MessagingLimit::Unlimited => "TIER_UNLIMITED",
        }
    }

    /// The deprecated `messaging_limit_tier` value closest to this limit.
    pub fn deprecated_tier(&self) -> &'static str {
        match self {
            MessagingLimit::Tier250 => "TIER_250",
            MessagingLimit::Tier2K => "TIER_1K",
            MessagingLimit::Tier10K => "TIER_10K",
            MessagingLimit::Tier100K => "TIER_100K",
            MessagingLimit::Unlimited => "TIER_UNLIMITED",
        }
    }

    /// Parses a current or a deprecated tier name (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "TIER_50" | "TIER_250" => MessagingLimit::Tier250,
            "TIER_1K" | "TIER_2K" => MessagingLimit::Tier2K,
            "TIER_10K" => MessagingLimit::Tier10K,
            "TIER_100K" => MessagingLimit::Tier100K,
            "TIER_UNLIMITED" | "UNLIMITED" => MessagingLimit::Unlimited,
            _ => return None,
        })
    }
}

/// `health_status.can_send_message` (reference §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CanSend {
    /// No restriction.
    Available,
    /// Some restriction (explained in `additional_info`).
    Limited,
    /// Cannot send (explained in `errors`).
    Blocked,
}

impl CanSend {
    /// Meta's word.
    pub fn as_str(&self) -> &'static str {
        match self {
            CanSend::Available => "AVAILABLE",
            CanSend::Limited => "LIMITED",
            CanSend::Blocked => "BLOCKED",
        }
    }

    /// Parses Meta's word (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "AVAILABLE" => CanSend::Available,
            "LIMITED" => CanSend::Limited,
            "BLOCKED" => CanSend::Blocked,
            _ => return None,
        })
    }
}

/// Default throughput of a number, in messages per second.
pub const DEFAULT_MPS: u32 = 80;
/// Highest throughput a number can have.
pub const MAX_MPS: u32 = 1000;

/// A number to register. Ids and the token are generated when left `None`.
#[derive(Clone, Debug)]
pub struct NumberSpec {
    /// Graph id of the number (`phone_number_id`).
    pub phone_number_id: Option<String>,
    /// The number's digits (`15550783881`).
    pub display_phone_number: String,
    /// Approved display name.
    pub verified_name: Option<String>,
    /// The WABA the number belongs to.
    pub waba_id: Option<String>,
    /// The token Graph calls for this number must carry.
    pub access_token: Option<String>,
    /// Initial quality rating.
    pub quality_rating: Quality,
    /// Initial messaging limit.
    pub messaging_limit: MessagingLimit,
    /// Initial throughput (messages per second, `1..=1000`).
    pub throughput_mps: u32,
}

impl NumberSpec {
    /// A spec for `digits` with everything else defaulted.
    pub fn new(digits: impl Into<String>) -> Self {
        NumberSpec {
            phone_number_id: None,
            display_phone_number: digits.into(),
            verified_name: None,
            waba_id: None,
            access_token: None,
            quality_rating: Quality::Green,
            messaging_limit: MessagingLimit::Tier2K,
            throughput_mps: DEFAULT_MPS,
        }
    }

    /// Sets the Graph id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.phone_number_id = Some(id.into());
        self
    }

    /// Sets the access token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// Sets the WABA id.
    pub fn waba(mut self, waba_id: impl Into<String>) -> Self {
        self.waba_id = Some(waba_id.into());
        self
    }

    /// Sets the display name.
    pub fn name(mut self, verified_name: impl Into<String>) -> Self {
        self.verified_name = Some(verified_name.into());
        self
    }
}

/// A registered number as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Number {
    /// Graph id.
    pub phone_number_id: String,
    /// Digits.
    pub display_phone_number: String,
    /// Display name.
    pub verified_name: String,
    /// WABA id.
    pub waba_id: String,
    /// The valid token.
    pub access_token: String,
    /// Whether the token has been expired.
    pub token_expired: bool,
    /// Quality rating.
    pub quality_rating: Quality,
    /// Messaging limit.
    pub messaging_limit: MessagingLimit,
    /// Throughput in messages per second.
    pub throughput_mps: u32,
    /// `health_status.can_send_message` of the number entity.
    pub health: CanSend,
}

impl Number {
    /// `throughput.level`: `HIGH` at 1000 mps, else `STANDARD`.
    pub fn throughput_level(&self) -> &'static str {
        if self.throughput_mps >= MAX_MPS {
            "HIGH"
        } else {
            "STANDARD"
        }
    }

    /// The number formatted as Graph shows it (`+1 555-078-3881`).
    pub fn formatted_number(&self) -> String {
        format_phone(&self.display_phone_number)
    }

    /// Every field `GET /{phone-number-id}` can return, by name.
    pub(crate) fn graph_fields(&self) -> Vec<(&'static str, Value)> {
        let status = if self.quality_rating == Quality::Red {
            "FLAGGED"
        } else {
            "CONNECTED"
        };
        vec![
            ("verified_name", json!(self.verified_name)),
            ("code_verification_status", json!("VERIFIED")),
            ("display_phone_number", json!(self.formatted_number())),
            ("quality_rating", json!(self.quality_rating.as_str())),
            ("platform_type", json!("CLOUD_API")),
            ("throughput", json!({"level": self.throughput_level()})),
            ("id", json!(self.phone_number_id)),
            (
                "whatsapp_business_manager_messaging_limit",
                json!(self.messaging_limit.as_str()),
            ),
            (
                "messaging_limit_tier",
                json!(self.messaging_limit.deprecated_tier()),
            ),
            ("status", json!(status)),
            ("name_status", json!("APPROVED")),
            ("account_mode", json!("LIVE")),
            ("is_official_business_account", json!(false)),
            ("is_pin_enabled", json!(false)),
            (
                "quality_score",
                json!({"score": self.quality_rating.as_str()}),
            ),
            ("search_visibility", json!("VISIBLE")),
            ("health_status", self.health_status()),
        ]
    }

    /// Meta's `health_status` object for this number (reference §5.2).
    pub(crate) fn health_status(&self) -> Value {
        let mut phone = json!({"entity_type": "PHONE_NUMBER", "id": self.phone_number_id,
            "can_send_message": self.health.as_str()});
        match self.health {
            CanSend::Limited => {
                phone["additional_info"] =
                    json!(["The sandbox marked this phone number as limited."])
            }
            CanSend::Blocked => {
                phone["errors"] = json!([{"error_code": 141000,
                    "error_description": "The sandbox marked this phone number as blocked.",
                    "possible_solution": "Set its health back to AVAILABLE through the sandbox control API."}])
            }
            CanSend::Available => {}
        }
        json!({
            "can_send_message": self.health.as_str(),
            "entities": [
                phone,
                {"entity_type": "WABA", "id": self.waba_id, "can_send_message": "AVAILABLE"},
                {"entity_type": "BUSINESS", "id": "506914307656634", "can_send_message": "AVAILABLE"},
                {"entity_type": "APP", "id": "634974688087057", "can_send_message": "AVAILABLE"}
            ]
        })
    }
}

/// Formats digits the way Graph displays numbers: `+1 555-078-3881` for NANP numbers,
/// `+<cc> <rest>` otherwise (country code guessed as 1–3 digits).
pub fn format_phone(digits: &str) -> String {
    if digits.len() == 11 && digits.starts_with('1') {
        return format!("+1 {}-{}-{}", &digits[1..4], &digits[4..7], &digits[7..11]);
    }
    let cc_len = match digits.as_bytes().first() {
        Some(b'1') | Some(b'7') => 1,
        _ if digits.len() > 11 => 2,
        _ => 2.min(digits.len()),
    };
    let (cc, rest) = digits.split_at(cc_len.min(digits.len()));
    format!("+{cc} {rest}")
}

/// Digits of a phone input (`+`, spaces, dashes, dots and parentheses removed), or
/// `None` if anything else is left or the length is not 7–15.
pub fn normalize_phone(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let ok = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(format_phone("15550967852"), "+1 555-096-7852");
        assert_eq!(format_phone("5215512345678"), "+52 15512345678");
        assert_eq!(
            normalize_phone("+1 (555) 096-7852").as_deref(),
            Some("15550967852")
        );
        assert_eq!(normalize_phone("12ab"), None);
        assert_eq!(normalize_phone("123"), None);
    }

    #[test]
    fn limits_parse_both_namings() {
        assert_eq!(
            MessagingLimit::parse("tier_1k"),
            Some(MessagingLimit::Tier2K)
        );
        assert_eq!(MessagingLimit::Tier2K.deprecated_tier(), "TIER_1K");
        assert!(MessagingLimit::Tier250 < MessagingLimit::Unlimited);
    }
}
