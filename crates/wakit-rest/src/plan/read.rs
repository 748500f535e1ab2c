//! AST → read tree: names resolved against the registry, values typed, and the read
//! policy put first in every level's predicates (embeds and `EXISTS` included).

use std::collections::BTreeSet;

use super::tree::{Cast, Expr, Node, OrderBy, Output, PlanOp, Pred};
use crate::ast::{
    Condition, Embed, Field, IsValue, JoinKind, LevelOptions, Nulls, Op, Query, SelectItem,
};
use crate::auth::{Auth, read_visibility};
use crate::error::{ErrorCode, RestError};
use crate::registry::{self, ColType, Table};
use crate::value::{parse_json, typed};

/// Plans a read of `table`; `paging` overrides the top level's limit/offset when set.
pub(crate) fn plan_read(table: &'static Table, q: &Query, auth: &Auth) -> Result<Node, RestError> {
    let mut ctx = Ctx {
        q,
        auth,
        next_alias: 0,
        embed_paths: BTreeSet::new(),
    };
    let node = ctx.node(table, &q.select, &[])?;
    if let Some(path) = q
        .levels
        .keys()
        .find(|p| !p.is_empty() && !ctx.embed_paths.contains(*p))
    {
        let name = path.join(".");
        return Err(RestError::new(
            ErrorCode::NotEmbedded,
            format!("'{name}' is not an embedded resource in this request"),
        )
        .hint(format!(
            "Verify that '{name}' is included in the 'select' query parameter."
        )));
    }
    Ok(node)
}

struct Ctx<'a> {
    q: &'a Query,
    auth: &'a Auth,
    next_alias: usize,
    embed_paths: BTreeSet<Vec<String>>,
}

/// An embed as planned, before it is placed in outputs and predicates.
struct Planned {
    key: String,
    join_kind: JoinKind,
    hidden: bool,
    spread: bool,
    child: Node,
    join: registry::Join,
}

impl Ctx<'_> {
    fn node(
        &mut self,
        table: &'static Table,
        select: &[SelectItem],
        path: &[String],
    ) -> Result<Node, RestError> {
        let alias = format!("t{}", self.next_alias);
        self.next_alias += 1;
        let mut outputs = Vec::new();
        let mut embeds = Vec::new();
        for item in select {
            match item {
                SelectItem::Star => {
                    for column in table.columns.iter().filter(|c| c.readable) {
                        outputs.push(Output::Column {
                            key: column.name.to_string(),
                            expr: Expr {
                                column,
                                path: vec![],
                            },
                            cast: None,
                        });
                    }
                }
                SelectItem::Field { field, alias, cast } => {
                    let expr = expr(table, field)?;
                    if !expr.column.readable {
                        return Err(RestError::new(
                            ErrorCode::Forbidden,
                            format!("permission denied for column {}", expr.column.name),
                        ));
                    }
                    outputs.push(Output::Column {
                        key: alias
                            .clone()
                            .unwrap_or_else(|| field.output_key().to_string()),
                        cast: cast.as_deref().map(|c| parse_cast(c, &expr)).transpose()?,
                        expr,
                    })
                }
                SelectItem::Embed(e) => embeds.push(self.embed(table, e, path)?),
            }
        }
        let empty = LevelOptions::default();
        let level = self.q.levels.get(path).unwrap_or(&empty);
        let mut preds = vec![Pred::Visible(read_visibility(table, self.auth))];
        for c in &level.conditions {
            preds.push(self.condition(table, c, &embeds)?);
        }
        for e in &embeds {
            if e.join_kind == JoinKind::Inner {
                preds.push(Pred::Exists {
                    negate: false,
                    child: Box::new(e.child.clone()),
                    join: e.join.clone(),
                });
            }
        }
        let order = order(table, level, &embeds)?;
        for e in embeds {
            if e.hidden {
                continue;
            }
            if !e.spread {
                outputs.push(Output::Embed {
                    key: e.key,
                    child: Box::new(e.child),
                    join: e.join,
                });
                continue;
            }
            let nested = e
                .child
                .outputs
                .iter()
                .any(|o| matches!(o, Output::Spread { .. }));
            if !e.join.to_one || nested {
                return Err(RestError::not_implemented(
                    "spreads of to-many embeds, or spreads inside spreads",
                ));
            }
            outputs.push(Output::Spread {
                child: Box::new(e.child),
                join: e.join,
            });
        }
        Ok(Node {
            table,
            alias,
            outputs,
            preds,
            order,
            limit: level.limit,
            offset: level.offset,
        })
    }

    fn embed(
        &mut self,
        parent: &'static Table,
        e: &Embed,
        path: &[String],
    ) -> Result<Planned, RestError> {
        // An unknown name has no relationship either: the same PGRST200 and details.
        let join = registry::relationship(parent.name, &e.name, e.hint.as_deref())?;
        let child_table = registry::table(&e.name)?;
        let mut child_path = path.to_vec();
        child_path.push(e.key().to_string());
        let child = self.node(child_table, &e.select, &child_path)?;
        self.embed_paths.insert(child_path);
        Ok(Planned {
            key: e.key().to_string(),
            join_kind: e.join,
            hidden: e.select.is_empty(),
            spread: e.spread,
            child,
            join,
        })
    }

    fn condition(
        &self,
        table: &'static Table,
        c: &Condition,
        embeds: &[Planned],
    ) -> Result<Pred, RestError> {
        match c {
            Condition::Logic {
                negate,
                or,
                children,
            } => Ok(Pred::Logic {
                negate: *negate,
                or: *or,
                children: children
                    .iter()
                    .map(|c| self.condition(table, c, embeds))
                    .collect::<Result<_, _>>()?,
            }),
            Condition::Filter { field, negate, op } => {
                let embed = embeds
                    .iter()
                    .find(|e| field.path.is_empty() && e.key == field.name);
                if let Some(e) = embed {
                    return embed_null_filter(e, *negate, op);
                }
                let expr = expr(table, field)?;
                Ok(Pred::Filter {
                    op: typed_op(&expr, op)?,
                    expr,
                    negate: *negate,
                })
            }
        }
    }
}

