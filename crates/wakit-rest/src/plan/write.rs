//! POST / PATCH / DELETE: the body typed by the registry, defaults filled (SQLite's
//! tables have none for ids and times), the write policy on existing rows and a check on
//! every written row.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::Method;
use super::tree::{Node, Output, Pred};
use crate::ast::Query;
use crate::auth::Auth;
use crate::error::{ErrorCode, RestError};
use crate::policy::{Command, write_rule};
use crate::prefer::{Preferences, Resolution};
use crate::registry::{ColType, Column, Default, Table};
use crate::value::{Value, parse_time, typed};

/// What a write does (the representation and the WHERE are the plan's read node).
#[derive(Clone, Debug)]
pub(crate) enum Action {
    Read,
    /// The rows, and rows inserted after them (an organization's owner agent).
    Insert(Insert, Option<Box<Insert>>),
    Update(Vec<(&'static Column, Value)>),
    Delete,
}

/// The owner agents of organizations a user creates (the hosted product's trigger): one
/// row per organization, inserted after them in the same transaction.
fn owner_agents(
    orgs: &Insert,
    auth: &Auth,
    now: DateTime<Utc>,
) -> Result<Option<Insert>, RestError> {
    let Some(user) = auth
        .user_id
        .filter(|_| auth.role == crate::auth::Role::Authenticated)
    else {
        return Ok(None);
    };
    let agents = crate::registry::table("agents")?;
    let names = [
        "id",
        "organization_id",
        "user_id",
        "name",
        "ai",
        "extra",
        "created_at",
        "updated_at",
    ];
    let columns = names
        .iter()
        .map(|n| agents.column(n))
        .collect::<Result<Vec<_>, _>>()?;
    let id_at = orgs.columns.iter().position(|c| c.name == "id");
    let rows = orgs
        .rows
        .iter()
        .map(|row| {
            vec![
                Value::Uuid(Uuid::now_v7()),
                id_at.map_or(Value::Null, |i| row[i].clone()),
                Value::Uuid(user),
                Value::Text(auth.name.clone().unwrap_or_else(|| "Owner".to_string())),
                Value::Bool(false),
                Value::Json(serde_json::json!({"role": "owner"})),
                Value::Time(now),
                Value::Time(now),
            ]
        })
        .collect();
    Ok(Some(Insert {
        columns,
        rows,
        conflict: None,
    }))
}

/// Rows to insert, all with the same columns.
#[derive(Clone, Debug)]
pub(crate) struct Insert {
    pub columns: Vec<&'static Column>,
    pub rows: Vec<Vec<Value>>,
    pub conflict: Option<Conflict>,
}

/// `ON CONFLICT (target) DO NOTHING | DO UPDATE SET ... WHERE guard`.
#[derive(Clone, Debug)]
pub(crate) struct Conflict {
    pub target: Vec<&'static Column>,
    /// None: ignore duplicates.
    pub merge: Option<Vec<&'static Column>>,
    /// Predicates on the existing row (policies) for the merge.
    pub guard: Vec<Pred>,
}

/// Whether an embed at any depth of `node` reads `table`.
fn reaches(node: &Node, table: &Table) -> bool {
    node.outputs.iter().any(|o| match o {
        Output::Embed { child, .. } | Output::Spread { child, .. } => {
            child.table.name == table.name || reaches(child, table)
        }
        Output::Column { .. } => false,
    })
}

fn invalid_body(details: impl Into<String>) -> RestError {
    RestError::new(ErrorCode::InvalidBody, "Empty or invalid json").details(details)
}

fn unknown_column(table: &Table, name: &str) -> RestError {
    RestError::new(
        ErrorCode::UnknownWriteColumn,
        format!(
            "Could not find the '{name}' column of '{}' in the schema cache",
            table.name
        ),
    )
}

fn column(table: &'static Table, name: &str) -> Result<&'static Column, RestError> {
    table.column(name).map_err(|_| unknown_column(table, name))
}

/// A JSON body value as a value of `column`.
fn from_json(column: &Column, v: &Json) -> Result<Value, RestError> {
    let bad = || {
        RestError::new(
            ErrorCode::InvalidValue,
            format!("invalid input syntax for column {}: {v}", column.name),
        )
    };
    Ok(match (column.ty, v) {
        (_, Json::Null) => Value::Null,
        (ColType::Json, v) => Value::Json(v.clone()),
        (ColType::Text, Json::String(s)) => Value::Text(s.clone()),
        (ColType::Text, v) => Value::Text(v.to_string()),
        (ColType::Int, Json::Number(n)) => Value::Int(n.as_i64().ok_or_else(bad)?),
        (ColType::Bool, Json::Bool(b)) => Value::Bool(*b),
        (ColType::Time, Json::String(s)) => Value::Time(parse_time(s).ok_or_else(bad)?),
        (ty, Json::String(s)) => typed(ty, s)?,
        _ => return Err(bad()),
    })
}

fn default_value(d: Default, now: DateTime<Utc>) -> Value {
    match d {
        Default::None => Value::Null,
        Default::NewId => Value::Uuid(Uuid::now_v7()),
        Default::Now => Value::Time(now),
        Default::Text(s) => Value::Text(s.to_string()),
        Default::Int(i) => Value::Int(i),
        Default::Bool(b) => Value::Bool(b),
        Default::Json(j) => Value::Json(serde_json::from_str(j).unwrap_or(Json::Null)),
    }
}

/// The request time, to the microsecond both engines keep.
fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

fn objects(body: &[u8]) -> Result<Vec<Map<String, Json>>, RestError> {
    let v: Json = serde_json::from_slice(body).map_err(|e| invalid_body(e.to_string()))?;
    let items = match v {
        Json::Array(items) => items,
        obj @ Json::Object(_) => vec![obj],
        _ => return Err(invalid_body("expected a JSON object or array of objects")),
    };
    items
        .into_iter()
        .map(|i| match i {
            Json::Object(m) => Ok(m),
            _ => Err(invalid_body("expected a JSON object or array of objects")),
        })
        .collect()
}

/// How a sealed tool header value begins (`wakit_store::secrets::INLINE_SEALED`).
const SEALED_VALUE: &str = "wakit-sealed:v1:";

/// An AI agent's provider key and its tools' header values are sealed by
/// `/functions/v1/api/agents`; written here they would sit in `extra` in plain text, so
/// they are refused (a sealed header value read from here may be written back).
fn refuse_plain_agent_key(body: &[u8]) -> Result<(), RestError> {
    let objs = objects(body)?;
    let extras = || objs.iter().filter_map(|o| o.get("extra"));
    if extras().any(|e| e.get("api_key").is_some()) {
        return Err(invalid_body(
            "an agent's api_key is write-only: set it through /functions/v1/api/agents, which stores it sealed",
        ));
    }
    let plain_header = |tool: &Json| {
        let headers = tool.get("config").and_then(|c| c.get("headers"));
        headers.and_then(Json::as_object).is_some_and(|h| {
            h.values()
                .any(|v| !v.as_str().is_some_and(|v| v.starts_with(SEALED_VALUE)))
        })
    };
    let tools = extras().filter_map(|e| e.get("tools").and_then(Json::as_array));
    if tools.flatten().any(plain_header) {
        return Err(invalid_body(
            "an agent's tool headers are write-only: set them through /functions/v1/api/agents, which stores them sealed",
        ));
    }
    Ok(())
}

/// Plans the write of `method` and narrows `node` (the representation and WHERE).
pub(crate) fn plan_write(
    method: Method,
    table: &'static Table,
    q: &Query,
    body: &[u8],
    prefs: &Preferences,
    auth: &Auth,
    node: &mut Node,
) -> Result<Action, RestError> {
    let top = q.levels.get(&Vec::new());
    if top.is_some_and(|l| l.limit.is_some() || l.offset.is_some())
        && matches!(method, Method::Patch | Method::Delete)
    {
        return Err(RestError::not_implemented(
            "limit/offset on PATCH and DELETE",
        ));
    }
    if !matches!(method, Method::Get | Method::Head) && reaches(node, table) {
        // SQLite's RETURNING would see the table after the write, PostgreSQL's before.
        return Err(RestError::not_implemented(
            "embedding the written table in a write's representation",
        ));
    }
    if table.name == "agents" && matches!(method, Method::Post | Method::Patch) {
        refuse_plain_agent_key(body)?;
    }
    let now = now();
    match method {
        Method::Get | Method::Head => Ok(Action::Read),
        Method::Delete => {
            let rule = write_rule(table, Command::Delete, auth, &[])?;
            node.preds.extend(rule.using);
            if table.name == "agents" {
                node.preds.push(Pred::NotLastOwner);
            }
            Ok(Action::Delete)
        }
        Method::Patch => {
            let mut objs = objects(body)?;
            if objs.len() != 1 {
                return Err(invalid_body("PATCH takes one JSON object"));
            }
            let obj = objs.remove(0);
            let mut set = Vec::new();
            for (k, v) in &obj {
                let c = column(table, k)?;
                set.push((c, from_json(c, v)?));
            }
            if !obj.contains_key("updated_at") && table.column("updated_at").is_ok() {
                set.push((table.column("updated_at")?, Value::Time(now)));
            }
            let names: Vec<&str> = obj.keys().map(String::as_str).collect();
            let rule = write_rule(table, Command::Update, auth, &names)?;
            let value_of = |name: &str| set.iter().find(|(c, _)| c.name == name).map(|(_, v)| v);
            if let Some(org) = value_of(table.org_column) {
                rule.check.row(table, Some(org), value_of("ai"))?;
            }
            node.preds.extend(rule.using);
            if table.name == "agents" && obj.contains_key("extra") {
                node.preds.push(Pred::NotLastOwner);
            }
            Ok(Action::Update(set))
        }
        Method::Post => {
            let ins = insert(table, q, body, prefs, auth, node, now)?;
            let then = match table.name {
                "organizations" => owner_agents(&ins, auth, now)?.map(Box::new),
                _ => None,
            };
            Ok(Action::Insert(ins, then))
        }
    }
}

fn insert(
    table: &'static Table,
    q: &Query,
    body: &[u8],
    prefs: &Preferences,
    auth: &Auth,
    node: &Node,
    now: DateTime<Utc>,
) -> Result<Insert, RestError> {
    let objs = objects(body)?;
    let mut given: Vec<&'static Column> = Vec::new();
    match &q.columns {
        Some(names) => {
            for n in names {
                given.push(column(table, n)?);
            }
        }
        None => {
            for k in objs.iter().flat_map(|o| o.keys()) {
                let c = column(table, k)?;
                if !given.iter().any(|g| g.name == c.name) {
                    given.push(c);
                }
            }
        }
    }
    let mut columns = given.clone();
    columns.extend(
        table
            .columns
            .iter()
            .filter(|c| c.default != Default::None && !given.iter().any(|g| g.name == c.name)),
    );
    let names: Vec<&str> = given.iter().map(|c| c.name).collect();
    let rule = write_rule(table, Command::Insert, auth, &names)?;
    let mut rows = Vec::with_capacity(objs.len());
    for obj in &objs {
        let mut row = Vec::with_capacity(columns.len());
        for c in &columns {
            let explicit = given.iter().any(|g| g.name == c.name);
            row.push(match obj.get(c.name) {
                Some(v) if explicit => from_json(c, v)?,
                _ if explicit && !prefs.missing_default => Value::Null,
                _ => default_value(c.default, now),
            });
        }
        let get = |name: &str| columns.iter().position(|c| c.name == name).map(|i| &row[i]);
        rule.check.row(table, get(table.org_column), get("ai"))?;
        rows.push(row);
    }
    let conflict = match prefs.resolution {
        None => None,
        Some(resolution) => {
            let target = match &q.on_conflict {
                Some(names) => names
                    .iter()
                    .map(|n| table.column(n))
                    .collect::<Result<Vec<_>, _>>()?,
                None => table
                    .primary_key
                    .iter()
                    .map(|n| table.column(n))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let merge = (resolution == Resolution::MergeDuplicates).then(|| {
                let mut set: Vec<&'static Column> = given
                    .iter()
                    .copied()
                    .filter(|c| !target.iter().any(|t| t.name == c.name))
                    .collect();
                if let Ok(u) = table.column("updated_at")
                    && !set.iter().any(|c| c.name == u.name)
                {
                    set.push(u);
                }
                set
            });
            let mut guard = vec![node.preds[0].clone()];
            if let Some(set) = &merge {
                // The merge updates these columns of the existing row: the update policy.
                let updated: Vec<&str> = set.iter().map(|c| c.name).collect();
                guard.extend(write_rule(table, Command::Update, auth, &updated)?.using);
            }
            Some(Conflict {
                target,
                merge,
                guard,
            })
        }
    };
    Ok(Insert {
        columns,
        rows,
        conflict,
    })
}
