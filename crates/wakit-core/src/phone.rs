//! Phone numbers as WhatsApp sees them: digits with country code, no `+`.
//!
//! Meta delivers the same person in different forms depending on the country:
//! Mexico's mobile `521XXXXXXXXXX` vs `52XXXXXXXXXX`, Argentina's `549…` vs `54…`,
//! and Brazil's mobile numbers with or without the ninth digit. [`Phone::key`] maps
//! every form of one person to one canonical string, so one person is one contact.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Minimum and maximum digits of an international number (E.164 allows 15).
const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;

/// A phone number as digits with country code (the form Meta sent or the user typed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a phone input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Characters other than digits, `+`, spaces, dashes, dots, parentheses.
    #[error(
        "phone number {0:?} contains characters other than digits, '+', spaces, dashes, dots or parentheses"
    )]
    InvalidCharacter(String),
    /// Too few or too many digits.
    #[error("phone number {0:?} must have between 8 and 15 digits including the country code")]
    InvalidLength(String),
    /// Starts with 0 (a national number, not international).
    #[error("phone number {0:?} must start with the country code, not 0")]
    LeadingZero(String),
}

impl Phone {
    /// Parses user or Meta input: accepts `+`, spaces, dashes, dots and parentheses
    /// and keeps the digits.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let trimmed = input.trim();
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::InvalidCharacter(input.to_string())),
            }
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(PhoneError::InvalidLength(input.to_string()));
        }
        if digits.starts_with('0') {
            return Err(PhoneError::LeadingZero(input.to_string()));
        }
        Ok(Phone(digits))
    }

    /// The digits as given.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The canonical identity of this number: equal for every form Meta may use for
    /// the same person. Mexico → `521` + 10 digits, Argentina → `549` + 10 digits,
    /// Brazil mobile → `55` + area + `9` + 8 digits. Other countries: the digits.
    pub fn key(&self) -> String {
        canonical(&self.0)
    }

    /// Whether two numbers are the same person.
    pub fn same_person(&self, other: &Phone) -> bool {
        self.key() == other.key()
    }
}

fn canonical(d: &str) -> String {
    let n = d.len();
    if let Some(rest) = d.strip_prefix("52") {
        // Mexico: national numbers are 10 digits; mobile numbers used to carry a 1.
        if n == 12 {
            return format!("521{rest}");
        }
    } else if let Some(rest) = d.strip_prefix("54") {
        // Argentina: mobile numbers carry a 9 before the 10-digit national number.
        if n == 12 {
            return format!("549{rest}");
        }
    } else if let Some(rest) = d.strip_prefix("55") {
        // Brazil: area code (2 digits) + 8-digit mobile starting 6–9 gained a leading 9.
        if n == 12 {
            let (area, local) = rest.split_at(2);
            if local.starts_with(['6', '7', '8', '9']) {
                return format!("55{area}9{local}");
            }
        }
    }
    d.to_string()
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Phone {
        Phone::parse(s).expect("valid phone")
    }

    #[test]
    fn formatting_is_stripped() {
        assert_eq!(p("+52 1 (555) 123-4567").digits(), "5215551234567");
        assert_eq!(p("1.650.555.1234").digits(), "16505551234");
    }

    #[test]
    fn malformed_input_is_refused_with_reason() {
        assert!(matches!(
            Phone::parse("55a12"),
            Err(PhoneError::InvalidCharacter(_))
        ));
        assert!(matches!(
            Phone::parse("12+34567890"),
            Err(PhoneError::InvalidCharacter(_))
        ));
        assert!(matches!(
            Phone::parse("1234"),
            Err(PhoneError::InvalidLength(_))
        ));
        assert!(matches!(
            Phone::parse("1234567890123456"),
            Err(PhoneError::InvalidLength(_))
        ));
        assert!(matches!(
            Phone::parse(""),
            Err(PhoneError::InvalidLength(_))
        ));
        assert!(matches!(
            Phone::parse("0445512345678"),
            Err(PhoneError::LeadingZero(_))
        ));
    }

    #[test]
    fn mexico_with_and_without_the_one_is_one_person() {
        assert!(p("5215551234567").same_person(&p("525551234567")));
        assert_eq!(p("525551234567").key(), "5215551234567");
    }

    #[test]
    fn argentina_with_and_without_the_nine_is_one_person() {
        assert!(p("5491123456789").same_person(&p("541123456789")));
        assert_eq!(p("541123456789").key(), "5491123456789");
    }

    #[test]
    fn brazil_mobile_ninth_digit_is_one_person() {
        assert!(p("5511987654321").same_person(&p("551187654321")));
        assert_eq!(p("551187654321").key(), "5511987654321");
        // Landlines (starting 2–5) never gained a ninth digit.
        assert_eq!(p("551132654321").key(), "551132654321");
        assert!(!p("551132654321").same_person(&p("5511932654321")));
    }

    #[test]
    fn other_countries_are_their_digits() {
        assert_eq!(p("16505551234").key(), "16505551234");
        assert!(!p("16505551234").same_person(&p("16505551235")));
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<Phone>("\"+52 55 5123 4567\"").is_ok());
        assert!(serde_json::from_str::<Phone>("\"hello\"").is_err());
    }

    proptest! {
        #[test]
        fn key_is_idempotent_and_parse_accepts_its_output(digits in "[1-9][0-9]{7,14}") {
            let phone = p(&digits);
            let key = phone.key();
            prop_assert_eq!(p(&key).key(), key.clone());
            prop_assert!(key.len() >= digits.len());
        }

        #[test]
        fn decoration_never_changes_the_number(digits in "[1-9][0-9]{7,14}", sep in "[ .-]{0,2}") {
            let decorated: String = std::iter::once("+".to_string())
                .chain(digits.chars().map(|c| format!("{c}{sep}")))
                .collect();
            let parsed = p(&decorated);
            prop_assert_eq!(parsed.digits(), digits.as_str());
        }
    }
}
