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

    /// Query strings exactly as supabase-py's request builder tests expect them.
    #[test]
    fn supabase_py_request_strings() {
        let top = |q: &str| {
            parse_query(q)
                .unwrap()
                .levels
                .remove(&vec![])
                .unwrap_or_default()
        };
        let c = top("%22col%3Aname%22=eq.val");
        assert!(
            matches!(&c.conditions[0], Condition::Filter { field, .. } if field.name == "col:name")
        );
        assert_eq!(top("x=lte.a&x=gte.b").conditions.len(), 2);
        let c = top("x=cs.%7B%22a%22%3A+%22b%22%7D");
        assert_eq!(
            c.conditions[0],
            Condition::Filter {
                field: parse_field("x").unwrap(),
                negate: false,
                op: Op::Contains("{\"a\": \"b\"}".into()),
            }
        );
        assert!(
            matches!(&top("x=cs.%7Ba%2Cb%7D").conditions[0], Condition::Filter { op: Op::Contains(v), .. } if v == "{a,b}")
        );
        assert!(
            matches!(&top("x=like.%25a%25").conditions[0], Condition::Filter { op: Op::Like { pattern, .. }, .. } if pattern == "%a%")
        );
        assert!(
            matches!(&top("x=in.%28a%2Cb%29").conditions[0], Condition::Filter { op: Op::In(v), .. } if v.len() == 2)
        );
        let or = top("or=%28id.in.%285%2C6%2C7%29%2C+arraycol.cs.%7B%27a%27%2C%27b%27%7D%29");
        let Condition::Logic { children, .. } = &or.conditions[0] else {
            panic!()
        };
        assert!(matches!(&children[0], Condition::Filter { op: Op::In(v), .. } if v.len() == 3));
        assert!(
            matches!(&children[1], Condition::Filter { field, op: Op::Contains(_), .. } if field.name == "arraycol")
        );
        for unsupported in [
            "x=sr.%282000-01-02+08%3A30%2C2000-01-02+09%3A30%29",
            "x=ov.%7Bis%3Aclosed%2Cseverity%3Ahigh%7D",
            "catchphrase=plfts%28english%29.%27fat%27+%26+%27cat%27",
        ] {
            let e = parse_query(unsupported).unwrap_err();
            assert_eq!(
                e.code,
                crate::error::ErrorCode::NotImplemented,
                "{unsupported}"
            );
        }
        let q = parse_query(
            "select=%2A&cities.order=city_name.desc%2Cid.desc&cities.limit=2&cities.offset=1",
        )
        .unwrap();
        let cities = &q.levels[&vec!["cities".to_string()]];
        assert_eq!(
            (cities.order.len(), cities.limit, cities.offset),
            (2, Some(2), Some(1))
        );
        let q = parse_query("columns=%22key1%22,%22key2%22,%22key3%22").unwrap();
        assert_eq!(q.columns.unwrap(), vec!["key1", "key2", "key3"]);
    }
}
