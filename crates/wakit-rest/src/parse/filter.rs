//! Filters (`col=[not.]op.value`), logic trees (`or=(...)`) and `order`.

use super::select::parse_field;
use super::text::{split_top, unquote};
use crate::ast::{CmpOp, Condition, Field, IsValue, Nulls, Op, OrderTerm};
use crate::error::RestError;

/// Operators PostgREST has and this crate answers with PGRST127: they need an engine
/// feature one of the two databases lacks (regular expressions, ranges, full text).
const UNSUPPORTED_OPS: &[&str] = &[
    "match", "imatch", "ov", "sl", "sr", "nxl", "nxr", "adj", "fts", "plfts", "phfts", "wfts",
];

/// Parses the value of `field=...` (top level: the value after the operator is raw).
pub fn parse_filter(field: Field, raw: &str, param: &str) -> Result<Condition, RestError> {
    let (negate, rest) = match raw.strip_prefix("not.") {
        Some(r) => (true, r),
        None => (false, raw),
    };
    condition(field, negate, rest, false, param)
}

/// Operators that take `(any)` / `(all)` and a list: `like(any).{a*,b*}`.
const QUANTIFIABLE: &[&str] = &["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike"];

/// `op.value`, or `op(any|all).{v1,v2}` as an or/and of the operator over the values.
fn condition(
    field: Field,
    negate: bool,
    s: &str,
    in_tree: bool,
    param: &str,
) -> Result<Condition, RestError> {
    let quantified = s.split_once('.').and_then(|(name, value)| {
        let (base, q) = name.strip_suffix(')')?.split_once('(')?;
        Some((base, q, value))
    });
    let Some((base, q, value)) = quantified.filter(|(b, _, _)| !UNSUPPORTED_OPS.contains(b)) else {
        let op = parse_op(s, in_tree, param)?;
        return Ok(Condition::Filter { field, negate, op });
    };
    let any = match q {
        "any" => true,
        "all" => false,
        _ => return Err(RestError::parse(param, s, "expecting (any) or (all)")),
    };
    if !QUANTIFIABLE.contains(&base) {
        return Err(RestError::parse(
            param,
            s,
            format!("{base} takes no (any)/(all)"),
        ));
    }
    let items = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .ok_or_else(|| RestError::parse(param, s, "expecting a list: {a,b}"))?;
    let values = match items {
        "" => Vec::new(),
        items => split_top(items, ',', param)?
            .iter()
            .map(|v| unquote(v))
            .collect(),
    };
    let children = values
        .iter()
        .map(|v| {
            Ok(Condition::Filter {
                field: field.clone(),
                negate: false,
                op: parse_op(&format!("{base}.{v}"), false, param)?,
            })
        })
        .collect::<Result<_, RestError>>()?;
    Ok(Condition::Logic {
        negate,
        or: any,
        children,
    })
}

/// `op.value`; `in_tree`: a scalar value may be double-quoted (logic trees).
fn parse_op(s: &str, in_tree: bool, param: &str) -> Result<Op, RestError> {
    let (name, value) = s.split_once('.').ok_or_else(|| {
        RestError::parse(param, s, "expecting an operator and a value (op.value)")
    })?;
    let scalar = |v: &str| if in_tree { unquote(v) } else { v.to_string() };
    let base = name.split('(').next().unwrap_or(name);
    if name.contains('(') && !UNSUPPORTED_OPS.contains(&base) {
        return Err(RestError::parse(
            param,
            s,
            format!("unknown operator \"{name}\""),
        ));
    }
    Ok(match base {
        "eq" => Op::Cmp(CmpOp::Eq, scalar(value)),
        "neq" => Op::Cmp(CmpOp::Neq, scalar(value)),
        "gt" => Op::Cmp(CmpOp::Gt, scalar(value)),
        "gte" => Op::Cmp(CmpOp::Gte, scalar(value)),
        "lt" => Op::Cmp(CmpOp::Lt, scalar(value)),
        "lte" => Op::Cmp(CmpOp::Lte, scalar(value)),
        "like" | "ilike" => Op::Like {
            insensitive: base == "ilike",
            pattern: scalar(value).replace('*', "%"),
        },
        "is" => Op::Is(match value.to_ascii_lowercase().as_str() {
            "null" => IsValue::Null,
            "not_null" => IsValue::NotNull,
            "true" => IsValue::True,
            "false" => IsValue::False,
            "unknown" => IsValue::Unknown,
            _ => {
                return Err(RestError::parse(
                    param,
                    s,
                    "is. accepts null, not_null, true, false or unknown",
                ));
            }
        }),
        "isdistinct" => Op::IsDistinct(scalar(value)),
        "in" => Op::In(parse_list(value, param)?),
        "cs" => Op::Contains(value.to_string()),
        "cd" => Op::ContainedBy(value.to_string()),
        op if UNSUPPORTED_OPS.contains(&op) => {
            return Err(RestError::not_implemented(format!(
                "the {op} operator is not supported"
            )));
        }
        _ => {
            return Err(RestError::parse(
                param,
                s,
                format!("unknown operator \"{name}\""),
            ));
        }
    })
}

