//! A read as one statement answering one row: `body` (the JSON array, text),
//! `page_count` (rows in it) and `total` (the exact count, or NULL when not asked).

use super::expr::{collate, from_where, output_expr, value_expr};
use super::{Dialect, Sql};
use crate::ast::Nulls;
use crate::plan::tree::{Node, Output};
use crate::registry::Join;

/// The read statement.
pub(crate) fn read_sql(sql: &mut Sql, node: &Node, count: bool) {
    let pg = sql.dialect == Dialect::Postgres;
    sql.push(if pg {
        "SELECT COALESCE(json_agg(_p.j), '[]'::json)::text AS body"
    } else {
        "SELECT json_group_array(json(_p.j)) AS body"
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
    rows(sql, node, None);
    sql.push(") _p");
}

/// `SELECT <object> AS j FROM ... WHERE ... ORDER BY ... LIMIT ...`.
fn rows(sql: &mut Sql, node: &Node, parent: Option<(&str, &Join)>) {
    sql.push("SELECT ");
    object(sql, node);
    sql.push(" AS j");
    from_where(sql, node, parent);
    order_and_page(sql, node);
}

/// The row as a JSON object; keys are parameters (aliases are the client's text).
pub(crate) fn object(sql: &mut Sql, node: &Node) {
    let pg = sql.dialect == Dialect::Postgres;
    sql.push(if pg {
        "json_build_object("
    } else {
        "json_object("
    });
    for (i, out) in node.outputs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match out {
            Output::Column { key, expr, cast } => {
                sql.text_param(key);
                sql.push(", ");
                output_expr(sql, &node.alias, expr, *cast);
            }
            Output::Embed { key, child, join } => {
                sql.text_param(key);
                sql.push(", ");
                embed(sql, &node.alias, child, join);
            }
        }
    }
    sql.push(")");
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
    for (i, o) in node.order.iter().enumerate() {
        sql.push(if i == 0 { " ORDER BY " } else { ", " });
        value_expr(sql, &node.alias, &o.expr);
        collate(sql, &o.expr);
        sql.push(if o.descending { " DESC" } else { " ASC" });
        sql.push(match o.nulls {
            Nulls::First => " NULLS FIRST",
            Nulls::Last => " NULLS LAST",
        });
    }
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
