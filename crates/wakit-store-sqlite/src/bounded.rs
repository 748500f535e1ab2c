//! Heavy reads whose cost the caller controls (contact search, data-API queries): at
//! most `SEARCH_SLOTS` hold reader connections at once, so a burst of them never takes
//! every connection from key checks and conversation reads, and each is stopped after
//! [`SEARCH_TIMEOUT`] by SQLite's progress handler.

use std::time::Instant;

use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use wakit_store::{SEARCH_TIMEOUT, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;

/// SQLite virtual-machine steps between deadline checks (~1 ms of work).
const PROGRESS_OPS: i32 = 10_000;

/// A heavy read that ran out of time (or of slots).
pub(crate) fn busy(what: &str) -> StoreError {
    StoreError::unavailable(format!(
        "{what} did not finish within {} s",
        SEARCH_TIMEOUT.as_secs()
    ))
}

impl SqliteStore {
    /// Runs `q` as a bounded heavy read (`what` names it in the error when it runs out
    /// of time). The inner result is the database's own answer, for callers that map
    /// refusals themselves.
    pub(crate) async fn bounded_read<'q>(
        &self,
        what: &str,
        q: Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> StoreResult<Result<Vec<SqliteRow>, sqlx::Error>> {
        let _slot = tokio::time::timeout(SEARCH_TIMEOUT, self.search_slots().acquire())
            .await
            .map_err(|_| busy(what))?
            .map_err(|_| busy(what))?;
        let mut conn = self.reads().acquire().await.db()?;
        let deadline = Instant::now() + SEARCH_TIMEOUT;
        conn.lock_handle()
            .await
            .db()?
            .set_progress_handler(PROGRESS_OPS, move || Instant::now() < deadline);
        let rows = q.fetch_all(&mut *conn).await;
        conn.lock_handle().await.db()?.remove_progress_handler();
        match rows {
            Err(_) if Instant::now() >= deadline => Err(busy(what)),
            other => Ok(other),
        }
    }
}
