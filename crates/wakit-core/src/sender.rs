//! Who a customer is: a phone number, a business-scoped user ID (BSUID), or both.
//!
//! Since Meta's 2026 rollout every customer also has a BSUID (`US.13491208655302741918`,
//! scoped to the business portfolio), and a customer who adopted a username may write
//! in with no phone number at all. A contact is keyed by its phone ([`Phone::key`]) when
//! the phone is known, else by its BSUID; the store joins the two when a message brings
//! both.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::phone::{Phone, PhoneError};

/// Longest BSUID accepted (Meta's are ~20–40 characters).
const MAX_USER_ID: usize = 128;
/// Longest username kept.
const MAX_USERNAME: usize = 64;

/// A business-scoped user ID (or parent BSUID), e.g. `US.13491208655302741918`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

/// Why a BSUID input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a WhatsApp user ID (expected a country code, a dot and letters or digits, e.g. US.13491208655302741918)"
)]
pub struct UserIdError(pub String);

impl UserId {
    /// Parses a BSUID: a two-letter upper-case country code, a dot, then letters,
    /// digits, `.`, `_` or `-` with at least one digit (4–128 characters in all), so a
    /// name such as `Dr.Smith` is never taken for one.
    pub fn parse(input: &str) -> Result<UserId, UserIdError> {
        let s = input.trim();
        let b = s.as_bytes();
        let ok = (4..=MAX_USER_ID).contains(&s.len())
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_uppercase()
            && b[2] == b'.'
            && s.bytes().skip(3).any(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(UserId(s.to_string()))
        } else {
            Err(UserIdError(input.to_string()))
        }
    }

    /// The id as Meta wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UserId::parse(&s)
    }
}

impl From<UserId> for String {
    fn from(u: UserId) -> String {
        u.0
    }
}

/// The sender of an inbound message: at least one of phone and BSUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// The phone number, when Meta sent one (`from` / `wa_id`).
    pub phone: Option<Phone>,
    /// The BSUID (`from_user_id` / `contacts[].user_id`).
    pub user_id: Option<UserId>,
    /// The parent BSUID (`from_parent_user_id`), for linked business portfolios.
    pub parent_user_id: Option<UserId>,
    /// The customer's WhatsApp username (`profile.username`), when they adopted one.
    pub username: Option<String>,
}

impl Sender {
    /// A sender known by BSUID and/or phone; `None` when neither is given.
    pub fn new(phone: Option<Phone>, user_id: Option<UserId>) -> Option<Sender> {
        (phone.is_some() || user_id.is_some()).then_some(Sender {
            phone,
            user_id,
            parent_user_id: None,
            username: None,
        })
    }

    /// A sender from Meta's fields: the phone (`from`), BSUID, parent BSUID and username.
    /// An invalid phone or BSUID is an error; an invalid parent BSUID or username is
    /// dropped (they only describe the customer).
    pub fn parse(
        phone: Option<&str>,
        user_id: Option<&str>,
        parent_user_id: Option<&str>,
        username: Option<&str>,
    ) -> Result<Sender, CustomerRefError> {
        let phone = phone
            .map(Phone::parse)
            .transpose()
            .map_err(CustomerRefError::Phone)?;
        let user_id = user_id
            .map(UserId::parse)
            .transpose()
            .map_err(CustomerRefError::UserId)?;
        let Some(mut sender) = Sender::new(phone, user_id) else {
            return Err(CustomerRefError::Missing);
        };
        sender.parent_user_id = parent_user_id.and_then(|p| UserId::parse(p).ok());
        Ok(sender.with_username(username))
    }

    /// The contact key this sender has on its own: the phone's canonical key, else the
    /// BSUID. (The store may find the BSUID already joined to a phone's contact.)
    pub fn key(&self) -> String {
        match (&self.phone, &self.user_id) {
            (Some(p), _) => p.key(),
            (None, Some(u)) => u.0.clone(),
            (None, None) => String::new(),
        }
    }

    /// How the customer is addressed: the phone digits in Meta's form, else the BSUID.
    pub fn address(&self) -> &str {
        match (&self.phone, &self.user_id) {
            (Some(p), _) => p.digits(),
            (None, Some(u)) => u.as_str(),
            (None, None) => "",
        }
    }

