//! Column expressions and predicates in each dialect.

use super::{Dialect, Sql};
use crate::ast::{CmpOp, IsValue};
use crate::auth::Visibility;
use crate::plan::tree::{Cast, Expr, ExprType, Node, PlanOp, Pred};
use crate::registry::{ColType, Join};

/// ISO-8601 in UTC with microseconds, identical on both engines.
const PG_TIME_FORMAT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'";

/// SQLite's path for a JSON path: `$."a"[0]."b"` (keys never contain `"`: the planner
/// refuses them).
fn sqlite_path(expr: &Expr) -> String {
    let mut p = String::from("$");
    for step in &expr.path {
        if !step.key.is_empty() && step.key.bytes().all(|b| b.is_ascii_digit()) {
            p.push_str(&format!("[{}]", step.key));
        } else {
            p.push_str(&format!(".\"{}\"", step.key));
        }
    }
    p
}

/// The value of an expression for comparing and ordering: native types on PostgreSQL,
/// stored encodings on SQLite (JSON normalised by `json()`, `->>` as text).
pub(crate) fn value_expr(sql: &mut Sql, alias: &str, expr: &Expr) {
    let name = expr.column.name;
    match (sql.dialect, expr.ty()) {
        (Dialect::Postgres, _) => {
            sql.ident(alias, name);
            for step in &expr.path {
                sql.push(if step.as_text { " ->> " } else { " -> " });
                match step.key.parse::<i32>() {
                    Ok(i) if step.key.bytes().all(|b| b.is_ascii_digit()) => {
                        sql.param(super::Bind::Int(i.into()), "int4")
                    }
                    _ => sql.text_param(&step.key),
                }
            }
        }
        (Dialect::Sqlite, ExprType::Col(ColType::Json)) => {
            sql.push("json(");
            sql.ident(alias, name);
            sql.push(")");
        }
        (Dialect::Sqlite, ExprType::Col(_)) => sql.ident(alias, name),
        (Dialect::Sqlite, ExprType::Json) => {
            sql.push("json(");
            sql.ident(alias, name);
            sql.push(" -> ");
            sql.text_param(&sqlite_path(expr));
            sql.push(")");
        }
        (Dialect::Sqlite, ExprType::JsonText) => {
            // `->>` yields SQL values on SQLite (1 for true); PostgreSQL yields text.
            let path = sqlite_path(expr);
            sql.push("CASE json_type(");
            sql.ident(alias, name);
            sql.push(", ");
            sql.text_param(&path);
            sql.push(") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(");
            sql.ident(alias, name);
            sql.push(" ->> ");
            sql.text_param(&path);
            sql.push(" AS TEXT) END");
        }
    }
}

fn is_text(expr: &Expr) -> bool {
    matches!(expr.ty(), ExprType::Col(ColType::Text) | ExprType::JsonText)
}

/// Text compares and sorts bytewise on both engines (SQLite's BINARY = PostgreSQL's "C").
pub(crate) fn collate(sql: &mut Sql, expr: &Expr) {
    if sql.dialect == Dialect::Postgres && is_text(expr) {
        sql.push(" COLLATE \"C\"");
    }
}

/// An expression as an output value: times as ISO-8601 text, booleans and JSON as JSON.
pub(crate) fn output_expr(sql: &mut Sql, alias: &str, expr: &Expr, cast: Option<Cast>) {
    let ty = expr.ty();
    let sqlite = sql.dialect == Dialect::Sqlite;
    match (cast, ty) {
        (_, ExprType::Col(ColType::Time)) => {
            if sqlite {
                sql.push("strftime('%Y-%m-%dT%H:%M:%S', ");
                sql.ident(alias, expr.column.name);
                sql.push(" / 1000000, 'unixepoch') || printf('.%06d+00:00', ");
                sql.ident(alias, expr.column.name);
                sql.push(" % 1000000)");
            } else {
                sql.push("to_char(");
                sql.ident(alias, expr.column.name);
                sql.push(" AT TIME ZONE 'UTC', ");
                sql.push(PG_TIME_FORMAT);
                sql.push(")");
            }
        }
        (cast, ExprType::Col(ColType::Bool)) if sqlite => {
            let wrap = if cast == Some(Cast::Text) {
                "('' || "
            } else {
                "json("
            };
            sql.push(wrap);
            sql.push("CASE WHEN ");
            sql.ident(alias, expr.column.name);
            sql.push(" IS NULL THEN NULL WHEN ");
            sql.ident(alias, expr.column.name);
            sql.push(" THEN 'true' ELSE 'false' END)");
        }
        (Some(Cast::Text), _) => {
            sql.push(if sqlite { "('' || " } else { "(" });
            value_expr(sql, alias, expr);
            sql.push(if sqlite { ")" } else { ")::text" });
        }
        (Some(Cast::Int), _) => {
            sql.push(if sqlite { "CAST(" } else { "(" });
            value_expr(sql, alias, expr);
            sql.push(if sqlite { " AS INTEGER)" } else { ")::int8" });
        }
        (None, _) => value_expr(sql, alias, expr),
    }
}

