//! wakit's Supabase-compatible data API (`/rest/v1/{table}`) as pure functions: the
//! PostgREST grammar → an AST → a plan against a static registry of the ten tenant
//! tables, with the read policies applied at every embed level → one SQL statement for
//! PostgreSQL or SQLite. No IO: the server executes the statement and sends the answer.
//!
//! ```text
//! let plan = wakit_rest::plan(Method::Get, "conversations", query, &headers, body, &auth)?;
//! let (sql, binds) = plan.sql(Dialect::Postgres);      // or Dialect::Sqlite
//! // execute: one row with columns body (text), page_count (int8), total (int8, NULL
//! // unless `Prefer: count=exact`); bind PostgreSQL parameters as text/int8/bool and
//! // SQLite ones as text/integer — the SQL carries the casts.
//! let answer = plan.respond(Outcome { body, page_count, total })?;
//! // answer.status, answer.headers (Content-Type, Content-Range), answer.body
//! ```
//!
//! Every error is a [`RestError`] carrying the PostgREST code and HTTP status;
//! [`RestError::body`] is the JSON the clients expect (always the four keys).
//!
//! The [`Auth`] is resolved by the server (JWT role, memberships from `agents`, or an
//! `sk_` key's organization and role); the planner turns it into a predicate on every
//! table the statement reads — the top level, every embed and every `EXISTS` of an
//! `!inner` or `rel=is.null` filter — so no query string can reach another tenant.
//!
//! Both engines give the same JSON: times as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, uuids
//! as strings, booleans and JSON columns as JSON, text ordered bytewise (`COLLATE "C"`
//! on PostgreSQL, SQLite's BINARY), ties broken by the primary key. Known differences:
//! `ilike` folds only ASCII case on SQLite; `->>` of a JSON number is SQLite's text of it.
//!
//! Not yet: writes (POST/PATCH/DELETE answer PGRST127), spreads, aggregates, ordering by
//! an embed, `csv`, full-text and regex/range operators (PGRST127).
#![forbid(unsafe_code)]

pub mod ast;
pub mod auth;
pub mod error;
pub mod parse;
mod plan;
mod policy;
pub mod prefer;
pub mod registry;
mod sql;
pub mod value;

pub use auth::{Auth, Role};
pub use error::{ErrorCode, RestError};
pub use plan::{Method, Outcome, Plan, Response, Returns, plan};
pub use registry::OrgRole;
pub use sql::{Bind, Dialect};