/// `rel=is.null` (no matching child) and `rel=not.is.null` (one exists); any other
/// filter on a whole embed is PGRST120.
fn embed_null_filter(e: &Planned, negate: bool, op: &Op) -> Result<Pred, RestError> {
    let exists = match (op, negate) {
        (Op::Is(IsValue::Null), false) | (Op::Is(IsValue::NotNull), true) => false,
        (Op::Is(IsValue::Null), true) | (Op::Is(IsValue::NotNull), false) => true,
        _ => {
            return Err(RestError::new(
                ErrorCode::InvalidEmbedFilter,
                "Bad operator on the '".to_string() + &e.key + "' embedded resource",
            )
            .details("Only is null or not is null filters are allowed on embedded resources"));
        }
    };
    Ok(Pred::Exists {
        negate: !exists,
        child: Box::new(e.child.clone()),
        join: e.join.clone(),
    })
}

fn expr(table: &'static Table, field: &Field) -> Result<Expr, RestError> {
    let column = table.column(&field.name)?;
    if !field.path.is_empty() && column.ty != ColType::Json {
        return Err(RestError::new(
            ErrorCode::UndefinedFunction,
            format!("operator does not exist: {} -> unknown", pg_type(column.ty)),
        ));
    }
    if field.path.iter().any(|s| s.key.contains('"')) {
        return Err(RestError::parse(
            "field",
            &field.name,
            "a JSON key may not contain '\"'",
        ));
    }
    Ok(Expr {
        column,
        path: field.path.clone(),
    })
}

fn pg_type(ty: ColType) -> &'static str {
    match ty {
        ColType::Uuid => "uuid",
        ColType::Text => "text",
        ColType::Int => "integer",
        ColType::Bool => "boolean",
        ColType::Time => "timestamp with time zone",
        ColType::Json => "jsonb",
    }
}

/// `::text` and `::int`. JSON as text is refused: PostgreSQL prints jsonb with spaces,
/// SQLite without, and the two engines must answer alike.
fn parse_cast(cast: &str, expr: &Expr) -> Result<Cast, RestError> {
    match cast.to_ascii_lowercase().as_str() {
        "text" if expr.value_type() == ColType::Json => {
            Err(RestError::not_implemented("casting JSON to text"))
        }
        "text" => Ok(Cast::Text),
        "int" | "integer" | "int4" | "int8" | "bigint" => Ok(Cast::Int),
        other => Err(RestError::not_implemented(format!(
            "casting to {other} is not supported"
        ))),
    }
}

