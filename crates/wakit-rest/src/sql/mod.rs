//! SQL text and binds for the two engines. Values are always bind parameters;
//! identifiers come only from the registry (and are quoted anyway).

mod expr;
mod read;
mod write;

pub(crate) use read::read_sql;
pub(crate) use write::{event as write_event, follow_up_sql, write_sql};

use crate::value::Value;

/// The engine the SQL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `$n` parameters (always cast in the text, so every bind can be sent
    /// as text, int8 or bool), `json_build_object`/`json_agg`.
    Postgres,
    /// SQLite: `?` parameters, `json_object`/`json_group_array`; uuids as text, times as
    /// integer microseconds, booleans as 0/1, JSON as text.
    Sqlite,
}

/// A parameter value, in bind order. PostgreSQL binds are text, int8 or bool (the SQL
/// casts them); SQLite binds are text or integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    /// NULL (bind as a null text).
    Null,
    /// Text.
    Text(String),
    /// A 64-bit integer.
    Int(i64),
    /// A boolean (PostgreSQL only; SQLite gets 0/1).
    Bool(bool),
}

/// SQL text under construction, with its binds.
pub(crate) struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Sql {
        Sql {
            dialect,
            text: String::new(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// A quoted identifier (names come from the registry: never a quote inside).
    pub fn ident(&mut self, alias: &str, name: &str) {
        self.text.push_str(alias);
        self.text.push_str(".\"");
        self.text.push_str(name);
        self.text.push('"');
    }

    /// A parameter; on PostgreSQL with the cast that types it.
    fn param(&mut self, bind: Bind, pg_type: &str) {
        self.binds.push(bind);
        match self.dialect {
            Dialect::Postgres => {
                let n = self.binds.len();
                self.text.push_str(&format!("${n}::{pg_type}"));
            }
            Dialect::Sqlite => self.text.push('?'),
        }
    }

    pub fn text_param(&mut self, s: &str) {
        self.param(Bind::Text(s.to_string()), "text");
    }

    pub fn int_param(&mut self, i: i64) {
        self.param(Bind::Int(i), "int8");
    }

    /// A value written to a column: NULL typed as the column on PostgreSQL.
    pub fn column_value(&mut self, ty: crate::registry::ColType, v: &Value) {
        match v {
            Value::Null => self.param(Bind::Null, ty.pg_type()),
            v => self.value(v),
        }
    }

    /// A typed value as one parameter.
    pub fn value(&mut self, v: &Value) {
        let sqlite = self.dialect == Dialect::Sqlite;
        match v {
            Value::Null => self.param(Bind::Null, "text"),
            Value::Text(s) => self.param(Bind::Text(s.clone()), "text"),
            Value::Int(i) => self.param(Bind::Int(*i), "int8"),
            Value::Bool(b) if sqlite => self.param(Bind::Int(i64::from(*b)), ""),
            Value::Bool(b) => self.param(Bind::Bool(*b), "bool"),
            Value::Uuid(u) => self.param(Bind::Text(u.to_string()), "uuid"),
            Value::Time(t) if sqlite => self.param(Bind::Int(t.timestamp_micros()), ""),
            Value::Time(t) => self.param(
                Bind::Text(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
                "timestamptz",
            ),
            Value::Json(j) => self.param(Bind::Text(j.to_string()), "jsonb"),
        }
    }
}
