//! Running the statements the data API (`/rest/v1`, crate `wakit-rest`) plans. The
//! planner applies the tenancy policies itself and hands over finished SQL, so the
//! backends only execute it, bounded in time, and report what the database refused in
//! the database's own terms (code and message), which the API maps to PostgREST's.

use async_trait::async_trait;

use crate::StoreResult;

/// A statement's parameter, in bind order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlParam {
    /// NULL (bound as a null text).
    Null,
    /// Text.
    Text(String),
    /// A 64-bit integer.
    Int(i64),
    /// A boolean (SQLite gets 0/1).
    Bool(bool),
}

/// A planned statement for this backend's dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// Its parameters.
    pub params: Vec<SqlParam>,
}

/// What a read statement returns: one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSummary {
    /// The rows as one JSON array.
    pub body: String,
    /// How many rows the page holds.
    pub page_count: i64,
    /// The exact total, when counted.
    pub total: Option<i64>,
}

/// A statement the database refused (a constraint, a policy, a bad value): its code
/// (PostgreSQL's SQLSTATE, or SQLite's result code) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// SQLSTATE or SQLite result code.
    pub code: String,
    /// The database's message.
    pub message: String,
}

/// The event each row a data-API write changes appends to the log (in its
/// transaction), as the API's own writes do: the statement then returns the row's
/// `row_id` and `row_org` (text) beside `j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowEvent {
    /// `messages`, `conversations`, `contacts`.
    pub entity: &'static str,
    /// `insert` or `update`.
    pub action: &'static str,
}

/// Whether to commit a write, from the rows it wrote.
pub type Decide = Box<dyn for<'a> FnOnce(&'a [String]) -> bool + Send>;

/// The SQL dialect a backend's statements must be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlDialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Runs data-API statements.
#[async_trait]
pub trait DataApiStore: Send + Sync {
    /// The dialect [`DataApiStore::data_read`] and [`DataApiStore::data_write`] take.
    fn sql_dialect(&self) -> SqlDialect;

    /// Runs a read (one row: `body`, `page_count`, `total`), stopped after
    /// [`crate::SEARCH_TIMEOUT`]-like bounds of the backend (unavailable when it runs over).
    async fn data_read(&self, read: Statement) -> StoreResult<Result<ReadSummary, Refusal>>;

    /// Runs a write and then `follow_up` (its rows ignored) in one transaction, with
    /// `event` appended to the log for each row written; the statement's rows (one text
    /// column `j` each) go to `decide`, which says whether to commit (`false`: roll
    /// back, e.g. `Prefer: tx=rollback`). Returns the rows.
    async fn data_write(
        &self,
        write: Statement,
        follow_up: Option<Statement>,
        event: Option<RowEvent>,
        decide: Decide,
    ) -> StoreResult<Result<Vec<String>, Refusal>>;
}