/// `(a,"b,c",d)` → its items, unquoted. `()` is the empty list.
fn parse_list(value: &str, param: &str) -> Result<Vec<String>, RestError> {
    let inner = value
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .ok_or_else(|| RestError::parse(param, value, "in. expects a list: (a,b,c)"))?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    Ok(split_top(inner, ',', param)?
        .iter()
        .map(|v| unquote(v))
        .collect())
}

/// Parses a logic tree value `(c1,c2,...)` for `or`/`and` (already known from the key).
pub fn parse_logic(or: bool, negate: bool, raw: &str, param: &str) -> Result<Condition, RestError> {
    let inner = raw
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .ok_or_else(|| RestError::parse(param, raw, "expecting \"(\" ... \")\""))?;
    let children = split_top(inner, ',', param)?
        .iter()
        // supabase-py writes `or=(a.eq.1, b.eq.2)`: space after a comma is not the value.
        .map(|c| parse_tree_item(c.trim_start(), param))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Condition::Logic {
        negate,
        or,
        children,
    })
}

fn parse_tree_item(item: &str, param: &str) -> Result<Condition, RestError> {
    let (negate, rest) = match item.strip_prefix("not.") {
        Some(r) if r.starts_with("and(") || r.starts_with("or(") => (true, r),
        _ => (false, item),
    };
    for (prefix, or) in [("and(", false), ("or(", true)] {
        if rest.starts_with(prefix) {
            return parse_logic(or, negate, &rest[prefix.len() - 1..], param);
        }
    }
    let (field_part, op_part) = split_field(item)
        .ok_or_else(|| RestError::parse(param, item, "expecting field.op.value"))?;
    let field = parse_field(field_part)
        .ok_or_else(|| RestError::parse(param, item, "expecting a field name"))?;
    if field.name.contains('.') {
        return Err(RestError::not_implemented(
            "filters on embeds inside logic trees",
        ));
    }
    let (negate, op_part) = match op_part.strip_prefix("not.") {
        Some(r) => (true, r),
        None => (false, op_part),
    };
    condition(field, negate, op_part, true, param)
}

