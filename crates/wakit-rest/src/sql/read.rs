//! A read as one statement answering one row: `body` (the JSON array, text),
//! `page_count` (rows in it) and `total` (the exact count, or NULL when not asked).

use super::expr::{collate, from_where, output_expr, value_expr};
use super::{Dialect, Sql};
use crate::ast::Nulls;
use crate::plan::tree::{ExprType, Node, Output};
use crate::registry::{ColType, Join};

/// The read statement. `head`: no body is sent, so none is built (`body` is `[]`) —
/// the hosted API's health check is a HEAD with a count.
pub(crate) fn read_sql(sql: &mut Sql, node: &Node, count: bool, head: bool) {
    let pg = sql.dialect == Dialect::Postgres;
    sql.push(match (head, pg) {
        (true, _) => "SELECT '[]' AS body",
        (false, true) => "SELECT COALESCE(json_agg(_p.j), '[]'::json)::text AS body",
        (false, false) => "SELECT json_group_array(json(_p.j)) AS body",
    });
    sql.push(", COUNT(*) AS page_count, ");
    if count {
        sql.push("(SELECT COUNT(*)");
        from_where(sql, node, None);
        sql.push(")");
    } else {
        sql.push(if pg { "NULL::int8" } else { "NULL" });
    }
    sql.push(" AS total FROM (");
    if head {
        sql.push("SELECT 1 AS j");
        from_where(sql, node, None);
        order_and_page(sql, node);
    } else {
        rows(sql, node, None);
    }
    sql.push(") _p");
}

/// `SELECT <object> AS j FROM ... WHERE ... ORDER BY ... LIMIT ...`.
///
/// A level with embeds picks its page of bare rows first and builds objects for that page
/// only: an engine that sorts (rather than walking an index in order) computes the select
/// list of every row before the limit, and an embed is a subquery per row — a page of 20
/// conversations out of 50,000 would run 100,000 subqueries. The outer query repeats the
/// order (no engine promises to keep a derived table's order).
fn rows(sql: &mut Sql, node: &Node, parent: Option<(&str, &Join)>) {
    sql.push("SELECT ");
    object(sql, node);
    sql.push(" AS j");
    let embeds = node
        .outputs
        .iter()
        .any(|o| !matches!(o, Output::Column { .. }));
    if !embeds {
        from_where(sql, node, parent);
        order_and_page(sql, node);
        return;
    }
    sql.push(" FROM (SELECT ");
    sql.push(&node.alias);
    sql.push(".*");
    from_where(sql, node, parent);
    order_and_page(sql, node);
    sql.push(") ");
    sql.push(&node.alias);
    order_by(sql, node);
}

/// The row as a JSON object; keys are parameters (aliases are the client's text).
pub(crate) fn object(sql: &mut Sql, node: &Node) {
    let pg = sql.dialect == Dialect::Postgres;
    sql.push(if pg {
        "json_build_object("
    } else {
        "json_object("
    });
    let mut first = true;
    let mut sep = |sql: &mut Sql| {
        if !std::mem::take(&mut first) {
            sql.push(", ");
        }
    };
    for out in &node.outputs {
        match out {
            Output::Column { key, expr, cast } => {
                sep(sql);
                sql.text_param(key);
                sql.push(", ");
                output_expr(sql, &node.alias, expr, *cast);
            }
            Output::Embed { key, child, join } => {
                sep(sql);
                sql.text_param(key);
                sql.push(", ");
                embed(sql, &node.alias, child, join);
            }
            Output::Spread { child, join } => {
                for inner in &child.outputs {
                    sep(sql);
                    spread_value(sql, &node.alias, child, join, inner);
                }
            }
        }
    }
    sql.push(")");
}

