//! `Allowed-Contacts` / `Allowed-Accounts`: comma lists of phone numbers that limit what
//! a caller's tools see and do (non-digits stripped; an empty list = no restriction).

use wakit_core::Phone;

/// The header limiting the contacts a caller may list, read and message.
pub const ALLOWED_CONTACTS: &str = "Allowed-Contacts";
/// The header limiting the org's numbers a caller may use.
pub const ALLOWED_ACCOUNTS: &str = "Allowed-Accounts";

/// The numbers a caller is limited to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowed {
    contacts: Vec<String>,
    accounts: Vec<String>,
}

impl Allowed {
    /// The lists as the headers give them.
    pub fn parse(contacts: Option<&str>, accounts: Option<&str>) -> Allowed {
        Allowed {
            contacts: digits_list(contacts),
            accounts: digits_list(accounts),
        }
    }

    /// Whether the caller may see and message this contact.
    pub fn contact(&self, phone: &str) -> bool {
        within(&self.contacts, phone)
    }

    /// Whether the caller may use this number of the org.
    pub fn account(&self, phone: &str) -> bool {
        within(&self.accounts, phone)
    }

    /// Whether contacts are limited.
    pub fn limits_contacts(&self) -> bool {
        !self.contacts.is_empty()
    }

    /// Whether the org's numbers are limited.
    pub fn limits_accounts(&self) -> bool {
        !self.accounts.is_empty()
    }
}

fn digits_list(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(|item| {
            item.chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Whether `raw` is one of `list` (the same person's number, e.g. Mexico's `521`/`52`),
/// or anything at all when the list is empty.
fn within(list: &[String], raw: &str) -> bool {
    if list.is_empty() {
        return true;
    }
    let Ok(phone) = Phone::parse(raw) else {
        return false;
    };
    list.iter()
        .filter_map(|item| Phone::parse(item).ok())
        .any(|item| item.same_person(&phone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_strip_non_digits_and_an_empty_list_allows_everyone() {
        let a = Allowed::parse(Some("+52 1 55 5123 4567, ,(1) 555-123-0100"), None);
        assert!(a.contact("5215551234567"));
        assert!(a.contact("+1 555 123 0100"));
        assert!(!a.contact("5215550000000"));
        assert!(!a.contact("not a phone"));
        assert!(a.account("5215550000000"));
        assert!(!Allowed::parse(Some(" , "), Some("")).limits_contacts());
    }
}