/// Splits `field.rest` at the first dot outside double quotes.
fn split_field(s: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

/// Parses `order=a.asc,b.desc.nullslast`.
pub fn parse_order(raw: &str, param: &str) -> Result<Vec<OrderTerm>, RestError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    split_top(raw, ',', param)?
        .iter()
        .map(|term| {
            let term = term.trim();
            // `rel(col).desc`: a column of a to-one embed.
            let (relation, term) = match term.split_once('(') {
                Some((rel, rest)) => {
                    let (col, mods) = rest
                        .split_once(')')
                        .ok_or_else(|| RestError::parse(param, raw, "expecting \")\""))?;
                    (Some(unquote(rel)), format!("{col}{mods}"))
                }
                None => (None, term.to_string()),
            };
            let term = term.as_str();
            let (field_part, mods) = match split_field(term) {
                Some((f, m)) => (f, Some(m)),
                None => (term, None),
            };
            let field = parse_field(field_part)
                .ok_or_else(|| RestError::parse(param, raw, "expecting a column to order by"))?;
            let mut t = OrderTerm {
                relation,
                field,
                descending: false,
                nulls: None,
            };
            for m in mods.into_iter().flat_map(|m| m.split('.')) {
                match m {
                    "asc" => t.descending = false,
                    "desc" => t.descending = true,
                    "nullsfirst" => t.nulls = Some(Nulls::First),
                    "nullslast" => t.nulls = Some(Nulls::Last),
                    _ => {
                        return Err(RestError::parse(
                            param,
                            raw,
                            format!(
                                "unexpected \"{m}\" expecting asc, desc, nullsfirst or nullslast"
                            ),
                        ));
                    }
                }
            }
            Ok(t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    fn f(name: &str) -> Field {
        Field {
            name: name.into(),
            path: vec![],
        }
    }

    fn op(raw: &str) -> (bool, Op) {
        match parse_filter(f("c"), raw, "c").unwrap() {
            Condition::Filter { negate, op, .. } => (negate, op),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn operators_as_the_clients_send_them() {
        assert_eq!(op("eq.a.b"), (false, Op::Cmp(CmpOp::Eq, "a.b".into())));
        assert_eq!(op("not.neq.x"), (true, Op::Cmp(CmpOp::Neq, "x".into())));
        assert_eq!(
            op("ilike.*ana*"),
            (
                false,
                Op::Like {
                    insensitive: true,
                    pattern: "%ana%".into()
                }
            )
        );
        assert_eq!(op("is.NULL"), (false, Op::Is(IsValue::Null)));
        assert_eq!(op("not.is.not_null").1, Op::Is(IsValue::NotNull));
        assert_eq!(
            op(r#"in.(a,"b,c","d\"e")"#).1,
            Op::In(vec!["a".into(), "b,c".into(), "d\"e".into()])
        );
        assert_eq!(op("not.in.()"), (true, Op::In(vec![])));
        // Top-level values are raw: quotes are part of the value.
        assert_eq!(op("eq.\"q\"").1, Op::Cmp(CmpOp::Eq, "\"q\"".into()));
    }

    #[test]
    fn unknown_and_unsupported_operators() {
        let e = parse_filter(f("c"), "equals.1", "c").unwrap_err();
        assert_eq!(e.code, ErrorCode::Parse);
        let e = parse_filter(f("c"), "fts(english).cat", "c").unwrap_err();
        assert_eq!(e.code, ErrorCode::NotImplemented);
        let any = parse_filter(f("c"), "like(any).{a*,\"b,*\"}", "c").unwrap();
        let Condition::Logic {
            or: true,
            negate: false,
            children,
        } = any
        else {
            panic!("{any:?}")
        };
        assert!(
            matches!(&children[1], Condition::Filter { op: Op::Like { pattern, .. }, .. } if pattern == "b,%")
        );
        let all = parse_filter(f("c"), "not.gt(all).{1,2}", "c").unwrap();
        assert!(
            matches!(all, Condition::Logic { or: false, negate: true, ref children } if children.len() == 2)
        );
        assert_eq!(
            parse_filter(f("c"), "in(any).{1}", "c").unwrap_err().code,
            ErrorCode::Parse
        );
        assert_eq!(
            parse_filter(f("c"), "eq(some).{1}", "c").unwrap_err().code,
            ErrorCode::Parse
        );
        assert_eq!(
            parse_filter(f("c"), "is.maybe", "c").unwrap_err().code,
            ErrorCode::Parse
        );
        assert_eq!(
            parse_filter(f("c"), "in.a,b", "c").unwrap_err().code,
            ErrorCode::Parse
        );
    }

    #[test]
    fn nested_logic_trees() {
        let c = parse_logic(
            true,
            false,
            r#"(a.eq.1,and(b.gt.2,c.is.null),name.eq."x,y",not.or(d.eq.1,e.not.in.(1,2)))"#,
            "or",
        )
        .unwrap();
        let Condition::Logic { or, children, .. } = c else {
            panic!()
        };
        assert!(or);
        assert_eq!(children.len(), 4);
        assert!(
            matches!(&children[1], Condition::Logic { or: false, negate: false, children } if children.len() == 2)
        );
        assert!(
            matches!(&children[2], Condition::Filter { op: Op::Cmp(CmpOp::Eq, v), .. } if v == "x,y")
        );
        let Condition::Logic {
            negate, children, ..
        } = &children[3]
        else {
            panic!()
        };
        assert!(*negate);
        assert!(
            matches!(&children[1], Condition::Filter { negate: true, op: Op::In(v), .. } if v.len() == 2)
        );
    }

    #[test]
    fn json_paths_inside_trees_and_orders() {
        let c = parse_logic(false, false, "(extra->>status.eq.pending)", "and").unwrap();
        let Condition::Logic { children, .. } = c else {
            panic!()
        };
        let Condition::Filter { field, .. } = &children[0] else {
            panic!()
        };
        assert_eq!(field.output_key(), "status");
        let o = parse_order("a.asc, b.desc.nullslast,extra->>n.desc,c", "order").unwrap();
        assert_eq!(o.len(), 4);
        assert!(o[1].descending && o[1].nulls == Some(Nulls::Last));
        assert_eq!(o[2].field.name, "extra");
        assert!(!o[3].descending);
        assert_eq!(
            parse_order("a.up", "order").unwrap_err().code,
            ErrorCode::Parse
        );
    }
}