fn typed_op(expr: &Expr, op: &Op) -> Result<PlanOp, RestError> {
    let ty = expr.value_type();
    let json_value = |raw: &str| {
        if ty != ColType::Json {
            return Err(RestError::new(
                ErrorCode::UndefinedFunction,
                format!("operator does not exist: {} @> unknown", pg_type(ty)),
            ));
        }
        let v = parse_json(raw).ok_or_else(|| {
            RestError::new(
                ErrorCode::InvalidValue,
                format!("invalid input syntax for type json: \"{raw}\""),
            )
        })?;
        let flat = match &v {
            serde_json::Value::Array(items) => {
                items.iter().all(|i| !i.is_object() && !i.is_array())
            }
            serde_json::Value::Object(map) => map.values().all(|i| !i.is_object() && !i.is_array()),
            _ => false,
        };
        if !flat {
            return Err(RestError::not_implemented(
                "cs/cd take an array or object of scalar values",
            ));
        }
        Ok(v)
    };
    Ok(match op {
        Op::Cmp(cmp, raw) => PlanOp::Cmp(*cmp, typed(ty, raw)?),
        Op::Like {
            insensitive,
            pattern,
        } => {
            if !matches!(ty, ColType::Text) {
                let sym = if *insensitive { "~~*" } else { "~~" };
                return Err(RestError::new(
                    ErrorCode::UndefinedFunction,
                    format!("operator does not exist: {} {sym} unknown", pg_type(ty)),
                ));
            }
            PlanOp::Like {
                insensitive: *insensitive,
                pattern: pattern.clone(),
            }
        }
        Op::Is(v) => {
            if matches!(v, IsValue::True | IsValue::False) && ty != ColType::Bool {
                return Err(RestError::new(
                    ErrorCode::InvalidValue,
                    format!(
                        "argument of IS TRUE must be type boolean, not type {}",
                        pg_type(ty)
                    ),
                ));
            }
            PlanOp::Is(*v)
        }
        Op::IsDistinct(raw) => PlanOp::IsDistinct(typed(ty, raw)?),
        Op::In(items) => PlanOp::In(
            items
                .iter()
                .map(|v| typed(ty, v))
                .collect::<Result<_, _>>()?,
        ),
        Op::Contains(raw) => PlanOp::Contains(json_value(raw)?),
        Op::ContainedBy(raw) => PlanOp::ContainedBy(json_value(raw)?),
    })
}

/// The level's order, then the primary key: equal keys come back in one order on both
/// engines, and pages do not overlap.
fn order(
    table: &'static Table,
    level: &LevelOptions,
    embeds: &[Planned],
) -> Result<Vec<OrderBy>, RestError> {
    let mut out = Vec::new();
    for t in &level.order {
        let via = match &t.relation {
            None => None,
            Some(rel) => {
                let e = embeds.iter().find(|e| e.key == *rel).ok_or_else(|| {
                    RestError::new(
                        ErrorCode::NotEmbedded,
                        format!("'{rel}' is not an embedded resource in this request"),
                    )
                    .hint(format!(
                        "Verify that '{rel}' is included in the 'select' query parameter."
                    ))
                })?;
                if !e.join.to_one {
                    return Err(RestError::new(
                        ErrorCode::RelatedOrder,
                        format!("A related order on '{rel}' is not possible"),
                    )
                    .details(format!("'{rel}' is a to-many embed")));
                }
                Some((Box::new(e.child.clone()), e.join.clone()))
            }
        };
        let source = via.as_ref().map_or(table, |(child, _)| child.table);
        out.push(OrderBy {
            via,
            expr: expr(source, &t.field)?,
            descending: t.descending,
            nulls: t.nulls.unwrap_or(if t.descending {
                Nulls::First
            } else {
                Nulls::Last
            }),
        });
    }
    for pk in table.primary_key {
        let column = table.column(pk)?;
        out.push(OrderBy {
            via: None,
            expr: Expr {
                column,
                path: vec![],
            },
            descending: false,
            nulls: Nulls::Last,
        });
    }
    Ok(out)
}
