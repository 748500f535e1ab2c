//! Lexical helpers shared by the parsers: percent-decoding, splitting at top-level
//! commas outside double quotes, unquoting.

use crate::error::RestError;

/// Decodes `%XX` and `+` (a space, as URLSearchParams writes it) in one query-string
/// component. Invalid escapes are kept as written, as lenient servers do.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a query string into decoded `(key, value)` pairs, in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Tracks double quotes (with `\` escapes inside them) over a character stream.
#[derive(Default)]
struct Quotes {
    open: bool,
    escaped: bool,
}

impl Quotes {
    /// Feeds `c`; true when `c` is part of a quoted string (its quotes included).
    fn quoted(&mut self, c: char) -> bool {
        if self.open {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.open = false;
            }
            true
        } else if c == '"' {
            self.open = true;
            true
        } else {
            false
        }
    }
}

/// Removes whitespace outside double quotes (insignificant in `select`).
pub fn strip_spaces(s: &str) -> String {
    let mut quotes = Quotes::default();
    s.chars()
        .filter(|c| quotes.quoted(*c) || !c.is_whitespace())
        .collect()
}

/// Splits at `sep` outside brackets and double quotes. Unbalanced input is an error
/// (reported against `param`).
pub fn split_top(s: &str, sep: char, param: &str) -> Result<Vec<String>, RestError> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut quotes = Quotes::default();
    for c in s.chars() {
        if quotes.quoted(c) {
            cur.push(c);
            continue;
        }
        match c {
            // Array literals `{a,b}` and JSON `[..]` in values nest like parentheses.
            '(' | '{' | '[' => {
                depth += 1;
                cur.push(c);
            }
            ')' | '}' | ']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| RestError::parse(param, s, format!("unexpected \"{c}\"")))?;
                cur.push(c);
            }
            c if c == sep && depth == 0 => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quotes.open {
        return Err(RestError::parse(param, s, "unclosed double quote"));
    }
    if depth != 0 {
        return Err(RestError::parse(param, s, "expecting \")\""));
    }
    parts.push(cur);
    Ok(parts)
}

/// A name or value without its surrounding double quotes (`\"` and `\\` unescaped).
pub fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn query_strings_decode_as_browsers_encode_them() {
        let pairs = query_pairs("select=*%2Cmessages(*)&name=eq.a+b%2Bc&x=%zz");
        assert_eq!(pairs[0], ("select".into(), "*,messages(*)".into()));
        assert_eq!(pairs[1], ("name".into(), "eq.a b+c".into()));
        assert_eq!(pairs[2], ("x".into(), "%zz".into()));
    }

    #[test]
    fn commas_inside_quotes_and_parentheses_do_not_split() {
        let parts = split_top(r#"a,"b,c",d(e,f)"#, ',', "select").unwrap();
        assert_eq!(parts, vec!["a", "\"b,c\"", "d(e,f)"]);
        assert!(split_top("a(b", ',', "select").is_err());
        assert!(split_top("a)b", ',', "select").is_err());
    }

    #[test]
    fn quoted_values_unescape() {
        assert_eq!(unquote(r#""a\"b""#), "a\"b");
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(strip_spaces(r#" a , "b c" "#), r#"a,"b c""#);
    }
}