    /// Sets the username, dropping an empty or over-long one.
    pub fn with_username(mut self, username: Option<&str>) -> Sender {
        self.username = username
            .map(str::trim)
            .filter(|u| !u.is_empty() && u.chars().count() <= MAX_USERNAME)
            .map(str::to_string);
        self
    }
}

impl From<Phone> for Sender {
    fn from(phone: Phone) -> Sender {
        Sender {
            phone: Some(phone),
            user_id: None,
            parent_user_id: None,
            username: None,
        }
    }
}

/// How an API caller names a customer: a phone number or a BSUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerRef {
    /// A phone number in any accepted form.
    Phone(Phone),
    /// A business-scoped user ID.
    UserId(UserId),
}

impl CustomerRef {
    /// A BSUID when the input has a letter (phones never do), else a phone number.
    pub fn parse(input: &str) -> Result<CustomerRef, CustomerRefError> {
        if input.trim().starts_with(|c: char| c.is_ascii_alphabetic()) {
            UserId::parse(input)
                .map(CustomerRef::UserId)
                .map_err(CustomerRefError::UserId)
        } else {
            Phone::parse(input)
                .map(CustomerRef::Phone)
                .map_err(CustomerRefError::Phone)
        }
    }
}

impl CustomerRef {
    /// How the customer is addressed: the phone digits as given, or the BSUID.
    pub fn as_str(&self) -> &str {
        match self {
            CustomerRef::Phone(p) => p.digits(),
            CustomerRef::UserId(u) => u.as_str(),
        }
    }

    /// The phone, if this is one.
    pub fn phone(&self) -> Option<&Phone> {
        match self {
            CustomerRef::Phone(p) => Some(p),
            CustomerRef::UserId(_) => None,
        }
    }

    /// The key a contact has on this identity alone (phone key, or the BSUID).
    pub fn key(&self) -> String {
        match self {
            CustomerRef::Phone(p) => p.key(),
            CustomerRef::UserId(u) => u.as_str().to_string(),
        }
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Phone> for CustomerRef {
    fn from(p: Phone) -> CustomerRef {
        CustomerRef::Phone(p)
    }
}

impl From<CustomerRef> for Sender {
    fn from(c: CustomerRef) -> Sender {
        match c {
            CustomerRef::Phone(p) => p.into(),
            CustomerRef::UserId(u) => Sender {
                phone: None,
                user_id: Some(u),
                parent_user_id: None,
                username: None,
            },
        }
    }
}

impl Serialize for CustomerRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a contact reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerRefError {
    /// Not a valid phone number.
    #[error(transparent)]
    Phone(PhoneError),
    /// Not a valid BSUID.
    #[error(transparent)]
    UserId(UserIdError),
    /// Neither a phone number nor a BSUID.
    #[error("neither a phone number nor a WhatsApp user ID")]
    Missing,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_ids_are_validated() {
        for ok in [
            "US.13491208655302741918",
            "MX.1234567890123456789",
            "US.ENT.123",
        ] {
            assert_eq!(UserId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "US",
            "1234.5",
            "US 123.4",
            "US.12'; DROP",
            &"U.1".repeat(50),
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sender_keys_prefer_the_phone() {
        let u = UserId::parse("MX.1").unwrap();
        assert!(UserId::parse("mx.1").is_err());
        let p = Phone::parse("5215512345678").unwrap();
        let both = Sender::new(Some(p.clone()), Some(u.clone())).unwrap();
        assert_eq!(both.key(), p.key());
        assert_eq!(both.address(), "5215512345678");
        let only = Sender::new(None, Some(u)).unwrap();
        assert_eq!((only.key().as_str(), only.address()), ("MX.1", "MX.1"));
        assert!(Sender::new(None, None).is_none());
        let named = only.with_username(Some(" @ana ")).with_username(Some(""));
        assert_eq!(named.username, None);
    }

    #[test]
    fn contact_refs_tell_phones_from_user_ids() {
        assert!(matches!(
            CustomerRef::parse("+52 1 55 1234 5678"),
            Ok(CustomerRef::Phone(_))
        ));
        assert!(matches!(
            CustomerRef::parse("MX.1234567890123456789"),
            Ok(CustomerRef::UserId(_))
        ));
        assert!(CustomerRef::parse("MX 12").is_err());
        assert!(CustomerRef::parse("12ab").is_err());
    }
}
