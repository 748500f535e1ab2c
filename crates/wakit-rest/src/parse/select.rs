//! `select=`: columns, aliases, casts, JSON paths and (nested) embeds.

use super::text::{split_top, strip_spaces, unquote};
use crate::ast::{Embed, Field, JoinKind, JsonStep, SelectItem};
use crate::error::RestError;

/// Parses a whole `select` value.
pub fn parse_select(raw: &str) -> Result<Vec<SelectItem>, RestError> {
    let s = strip_spaces(raw);
    if s.is_empty() {
        return Ok(vec![SelectItem::Star]);
    }
    items(&s, raw)
}

fn items(s: &str, raw: &str) -> Result<Vec<SelectItem>, RestError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    split_top(s, ',', "select")?
        .iter()
        .map(|item| parse_item(item, raw))
        .collect()
}

fn err(raw: &str, details: impl Into<String>) -> RestError {
    RestError::parse("select", raw, details)
}

fn parse_item(item: &str, raw: &str) -> Result<SelectItem, RestError> {
    if item.is_empty() {
        return Err(err(
            raw,
            "unexpected \",\" expecting field name (* or [a..z0..9_$])",
        ));
    }
    if item == "*" {
        return Ok(SelectItem::Star);
    }
    if let Some(rest) = item.strip_prefix("...") {
        return match find_open_paren(rest) {
            Some(open) => match parse_embed(None, &rest[..open], &rest[open..], raw)? {
                SelectItem::Embed(e) => Ok(SelectItem::Embed(Embed { spread: true, ..e })),
                other => Ok(other),
            },
            None => Err(err(raw, "a spread needs an embed: ...rel(cols)")),
        };
    }
    let (alias, rest) = split_alias(item);
    if rest.is_empty() {
        return Err(err(raw, "expecting field name after alias"));
    }
    match find_open_paren(rest) {
        Some(open) => parse_embed(alias, &rest[..open], &rest[open..], raw),
        None => parse_field_item(alias, rest, raw),
    }
}

/// `alias:rest` where the colon is not part of `::`.
fn split_alias(item: &str) -> (Option<String>, &str) {
    let bytes = item.as_bytes();
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'(' | b'-' | b'!' if !quoted => break,
            b':' if !quoted => {
                if bytes.get(i + 1) == Some(&b':') {
                    break;
                }
                return (Some(unquote(&item[..i])), &item[i + 1..]);
            }
            _ => {}
        }
    }
    (None, item)
}

fn find_open_paren(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_embed(
    alias: Option<String>,
    head: &str,
    body: &str,
    raw: &str,
) -> Result<SelectItem, RestError> {
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| err(raw, format!("unexpected text after \"{head}(...)\"")))?;
    let mut parts = head.split('!');
    let name = unquote(parts.next().unwrap_or_default());
    if name.is_empty() {
        return Err(err(raw, "expecting a relation name before \"(\""));
    }
    if name == "count" || name.contains('.') || name.contains("->") {
        return Err(RestError::not_implemented(
            "aggregate functions are not supported",
        ));
    }
    let mut hint = None;
    let mut join = JoinKind::Left;
    for modifier in parts {
        match modifier {
            "inner" => join = JoinKind::Inner,
            "left" => join = JoinKind::Left,
            "" => return Err(err(raw, "expecting a hint after \"!\"")),
            h if hint.is_none() => hint = Some(unquote(h)),
            _ => return Err(err(raw, format!("unexpected \"!{modifier}\""))),
        }
    }
    Ok(SelectItem::Embed(Embed {
        name,
        alias,
        hint,
        join,
        select: items(inner, raw)?,
        spread: false,
    }))
}

fn parse_field_item(alias: Option<String>, rest: &str, raw: &str) -> Result<SelectItem, RestError> {
    let (field_part, cast) = match rest.split_once("::") {
        Some((f, c)) if !c.is_empty() => (f, Some(c.to_string())),
        Some(_) => return Err(err(raw, "expecting a type after \"::\"")),
        None => (rest, None),
    };
    if field_part.contains('!') {
        return Err(err(
            raw,
            format!("unexpected \"!\" in \"{rest}\" (an embed needs \"(...)\")"),
        ));
    }
    if field_part.ends_with(".count") || field_part.contains(".sum") {
        return Err(RestError::not_implemented(
            "aggregate functions are not supported",
        ));
    }
    Ok(SelectItem::Field {
        field: parse_field(field_part).ok_or_else(|| err(raw, format!("bad field \"{rest}\"")))?,
        alias,
        cast,
    })
}

