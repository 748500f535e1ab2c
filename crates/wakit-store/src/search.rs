//! Contact search queries and their bounds.

/// Longest `name` a contact search takes, in characters (a display name or username
/// fits; a longer query is an attack on the index, not a search).
pub const MAX_SEARCH_NAME: usize = 64;
/// Longest `number` a contact search takes, in digits.
pub const MAX_SEARCH_DIGITS: usize = 20;
/// How long one contact search may run before it is stopped (`Unavailable`).
pub const SEARCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Contact search. `name` is case- and accent-insensitive partial; `number` is any part
/// of the digits; both → AND; neither → all, ordered by name. Backends refuse (with
/// `Other`) a name over [`MAX_SEARCH_NAME`] characters or with control characters and a
/// number over [`MAX_SEARCH_DIGITS`] digits, and stop a search after [`SEARCH_TIMEOUT`].
#[derive(Clone, Debug, Default)]
pub struct ContactQuery {
    /// Partial name.
    pub name: Option<String>,
    /// Partial digits.
    pub number: Option<String>,
    /// Max results.
    pub limit: u32,
}

impl ContactQuery {
    /// Why this query is refused, if it is (a sentence for the API's 400).
    pub fn problem(&self) -> Option<String> {
        if let Some(name) = &self.name {
            if name.chars().count() > MAX_SEARCH_NAME {
                return Some(format!("name must be at most {MAX_SEARCH_NAME} characters"));
            }
            if name.chars().any(char::is_control) {
                return Some("name must not contain control characters".into());
            }
        }
        if let Some(number) = &self.number
            && number.chars().filter(char::is_ascii_digit).count() > MAX_SEARCH_DIGITS
        {
            return Some(format!("number must be at most {MAX_SEARCH_DIGITS} digits"));
        }
        None
    }
}
