//! INSERT / UPDATE / DELETE, each `RETURNING` one row per written row with one text
//! column `j`: the row's JSON object (the representation) or `''` (return=minimal).

use super::expr::{pred_list, preds};
use super::read::object;
use super::{Dialect, Sql};
use crate::plan::tree::Node;
use crate::plan::write::{Action, Insert};

/// The write statement; `represent`: return the rows' objects.
pub(crate) fn write_sql(sql: &mut Sql, action: &Action, node: &Node, represent: bool) {
    // SQLite's RETURNING does not know the statement's alias: name the table itself.
    let renamed;
    let node = if sql.dialect == Dialect::Sqlite {
        renamed = Node {
            alias: format!("\"{}\"", node.table.name),
            ..node.clone()
        };
        &renamed
    } else {
        node
    };
    match action {
        Action::Read => {}
        Action::Insert(ins, _) if ins.rows.is_empty() => {
            sql.push("SELECT '' AS j WHERE 1 = 0");
            return;
        }
        Action::Insert(ins, _) => insert(sql, ins, node),
        Action::Update(set) => {
            sql.push("UPDATE ");
            target(sql, node);
            for (i, (c, v)) in set.iter().enumerate() {
                sql.push(if i == 0 { " SET \"" } else { ", \"" });
                sql.push(c.name);
                sql.push("\" = ");
                sql.column_value(c.ty, v);
            }
            sql.push(" WHERE ");
            preds(sql, node);
        }
        Action::Delete => {
            sql.push("DELETE FROM ");
            target(sql, node);
            sql.push(" WHERE ");
            preds(sql, node);
        }
    }
    sql.push(" RETURNING ");
    if represent {
        object(sql, node);
        if sql.dialect == Dialect::Postgres {
            sql.push("::text");
        }
    } else {
        sql.push("''");
    }
    sql.push(" AS j");
    if event(node.table.name, action).is_some() {
        // Each row's event goes to the log in the same transaction (the store adds it).
        for (column, name) in [("id", "row_id"), ("organization_id", "row_org")] {
            sql.push(", ");
            sql.push(&node.alias);
            sql.push(".\"");
            sql.push(column);
            sql.push("\" AS ");
            sql.push(name);
        }
    }
}

/// The event (entity, action) each row `action` writes in `table` appends to the log,
/// as the API's own writes do: inserts and updates of messages, conversations and
/// contacts (an upsert's rows count as inserts).
pub(crate) fn event(table: &str, action: &Action) -> Option<(&'static str, &'static str)> {
    let entity = match table {
        "messages" => "messages",
        "conversations" => "conversations",
        "contacts" => "contacts",
        _ => return None,
    };
    match action {
        Action::Insert(..) => Some((entity, "insert")),
        Action::Update(_) => Some((entity, "update")),
        Action::Read | Action::Delete => None,
    }
}

/// The rows a write inserts after its main statement (an organization's owner agent),
/// without representation.
pub(crate) fn follow_up_sql(sql: &mut Sql, action: &Action) -> bool {
    let Action::Insert(_, Some(then)) = action else {
        return false;
    };
    let Ok(table) = crate::registry::table("agents") else {
        return false;
    };
    let agents = Node {
        table,
        alias: "t0".to_string(),
        outputs: Vec::new(),
        preds: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: None,
    };
    write_sql(sql, &Action::Insert((**then).clone(), None), &agents, false);
    true
}

fn insert(sql: &mut Sql, ins: &Insert, node: &Node) {
    sql.push("INSERT INTO ");
    target(sql, node);
    sql.push(" (");
    let names: Vec<String> = ins
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    sql.push(&names.join(", "));
    sql.push(") VALUES ");
    for (r, row) in ins.rows.iter().enumerate() {
        sql.push(if r == 0 { "(" } else { ", (" });
        for (i, (c, v)) in ins.columns.iter().zip(row).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.column_value(c.ty, v);
        }
        sql.push(")");
    }
    let Some(conflict) = &ins.conflict else {
        return;
    };
    let target: Vec<String> = conflict
        .target
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    sql.push(" ON CONFLICT (");
    sql.push(&target.join(", "));
    sql.push(")");
    match &conflict.merge {
        None => sql.push(" DO NOTHING"),
        Some(set) => {
            for (i, c) in set.iter().enumerate() {
                sql.push(if i == 0 { " DO UPDATE SET \"" } else { ", \"" });
                sql.push(c.name);
                sql.push("\" = excluded.\"");
                sql.push(c.name);
                sql.push("\"");
            }
            sql.push(" WHERE ");
            pred_list(sql, node, &conflict.guard);
        }
    }
}

/// `"table" AS alias`, or just `"table"` when the table is its own alias.
fn target(sql: &mut Sql, node: &Node) {
    sql.push("\"");
    sql.push(node.table.name);
    sql.push("\"");
    if !node.alias.starts_with('"') {
        sql.push(" AS ");
        sql.push(&node.alias);
    }
}