/// Parses `name`, `name->a->>b`, `"quoted name"`. None when a part is empty.
pub fn parse_field(s: &str) -> Option<Field> {
    let mut pieces = s.split("->");
    let name = unquote(pieces.next()?);
    if name.is_empty() {
        return None;
    }
    let mut path = Vec::new();
    for piece in pieces {
        let (as_text, key) = match piece.strip_prefix('>') {
            Some(k) => (true, k),
            None => (false, piece),
        };
        let key = unquote(key);
        if key.is_empty() {
            return None;
        }
        path.push(JsonStep { key, as_text });
    }
    Some(Field { name, path })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn field(name: &str) -> SelectItem {
        SelectItem::Field {
            field: Field {
                name: name.into(),
                path: vec![],
            },
            alias: None,
            cast: None,
        }
    }

    #[test]
    fn star_and_columns() {
        assert_eq!(parse_select("").unwrap(), vec![SelectItem::Star]);
        assert_eq!(
            parse_select("id, name").unwrap(),
            vec![field("id"), field("name")]
        );
    }

    #[test]
    fn alias_cast_and_json_path() {
        let items = parse_select("phone:extra->>phone_number,n:name::text,extra->a->b").unwrap();
        let SelectItem::Field { field, alias, cast } = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(alias.as_deref(), Some("phone"));
        assert_eq!(field.name, "extra");
        assert_eq!(field.output_key(), "phone_number");
        assert!(field.path[0].as_text);
        assert!(cast.is_none());
        let SelectItem::Field { alias, cast, .. } = &items[1] else {
            panic!()
        };
        assert_eq!(
            (alias.as_deref(), cast.as_deref()),
            (Some("n"), Some("text"))
        );
        let SelectItem::Field { field, .. } = &items[2] else {
            panic!()
        };
        assert_eq!(field.path.len(), 2);
        assert!(!field.path[1].as_text);
    }

    #[test]
    fn embeds_as_the_hosted_dashboard_writes_them() {
        let items =
            parse_select("*,messages(*),contact_address:contacts_addresses(*,contact:contacts(*))")
                .unwrap();
        assert_eq!(items.len(), 3);
        let SelectItem::Embed(e) = &items[2] else {
            panic!()
        };
        assert_eq!(
            (e.name.as_str(), e.key()),
            ("contacts_addresses", "contact_address")
        );
        let SelectItem::Embed(inner) = &e.select[1] else {
            panic!()
        };
        assert_eq!((inner.name.as_str(), inner.key()), ("contacts", "contact"));
    }

    #[test]
    fn hints_inner_and_empty_embeds() {
        let items =
            parse_select("contact:contacts!inner(name),x:contacts!contact_id!left(),y()").unwrap();
        let SelectItem::Embed(a) = &items[0] else {
            panic!()
        };
        assert_eq!(a.join, JoinKind::Inner);
        assert_eq!(a.hint, None);
        let SelectItem::Embed(b) = &items[1] else {
            panic!()
        };
        assert_eq!(b.hint.as_deref(), Some("contact_id"));
        assert_eq!(b.join, JoinKind::Left);
        assert!(b.select.is_empty());
    }

    #[test]
    fn malformed_and_unsupported_selects_are_typed_errors() {
        use crate::error::ErrorCode;
        assert_eq!(parse_select("a,,b").unwrap_err().code, ErrorCode::Parse);
        assert_eq!(parse_select("rel(a").unwrap_err().code, ErrorCode::Parse);
        assert_eq!(parse_select("a::").unwrap_err().code, ErrorCode::Parse);
        assert!(
            matches!(&parse_select("id,...rel(a,b)").unwrap()[1], SelectItem::Embed(e) if e.spread && e.select.len() == 2)
        );
        assert_eq!(parse_select("...a").unwrap_err().code, ErrorCode::Parse);
        assert_eq!(
            parse_select("count()").unwrap_err().code,
            ErrorCode::NotImplemented
        );
    }
}
