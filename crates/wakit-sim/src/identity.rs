//! Who a simulated customer is, as Meta identifies users since the 2026 rollout
//! (reference §1.1, §3.3–§3.5): a phone number (`wa_id`) when the customer shows it, a
//! business-scoped user id (BSUID, `US.13491208655302741918`) always, a parent BSUID
//! (`US.ENT.11815799212886844830`), and an optional `@username`.
//!
//! BSUIDs are deterministic: [`bsuid_for_phone`] gives the BSUID a phone customer gets
//! the first time the sandbox sees them, so tests can predict it.

use sha2::{Digest, Sha256};

/// How a customer writes in: phone, username, or both (plus an optional BSUID and
/// profile name). Build with [`Sender::phone`] or [`Sender::username`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    /// Phone digits (`from` / `wa_id`); `None` for a customer who hides it.
    pub phone: Option<String>,
    /// `@username` (stored with the `@`).
    pub username: Option<String>,
    /// A BSUID to use for a customer the sandbox does not know yet (default: derived).
    pub user_id: Option<String>,
    /// WhatsApp profile name.
    pub profile_name: Option<String>,
    /// ISO 3166 alpha-2 country of a username-only customer's BSUID (default `US`).
    pub country: Option<String>,
}

impl Sender {
    /// A customer who shows their phone number (Meta's classic shape).
    pub fn phone(phone: impl Into<String>) -> Self {
        Sender {
            phone: Some(phone.into()),
            ..Sender::default()
        }
    }

    /// A customer with a username and no visible phone number (`from` omitted).
    pub fn username(username: impl Into<String>) -> Self {
        Sender {
            username: Some(username.into()),
            ..Sender::default()
        }
    }

    /// A known customer by BSUID (or a new one with that BSUID).
    pub fn user_id(user_id: impl Into<String>) -> Self {
        Sender {
            user_id: Some(user_id.into()),
            ..Sender::default()
        }
    }

    /// Adds the phone number (the customer now shows it).
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Adds the username.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the profile name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.profile_name = Some(name.into());
        self
    }

    /// Sets the BSUID country of a username-only customer.
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }
}

/// The identity fields a customer carries in webhooks and send answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CustomerIdentity {
    /// BSUID (`contacts[].user_id`, `from_user_id`, `recipient_user_id`).
    pub user_id: String,
    /// Parent BSUID (`parent_user_id`, `from_parent_user_id`).
    pub parent_user_id: String,
    /// Phone digits, when the customer has shown them.
    pub phone: Option<String>,
    /// `@username`, if any.
    pub username: Option<String>,
    /// Profile name.
    pub profile_name: String,
}

/// Calling codes → ISO country, longest prefix first (enough for the sandbox's BSUIDs).
const COUNTRIES: &[(&str, &str)] = &[
    ("1", "US"),
    ("7", "RU"),
    ("20", "EG"),
    ("27", "ZA"),
    ("30", "GR"),
    ("31", "NL"),
    ("32", "BE"),
    ("33", "FR"),
    ("34", "ES"),
    ("39", "IT"),
    ("44", "GB"),
    ("49", "DE"),
    ("51", "PE"),
    ("52", "MX"),
    ("54", "AR"),
    ("55", "BR"),
    ("56", "CL"),
    ("57", "CO"),
    ("58", "VE"),
    ("61", "AU"),
    ("62", "ID"),
    ("63", "PH"),
    ("65", "SG"),
    ("81", "JP"),
    ("82", "KR"),
    ("86", "CN"),
    ("90", "TR"),
    ("91", "IN"),
    ("92", "PK"),
    ("234", "NG"),
    ("254", "KE"),
    ("351", "PT"),
    ("353", "IE"),
    ("972", "IL"),
    ("971", "AE"),
];

/// The ISO country of phone `digits` (by calling code; `US` when unknown).
pub fn country_of_phone(digits: &str) -> &'static str {
    COUNTRIES
        .iter()
        .filter(|(code, _)| digits.starts_with(code))
        .max_by_key(|(code, _)| code.len())
        .map(|(_, cc)| *cc)
        .unwrap_or("US")
}