/// `child.c = parent.p AND ...`.
pub(crate) fn join_on(sql: &mut Sql, parent: &str, child: &str, join: &Join) {
    for (i, (pc, cc)) in join
        .parent_columns
        .iter()
        .zip(join.child_columns)
        .enumerate()
    {
        if i > 0 {
            sql.push(" AND ");
        }
        sql.ident(child, cc);
        sql.push(" = ");
        sql.ident(parent, pc);
    }
}

/// The predicates of a node, and-ed (there is always one: the policy).
pub(crate) fn preds(sql: &mut Sql, node: &Node) {
    pred_list(sql, node, &node.preds);
}

/// Predicates about `node`'s row, and-ed.
pub(crate) fn pred_list(sql: &mut Sql, node: &Node, list: &[Pred]) {
    for (i, p) in list.iter().enumerate() {
        if i > 0 {
            sql.push(" AND ");
        }
        pred(sql, node, p);
    }
}

fn pred(sql: &mut Sql, node: &Node, p: &Pred) {
    let alias = node.alias.as_str();
    match p {
        Pred::Visible(Visibility::All) => sql.push("1 = 1"),
        Pred::Visible(Visibility::Orgs { orgs, own_row }) => {
            sql.push("(");
            let mut any = false;
            if !orgs.is_empty() {
                sql.ident(alias, node.table.org_column);
                sql.push(" IN (");
                for (i, org) in orgs.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.value(&crate::value::Value::Uuid(*org));
                }
                sql.push(")");
                any = true;
            }
            if let Some(id) = own_row {
                if any {
                    sql.push(" OR ");
                }
                sql.ident(alias, "id");
                sql.push(" = ");
                sql.value(&crate::value::Value::Uuid(*id));
                any = true;
            }
            if !any {
                sql.push("1 = 0");
            }
            sql.push(")");
        }
        Pred::Filter { expr, negate, op } => {
            sql.push(if *negate { "NOT (" } else { "(" });
            filter(sql, alias, expr, op);
            sql.push(")");
        }
        Pred::Logic {
            negate,
            or,
            children,
        } => {
            sql.push(if *negate { "NOT (" } else { "(" });
            if children.is_empty() {
                sql.push(if *or { "1 = 0" } else { "1 = 1" });
            }
            for (i, c) in children.iter().enumerate() {
                if i > 0 {
                    sql.push(if *or { " OR " } else { " AND " });
                }
                pred(sql, node, c);
            }
            sql.push(")");
        }
        Pred::NotLastOwner => {
            let role = |sql: &mut Sql, a: &str| {
                sql.ident(a, "extra");
                sql.push(match sql.dialect {
                    Dialect::Postgres => " ->> 'role' = 'owner'",
                    Dialect::Sqlite => " ->> '$.role' = 'owner'",
                });
            };
            // COALESCE: an agent without a role (an AI agent) is no owner — without it,
            // NULL AND (no other owner) would hide the row from the delete.
            sql.push("NOT (COALESCE(");
            role(sql, alias);
            sql.push(", FALSE) AND NOT EXISTS (SELECT 1 FROM \"agents\" _o WHERE ");
            sql.ident("_o", "organization_id");
            sql.push(" = ");
            sql.ident(alias, "organization_id");
            sql.push(" AND ");
            sql.ident("_o", "id");
            sql.push(" <> ");
            sql.ident(alias, "id");
            sql.push(" AND ");
            role(sql, "_o");
            sql.push("))");
        }
        Pred::Exists {
            negate,
            child,
            join,
        } => {
            sql.push(if *negate {
                "NOT EXISTS (SELECT 1"
            } else {
                "EXISTS (SELECT 1"
            });
            from_where(sql, child, Some((alias, join)));
            sql.push(")");
        }
    }
}

/// ` FROM "table" alias WHERE <join> AND <policy and filters>`.
pub(crate) fn from_where(sql: &mut Sql, node: &Node, parent: Option<(&str, &Join)>) {
    sql.push(" FROM \"");
    sql.push(node.table.name);
    sql.push("\" ");
    sql.push(&node.alias);
    sql.push(" WHERE ");
    if let Some((parent_alias, join)) = parent {
        join_on(sql, parent_alias, &node.alias, join);
        sql.push(" AND ");
    }
    preds(sql, node);
}

