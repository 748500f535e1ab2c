//! wakit's PostgreSQL backend: the scale-out engine, for several server replicas
//! sharing one database.
//!
//! Concurrency rules this crate follows:
//! - races on inserts resolve on a constraint (`ON CONFLICT DO NOTHING`, then re-select),
//!   never on a read-then-insert;
//! - status changes read the row `FOR UPDATE` and write it back in the same transaction;
//! - job claims are one `UPDATE` over `SELECT ... FOR UPDATE SKIP LOCKED`, each claimed
//!   row getting a fresh lease token.
//!
//! Every transaction on a tenant table runs as the role `wakit_app` under row-level
//! security, scoped to one organization or to the internal cross-tenant paths
//! (`scope.rs`, migration 0007, docs/schema.md).
//!
//! ```no_run
//! # async fn demo() -> wakit_store::StoreResult<()> {
//! use wakit_store::Store;
//! use wakit_store_postgres::{PgOptions, PgStore};
//! let store = PgStore::connect("postgres://postgres@127.0.0.1/wakit", PgOptions::default()).await?;
//! store.migrate().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod accounts;
mod agents;
mod contacts;
mod conversations;
mod data_api;
mod delivery_log;
mod dispatch;
mod error;
mod idempotency;
mod identities;
mod inbox;
mod ingest;
mod ingest_batch;
mod ingest_write;
mod jobs;
mod keys;
mod leases;
mod media;
mod merged;
mod messages;
mod orgs;
mod pacing;
mod people;
mod people_rows;
mod retention;
mod rows;
mod scope;
mod sends;
mod status;
mod status_batch;
mod templates;
#[cfg(test)]
mod tests;
mod wakeup;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};
use wakit_store::{Store, StoreError, StoreResult};

use crate::error::DbResultExt;

/// Connection pool settings.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Most connections this replica opens.
    pub max_connections: u32,
    /// How long a call waits for a free connection before failing `Unavailable`.
    pub acquire_timeout: Duration,
    /// Server-side limit per statement (`SET statement_timeout` on every connection);
    /// `None` leaves the server's setting.
    pub statement_timeout: Option<Duration>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// The PostgreSQL store. Cheap to clone (it shares one pool).
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    wakeup: std::sync::Arc<wakeup::Wakeup>,
    event_wakeup: std::sync::Arc<wakeup::Wakeup>,
    /// This process's lease-owner registration (`leases.rs`), once its workers started.
    owner: std::sync::Arc<tokio::sync::Mutex<Option<leases::Owner>>>,
    /// Its id, readable without the lock (claims record it).
    owner_id: std::sync::Arc<std::sync::OnceLock<i64>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and opens the pool.
    /// An unreachable server is `Unavailable`; a malformed URL is `Other`.
    pub async fn connect(url: &str, options: PgOptions) -> StoreResult<PgStore> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::other(format!("invalid postgres url: {e}")))?
            .application_name("wakit")
            // Short OLTP queries: JIT compilation only adds tens of milliseconds to them.
            .options([("jit", "off")]);
        let timeout_ms = options.statement_timeout.map(|t| t.as_millis().max(1));
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if let Some(ms) = timeout_ms {
                        conn.execute(format!("SET statement_timeout = {ms}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(error::db_err)?;
        Ok(PgStore::from_pool(pool))
    }

    /// Wraps an existing pool (its connections are used as configured).
    pub fn from_pool(pool: PgPool) -> PgStore {
        PgStore {
            pool,
            wakeup: wakeup::Wakeup::new(wakeup::JOBS),
            event_wakeup: wakeup::Wakeup::new(wakeup::EVENTS),
            owner: Default::default(),
            owner_id: Default::default(),
        }
    }

    /// The underlying pool (tests, row-level-security setup).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn concurrent_writers(&self) -> bool {
        true
    }

    async fn finish_sends(
        &self,
        items: &[wakit_store::SendAccepted],
    ) -> StoreResult<Vec<StoreResult<()>>> {
        sends::sends_finished(&self.pool, items).await
    }

    async fn migrate(&self) -> StoreResult<()> {
        // A dedicated connection without the statement timeout: a long index build, or
        // waiting for another replica's migration lock, must not be cancelled. It is
        // closed afterwards instead of going back to the pool with that setting.
        let mut conn = self.pool.acquire().await.db()?;
        conn.close_on_drop();
        sqlx::query("SET statement_timeout = 0")
            .execute(&mut *conn)
            .await
            .db()?;
        sqlx::migrate!("./migrations")
            .run_direct(&mut *conn)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(e) => error::db_err(e),
                e @ (sqlx::migrate::MigrateError::VersionMissing(_)
                | sqlx::migrate::MigrateError::VersionMismatch(_)
                | sqlx::migrate::MigrateError::Dirty(_)) => {
                    StoreError::corrupt(format!("schema: {e}"))
                }
                e => StoreError::other(format!("migration: {e}")),
            })
    }

    async fn wait_for_jobs(&self, timeout: Duration) {
        self.wakeup.wait(&self.pool, timeout).await;
    }

    async fn wait_for_events(&self, timeout: Duration) {
        self.event_wakeup.wait(&self.pool, timeout).await;
    }

    fn shares_pacing(&self) -> bool {
        true
    }

    async fn reserve_send_slots(
        &self,
        account: wakit_core::AccountId,
        interval: Duration,
        count: u32,
        horizon: Duration,
    ) -> StoreResult<Result<Duration, Duration>> {
        pacing::reserve(&self.pool, account, interval, count, horizon).await
    }

    fn pool_status(&self) -> wakit_store::PoolStatus {
        wakit_store::PoolStatus {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .db()
            .map(|_| ())
    }
}