/// 20 decimal digits (first non-zero) derived from `seed`.
fn digits20(seed: &str) -> String {
    let hash = Sha256::digest(seed.as_bytes());
    let mut n = u128::from_be_bytes(hash[..16].try_into().unwrap_or([0; 16]));
    n %= 9 * 10u128.pow(19);
    n += 10u128.pow(19);
    n.to_string()
}

/// The BSUID a phone customer gets when the sandbox first sees them (`None` when
/// `phone` is not 7-15 digits, `+`, spaces and dashes allowed).
pub fn bsuid_for_phone(phone: &str) -> Option<String> {
    let digits = crate::number::normalize_phone(phone)?;
    Some(format!(
        "{}.{}",
        country_of_phone(&digits),
        digits20(&format!("phone:{digits}"))
    ))
}

/// The BSUID a username-only customer gets when the sandbox first sees them.
pub fn bsuid_for_username(username: &str, country: &str) -> String {
    format!(
        "{}.{}",
        country.to_ascii_uppercase(),
        digits20(&format!("username:{}", normalize_username(username)))
    )
}

/// The parent BSUID (`CC.ENT.<digits>`) that goes with `bsuid`.
pub fn parent_bsuid(bsuid: &str) -> String {
    let country = bsuid.split('.').next().unwrap_or("US");
    format!("{country}.ENT.{}", digits20(&format!("parent:{bsuid}")))
}

/// `@name`: trimmed, with one leading `@`, lower-cased.
pub fn normalize_username(username: &str) -> String {
    let bare = username.trim().trim_start_matches('@').to_ascii_lowercase();
    format!("@{bare}")
}

/// Whether `u` is a valid username (after [`normalize_username`]).
pub(crate) fn valid_username(u: &str) -> bool {
    let bare = u.trim_start_matches('@');
    (3..=35).contains(&bare.len())
        && bare
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

/// Whether `s` looks like a BSUID (`CC.<digits>`) or a parent BSUID (`CC.ENT.<digits>`).
pub fn is_bsuid(s: &str) -> bool {
    let mut parts = s.split('.');
    let cc = parts.next().unwrap_or_default();
    let mut rest = parts.next().unwrap_or_default();
    if rest == "ENT" {
        rest = parts.next().unwrap_or_default();
    }
    cc.len() == 2
        && cc.bytes().all(|b| b.is_ascii_uppercase())
        && (10..=30).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_digit())
        && parts.next().is_none()
}

/// Whether `s` is a parent BSUID.
pub(crate) fn is_parent_bsuid(s: &str) -> bool {
    is_bsuid(s) && s.split('.').nth(1) == Some("ENT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsuids_are_stable_and_shaped_like_meta() {
        let a = bsuid_for_phone("+1 650-555-1234").expect("bsuid");
        assert_eq!(Some(a.clone()), bsuid_for_phone("16505551234"));
        assert!(a.starts_with("US.") && a.len() == 23, "{a}");
        assert!(is_bsuid(&a) && !is_parent_bsuid(&a));
        assert_ne!(Some(a.clone()), bsuid_for_phone("16505551235"));
        assert!(bsuid_for_phone("5215512345678").is_some_and(|b| b.starts_with("MX.")));
        let p = parent_bsuid(&a);
        assert!(p.starts_with("US.ENT.") && is_parent_bsuid(&p), "{p}");
        let u = bsuid_for_username("@Ana", "mx");
        assert_eq!(u, bsuid_for_username("ana", "MX"));
        assert!(u.starts_with("MX.") && is_bsuid(&u));
        assert!(!is_bsuid("16505551234") && !is_bsuid("US.12ab") && !is_bsuid("us.1234567890"));
        assert!(valid_username("@ana") && !valid_username("@a") && !valid_username("@a b c"));
    }
}
