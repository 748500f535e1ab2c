//! wakit's Supabase-compatible data API (`/rest/v1/{table}`) as pure functions: the
//! PostgREST grammar → an AST → a plan against a static registry of the ten tenant
//! tables, with the policies of the hosted product applied at every level → one SQL
//! statement for PostgreSQL or SQLite. No IO: the server executes the statement and
//! sends the answer.
//!
//! ```text
//! let plan = wakit_rest::plan(Method::Get, "conversations", raw_query, &headers, body, &auth)?;
//! let (sql, binds) = plan.sql(Dialect::Postgres);            // or Dialect::Sqlite
//! // Bind in order: Bind::Text → text, Int → int8/integer, Bool → bool, Null → a null
//! // text (the PostgreSQL text carries every cast; SQLite never gets Bool).
//! let outcome = match plan.returns() {
//!     // Reads: one row — body (text), page_count (int8), total (int8 or NULL).
//!     Returns::Summary => Outcome { body, page_count, total },
//!     // Writes: run in a transaction; one row per written row, one text column j;
//!     // then plan.follow_up(dialect), if any (an organization's owner agent).
//!     Returns::Rows => Outcome::from_rows(&js),
//! };
//! match plan.respond(outcome) {
//!     // status (200/206/201/204), headers (Content-Type, Content-Range), body (None for HEAD
//!     // and return=minimal). Writes: commit unless plan.rollback() (Prefer: tx=rollback).
//!     Ok(answer) => ...,
//!     // Writes: roll back (e.g. PGRST124 max-affected). Send err.status_for(auth.is_authenticated())
//!     // and err.body().
//!     Err(err) => ...,
//! }
//! // A database error while executing: RestError::from_database(sqlstate_or_sqlite_code, message).
//! ```
//!
//! On PostgreSQL a statement may read several organizations (a user's memberships) and
//! applies the policies itself, so run it where the row-level security of migration 0007
//! lets it: the tests run every statement as the store does, `SET LOCAL ROLE wakit_app`
//! with the internal scope (`set_config('app.scope', 'internal', true)`).
//!
//! Every error is a [`RestError`] with the PostgREST (or PostgreSQL) code and HTTP status;
//! [`RestError::body`] is the JSON the clients expect (always the four keys).
//!
//! The [`Auth`] is resolved by the server (the JWT's role; memberships from `agents` rows
//! of the user whose invitation is absent or accepted; or an `sk_` key's organization,
//! role and row id). The planner turns it into a predicate on every table a statement
//! reads — the top level, every embed, every `EXISTS` of an `!inner` or `rel=is.null`
//! filter, the rows an update or delete reaches, the existing row an upsert merges into —
//! and checks every written row's organization, so no query string reaches another
//! tenant. Writes follow §10 of supabase-compat.md: members write contacts,
//! conversations and messages (insert only), contact addresses (only `contact_id`
//! changes); admins webhooks and quick replies; owners API keys (insert/delete) and the
//! organization's name; agents: owners any, admins AI agents, anyone their own name;
//! an organization's last owner is neither deleted nor demoted (the statement skips that
//! row; the hosted trigger raises an error instead).
//!
//! Both engines give the same JSON: times as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, uuids
//! as strings, booleans and JSON columns as JSON, text compared and ordered bytewise
//! (`COLLATE "C"` on PostgreSQL, SQLite's BINARY), ties broken by the primary key. The
//! planner fills column defaults (new UUIDv7 ids, the request time) so a plan writes the
//! same row on either engine. Known differences: `ilike` folds only ASCII case on SQLite;
//! `->>` of a JSON number is SQLite's text of it.
//!
//! Spreads `...rel(cols)` and `order=rel(col)` work for to-one embeds. Not yet
//! (PGRST127): spreads of to-many embeds, aggregates, full-text, regex and range
//! operators, limit on PATCH/DELETE, a write's representation embedding the written
//! table (SQLite's RETURNING sees the table after the write, PostgreSQL's before).
//! `Accept: text/csv` answers CSV (header from the first row). Also missing: the "synced address" rule, the invitation
//! trigger, `return=headers-only` (answered as minimal), and a merge upsert answers 201
//! even when it only updated.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
pub mod auth;
mod csv;
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