fn filter(sql: &mut Sql, alias: &str, expr: &Expr, op: &PlanOp) {
    let sqlite = sql.dialect == Dialect::Sqlite;
    match op {
        PlanOp::Cmp(cmp, v) => {
            value_expr(sql, alias, expr);
            if !matches!(cmp, CmpOp::Eq | CmpOp::Neq) {
                collate(sql, expr);
            }
            sql.push(match cmp {
                CmpOp::Eq => " = ",
                CmpOp::Neq => " <> ",
                CmpOp::Gt => " > ",
                CmpOp::Gte => " >= ",
                CmpOp::Lt => " < ",
                CmpOp::Lte => " <= ",
            });
            json_param(sql, expr, v);
        }
        PlanOp::Like {
            insensitive,
            pattern,
        } => {
            value_expr(sql, alias, expr);
            match (sqlite, insensitive) {
                (false, false) => sql.push(" LIKE "),
                (false, true) => sql.push(" ILIKE "),
                // SQLite's LIKE ignores ASCII case: a case-sensitive LIKE is a GLOB.
                (true, false) => {
                    sql.push(" GLOB ");
                    sql.text_param(&like_to_glob(pattern));
                    return;
                }
                (true, true) => {
                    sql.push(" LIKE ");
                    sql.text_param(pattern);
                    sql.push(" ESCAPE '\\'");
                    return;
                }
            }
            sql.text_param(pattern);
        }
        PlanOp::Is(v) => {
            value_expr(sql, alias, expr);
            sql.push(match v {
                IsValue::Null | IsValue::Unknown => " IS NULL",
                IsValue::NotNull => " IS NOT NULL",
                IsValue::True => " IS TRUE",
                IsValue::False => " IS FALSE",
            });
        }
        PlanOp::IsDistinct(v) => {
            value_expr(sql, alias, expr);
            sql.push(if sqlite {
                " IS NOT "
            } else {
                " IS DISTINCT FROM "
            });
            json_param(sql, expr, v);
        }
        PlanOp::In(values) if values.is_empty() => sql.push("1 = 0"),
        PlanOp::In(values) => {
            value_expr(sql, alias, expr);
            sql.push(" IN (");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                json_param(sql, expr, v);
            }
            sql.push(")");
        }
        PlanOp::Contains(v) | PlanOp::ContainedBy(v) => {
            let contains = matches!(op, PlanOp::Contains(_));
            if sqlite {
                sqlite_containment(sql, alias, expr, v, contains);
            } else {
                value_expr(sql, alias, expr);
                sql.push(if contains { " @> " } else { " <@ " });
                sql.value(&crate::value::Value::Json(v.clone()));
            }
        }
    }
}

/// A parameter compared with `expr`; JSON text normalised by `json()` on SQLite.
fn json_param(sql: &mut Sql, expr: &Expr, v: &crate::value::Value) {
    if sql.dialect == Dialect::Sqlite && expr.value_type() == ColType::Json {
        sql.push("json(");
        sql.value(v);
        sql.push(")");
    } else {
        sql.value(v);
    }
}

/// `@>` / `<@` for flat arrays and objects: same JSON type, and every element of the
/// smaller side is in the larger one (by key too, for objects).
fn sqlite_containment(
    sql: &mut Sql,
    alias: &str,
    expr: &Expr,
    v: &serde_json::Value,
    contains: bool,
) {
    let text = v.to_string();
    let by_key = v.is_object();
    sql.push("json_type(");
    value_expr(sql, alias, expr);
    sql.push(") = json_type(");
    sql.text_param(&text);
    sql.push(") AND NOT EXISTS (SELECT 1 FROM json_each(");
    if contains {
        sql.text_param(&text);
    } else {
        value_expr(sql, alias, expr);
    }
    sql.push(") small WHERE NOT EXISTS (SELECT 1 FROM json_each(");
    if contains {
        value_expr(sql, alias, expr);
    } else {
        sql.text_param(&text);
    }
    sql.push(") big WHERE big.type = small.type AND big.atom IS small.atom");
    if by_key {
        sql.push(" AND big.key = small.key");
    }
    sql.push("))");
}

/// A PostgreSQL LIKE pattern (`\` escapes) as a GLOB: `%`→`*`, `_`→`?`, glob
/// metacharacters taken literally.
pub(crate) fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            '\\' => chars.next().unwrap_or('\\'),
            c => c,
        };
        match literal {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::like_to_glob;

    #[test]
    fn like_patterns_become_globs() {
        assert_eq!(like_to_glob("%ana_"), "*ana?");
        assert_eq!(like_to_glob("a\\%b*[c"), "a%b[*][[]c");
    }
}
