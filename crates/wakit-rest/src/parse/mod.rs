//! Query string → [`Query`]. Pure text work: names are checked against the registry by
//! the planner.

mod filter;
mod select;
pub(crate) mod text;

pub use filter::{parse_filter, parse_logic, parse_order};
pub use select::{parse_field, parse_select};

use crate::ast::{LevelOptions, Query, SelectItem};
use crate::error::RestError;
use text::{query_pairs, split_top, unquote};

/// Parses a raw (still percent-encoded) query string.
pub fn parse_query(query: &str) -> Result<Query, RestError> {
    let mut q = Query {
        select: vec![SelectItem::Star],
        ..Query::default()
    };
    for (key, value) in query_pairs(query) {
        apply(&mut q, &key, &value)?;
    }
    Ok(q)
}

fn apply(q: &mut Query, key: &str, value: &str) -> Result<(), RestError> {
    match key {
        "select" => {
            q.select = parse_select(value)?;
            return Ok(());
        }
        "on_conflict" => {
            q.on_conflict = Some(names(value, key)?);
            return Ok(());
        }
        "columns" => {
            q.columns = Some(names(value, key)?);
            return Ok(());
        }
        _ => {}
    }
    let mut path = key_path(key)?;
    let last = path.pop().unwrap_or_default();
    let negated_logic =
        path.last().map(String::as_str) == Some("not") && (last == "or" || last == "and");
    if negated_logic {
        path.pop();
    }
    let level: &mut LevelOptions = q.levels.entry(path).or_default();
    match last.as_str() {
        "or" | "and" => {
            level
                .conditions
                .push(parse_logic(last == "or", negated_logic, value, key)?)
        }
        "order" => level.order = parse_order(value, key)?,
        "limit" => level.limit = Some(number(value, key)?),
        "offset" => level.offset = Some(number(value, key)?),
        _ => {
            let field = parse_field(&last)
                .ok_or_else(|| RestError::parse("filter", key, "expecting a column name"))?;
            level.conditions.push(parse_filter(field, value, key)?);
        }
    }
    Ok(())
}

/// Splits `rel.sub.col` at dots outside double quotes (quotes removed).
fn key_path(key: &str) -> Result<Vec<String>, RestError> {
    let parts = split_top(key, '.', "filter")?;
    if parts.iter().any(String::is_empty) {
        return Err(RestError::parse(
            "filter",
            key,
            "empty name in a dotted key",
        ));
    }
    Ok(parts.iter().map(|p| unquote(p)).collect())
}

fn number(value: &str, param: &str) -> Result<u64, RestError> {
    value
        .trim()
        .parse()
        .map_err(|_| RestError::parse(param, value, "expecting a non-negative integer"))
}

/// `a, b` or `"a","b"` → trimmed, unquoted names.
fn names(value: &str, param: &str) -> Result<Vec<String>, RestError> {
    let list = split_top(value, ',', param)?
        .iter()
        .map(|n| unquote(n.trim()))
        .collect::<Vec<_>>();
    if list.iter().any(String::is_empty) {
        return Err(RestError::parse(param, value, "expecting column names"));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ast::{Condition, Op};

    #[test]
    fn the_hosted_dashboard_conversation_query() {
        let q = parse_query(
            "select=*,messages(*),contact_address:contacts_addresses(*,contact:contacts(*))\
             &messages.direction=neq.internal&messages.order=timestamp.desc&messages.limit=10\
             &order=last_message_at.desc.nullslast&limit=20&offset=40",
        )
        .unwrap();
        assert_eq!(q.select.len(), 3);
        let top = &q.levels[&vec![]];
        assert_eq!((top.limit, top.offset), (Some(20), Some(40)));
        let m = &q.levels[&vec!["messages".to_string()]];
        assert_eq!(m.limit, Some(10));
        assert_eq!(m.order[0].field.name, "timestamp");
        assert!(
            matches!(&m.conditions[0], Condition::Filter { field, .. } if field.name == "direction")
        );
    }

    #[test]
    fn logic_keys_with_not_and_embed_paths() {
        let q = parse_query("not.or=(a.eq.1,b.eq.2)&messages.or=(status.eq.read)&and=(a.gt.0)")
            .unwrap();
        let top = &q.levels[&vec![]];
        assert!(matches!(
            &top.conditions[0],
            Condition::Logic {
                negate: true,
                or: true,
                ..
            }
        ));
        assert!(matches!(
            &top.conditions[1],
            Condition::Logic {
                negate: false,
                or: false,
                ..
            }
        ));
        let m = &q.levels[&vec!["messages".to_string()]];
        assert!(matches!(
            &m.conditions[0],
            Condition::Logic { or: true, .. }
        ));
    }

    #[test]
    fn json_path_filters_and_write_parameters() {
        let q = parse_query(
            "extra->invitation->>status=eq.pending&on_conflict=organization_id,%20service,%20address\
             &columns=%22name%22,%22extra%22",
        )
        .unwrap();
        let Condition::Filter { field, op, .. } = &q.levels[&vec![]].conditions[0] else {
            panic!()
        };
        assert_eq!(field.path.len(), 2);
        assert_eq!(op, &Op::Cmp(crate::ast::CmpOp::Eq, "pending".into()));
        assert_eq!(
            q.on_conflict.unwrap(),
            vec!["organization_id", "service", "address"]
        );
        assert_eq!(q.columns.unwrap(), vec!["name", "extra"]);
    }

    #[test]
    fn bad_paging_is_a_parse_error() {
        let e = parse_query("limit=ten").unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::Parse);
        assert_eq!(e.status(), 400);
        assert!(parse_query("offset=-1").is_err());
    }
}