/// One output of a spread to-one child: its key, and its value read by a subquery.
fn spread_value(sql: &mut Sql, parent: &str, child: &Node, join: &Join, out: &Output) {
    let (key, json_valued) = match out {
        Output::Column { key, expr, cast } => {
            // What output_expr makes JSON on SQLite: JSON values and booleans, uncast.
            let json = matches!(
                expr.ty(),
                ExprType::Json | ExprType::Col(ColType::Json) | ExprType::Col(ColType::Bool)
            );
            (key.as_str(), json && cast.is_none())
        }
        Output::Embed { key, .. } => (key.as_str(), true),
        // The planner refuses spreads inside spreads.
        Output::Spread { .. } => ("", false),
    };
    sql.text_param(key);
    sql.push(", ");
    // SQLite loses the JSON subtype through a subquery: json() restores it.
    let wrap = sql.dialect == Dialect::Sqlite && json_valued;
    if wrap {
        sql.push("json(");
    }
    sql.push("(SELECT ");
    match out {
        Output::Column { expr, cast, .. } => output_expr(sql, &child.alias, expr, *cast),
        Output::Embed {
            child: grand,
            join: gj,
            ..
        } => embed(sql, &child.alias, grand, gj),
        Output::Spread { .. } => sql.push("NULL"),
    }
    from_where(sql, child, Some((parent, join)));
    sql.push(" LIMIT 1)");
    if wrap {
        sql.push(")");
    }
}

/// A to-one embed is an object or null; a to-many one an array (`[]` when empty).
fn embed(sql: &mut Sql, parent: &str, child: &Node, join: &Join) {
    let pg = sql.dialect == Dialect::Postgres;
    // SQLite loses the JSON subtype through a subquery: json() restores it.
    if !pg {
        sql.push("json(");
    }
    if join.to_one {
        sql.push("(SELECT ");
        object(sql, child);
        from_where(sql, child, Some((parent, join)));
        sql.push(" LIMIT 1)");
    } else {
        sql.push(if pg {
            "COALESCE((SELECT json_agg(_e.j) FROM ("
        } else {
            "(SELECT json_group_array(json(_e.j)) FROM ("
        });
        rows(sql, child, Some((parent, join)));
        sql.push(if pg { ") _e), '[]'::json)" } else { ") _e)" });
    }
    if !pg {
        sql.push(")");
    }
}

fn order_and_page(sql: &mut Sql, node: &Node) {
    order_by(sql, node);
    page(sql, node);
}

/// `ORDER BY ...`. A NOT NULL column needs no NULLS clause (it has no nulls), and one
/// there would keep SQLite from walking an index in order: its default NULLS placement is
/// the opposite of PostgreSQL's, which the planner's defaults follow.
fn order_by(sql: &mut Sql, node: &Node) {
    for (i, o) in node.order.iter().enumerate() {
        sql.push(if i == 0 { " ORDER BY " } else { ", " });
        match &o.via {
            None => value_expr(sql, &node.alias, &o.expr),
            Some((child, join)) => {
                sql.push("(SELECT ");
                value_expr(sql, &child.alias, &o.expr);
                from_where(sql, child, Some((&node.alias, join)));
                sql.push(" LIMIT 1)");
            }
        }
        collate(sql, &o.expr);
        sql.push(if o.descending { " DESC" } else { " ASC" });
        let never_null = o.via.is_none() && o.expr.path.is_empty() && !o.expr.column.nullable;
        if !never_null {
            sql.push(match o.nulls {
                Nulls::First => " NULLS FIRST",
                Nulls::Last => " NULLS LAST",
            });
        }
    }
}

/// `LIMIT ... OFFSET ...`.
fn page(sql: &mut Sql, node: &Node) {
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    match (node.limit, node.offset) {
        (None, None) => {}
        (limit, offset) => {
            sql.push(" LIMIT ");
            match limit {
                Some(n) => sql.int_param(to_i64(n)),
                // SQLite needs a LIMIT before OFFSET; -1 is "no limit".
                None if sql.dialect == Dialect::Sqlite => sql.push("-1"),
                None => sql.push("ALL"),
            }
            if let Some(n) = offset {
                sql.push(" OFFSET ");
                sql.int_param(to_i64(n));
            }
        }
    }
}
