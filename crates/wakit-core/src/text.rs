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
