//! Text folding for search: `María` and `maria` are the same query.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases and strips accents (NFD, drop combining marks), so search can be case- and
/// accent-insensitive with a plain `LIKE` on a folded column.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Escapes `%`, `_` and `\` for use inside a SQL `LIKE ... ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("María José GARCÍA"), "maria jose garcia");
        assert_eq!(fold("Ñandú"), "nandu");
        assert_eq!(fold("Zoë Ångström"), "zoe angstrom");
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}

/// The digits to search for in canonical phone keys ([`crate::Phone::key`]) given what a
/// user typed: a whole number in any of its forms becomes its key; a fragment stays as
/// typed (digits only). `None` when there are no digits.
pub fn number_pattern(query: &str) -> Option<String> {
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(
        crate::Phone::parse(&digits)
            .map(|p| p.key())
            .unwrap_or(digits),
    )
}

#[cfg(test)]
mod number_tests {
    use super::number_pattern;

    #[test]
    fn whole_numbers_become_keys_and_fragments_stay() {
        assert_eq!(
            number_pattern("+52 55 5123 4567").as_deref(),
            Some("5215551234567")
        );
        assert_eq!(number_pattern("555123").as_deref(), Some("555123"));
        assert_eq!(number_pattern("+1 650").as_deref(), Some("1650"));
        assert_eq!(number_pattern("abc"), None);
    }
}
