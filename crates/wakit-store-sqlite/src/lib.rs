//! wakit's SQLite storage backend.
//!
//! One database file in WAL mode. SQLite has a single writer, so every write
//! transaction goes through a pool of exactly one connection (`BEGIN IMMEDIATE`), which
//! serializes writers inside the process instead of letting them fail with
//! `SQLITE_BUSY`; reads use a separate pool of four connections that never block on
//! the writer. Times are INTEGER unix microseconds UTC, ids hyphenated UUID TEXT, JSON
//! TEXT, bytes BLOB. Contact search uses a trigram table keyed by organization
//! (`0018_org_scoped_search.sql`, see [`contacts`]).
#![forbid(unsafe_code)]

mod accounts;
mod agents;
mod bounded;
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
mod jobs;
mod keys;
mod leases;
mod media;
mod messages;
mod orgs;
mod people;
mod people_rows;
mod read_rows;
mod readers;
mod retention;
mod rows;
mod shared;
mod status;
mod status_batch;
mod templates;
mod wakeups;
mod webhooks;

#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use wakit_store::{Store, StoreError, StoreResult};

use crate::error::{DbResultExt, db};
use crate::readers::Readers;
use crate::wakeups::Wakeups;

/// Connections in the read pool.
const READERS: u32 = 4;
/// Contact searches that may hold a reader connection at once.
const SEARCH_SLOTS: usize = 2;
/// How long a connection waits on a lock held by another process before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page cache of the writer connection, in KiB: index inserts into a large database
/// touch pages all over the messages indexes, and every miss is a read from the OS.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Page cache of each reader connection, in KiB (SQLite's default is 2 MiB).
pub(crate) const READER_CACHE_KIB: i64 = 16 * 1024;
/// Bytes of the database file each reader maps into memory (address space, not RAM).
pub(crate) const READER_MMAP_BYTES: i64 = 4 << 30;
/// How long a call waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite store: a single-connection writer pool and a reader pool over one file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    readers: Arc<Readers>,
    /// The database file.
    path: PathBuf,
    /// Contact searches running at once (fewer than the reader connections).
    search_slots: Arc<tokio::sync::Semaphore>,
    /// This process's shared lock on `<database>-leases`, once its workers started
    /// (`leases.rs`).
    lease_lock: Arc<std::sync::Mutex<Option<std::fs::File>>>,
    /// Wakes this process's job workers and event readers on the writer's commits.
    wakeups: Arc<Wakeups>,
}

impl SqliteStore {
    /// Opens the database at `url` (`sqlite://path` or `sqlite:path`; a plain path is
    /// accepted too). A missing file is created (with its parent directories) when
    /// `create_if_missing` is true, and is `StoreError::Unavailable` otherwise.
    /// Does not migrate: call [`Store::migrate`].
    pub async fn open(url: &str, create_if_missing: bool) -> StoreResult<SqliteStore> {
        let path = database_path(url)?;
        if !path.exists() {
            if !create_if_missing {
                return Err(StoreError::unavailable(format!(
                    "no SQLite database at {}",
                    path.display()
                )));
            }
            create_private(&path)?;
        }
        let base = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(create_if_missing)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // Every call to SQLite is a round trip to the connection's worker thread, so
        // pooled connections are not pinged before use (a local file does not drop).
        // The writer opens first: it creates the file and switches it to WAL (a
        // persistent setting), so readers opened afterwards find WAL already on. Its
        // hooks note the commits that wake waiters; each is announced once the
        // connection is released (the commit is done by then).
        let wakeups = Arc::new(Wakeups::default());
        let (hooked, released) = (wakeups.clone(), wakeups.clone());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                let wakeups = hooked.clone();
                Box::pin(async move {
                    wakeups.install(&mut conn.lock_handle().await?);
                    Ok(())
                })
            })
            .after_release(move |_, _| {
                released.announce();
                Box::pin(async { Ok(true) })
            })
            .connect_with(
                base.clone()
                    .journal_mode(SqliteJournalMode::Wal)
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    .optimize_on_close(true, None),
            )
            .await
            .map_err(|e| open_error(&path, e))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(
                base.create_if_missing(false)
                    .pragma("query_only", "ON")
                    .pragma("cache_size", format!("-{READER_CACHE_KIB}"))
                    // Readers map the file: a page already in the OS cache costs no
                    // read() call, which is most of a cold page lookup's time.
                    .pragma("mmap_size", READER_MMAP_BYTES.to_string()),
            )
            .await
            .map_err(|e| open_error(&path, e))?;
        let readers = Readers::open(&path).map_err(|e| cannot_open(&path, e))?;
        Ok(SqliteStore {
            writer,
            reader,
            readers: Arc::new(readers),
            path,
            search_slots: Arc::new(tokio::sync::Semaphore::new(SEARCH_SLOTS)),
            lease_lock: Arc::default(),
            wakeups,
        })
    }

    /// Starts a write transaction on the single writer connection.
    pub(crate) async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.db()
    }

    /// The read pool.
    pub(crate) fn reads(&self) -> &SqlitePool {
        &self.reader
    }

    /// Permits for contact searches.
    pub(crate) fn search_slots(&self) -> &tokio::sync::Semaphore {
        &self.search_slots
    }

    /// The hot reads' connections (used on the calling thread).
    pub(crate) fn readers(&self) -> &Readers {
        &self.readers
    }
}

/// Creates an empty database file readable only by its owner (0600), and its missing
/// parent directories 0700. SQLite gives the `-wal` and `-shm` files the database
/// file's mode, so they are private too. A file that appeared meanwhile is kept.
fn create_private(path: &Path) -> StoreResult<()> {
    let unavailable = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::unavailable(format!("cannot create {what} {}: {e}", p.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(parent)
            .map_err(|e| unavailable("directory", parent, e))?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(unavailable("database file", path, e)),
    }
}

/// The file a `sqlite://path` (or `sqlite:path`, or plain path) URL names; query
/// parameters such as `?mode=rwc` are ignored (wakit decides when to create the file).
pub fn database_path(url: &str) -> StoreResult<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() || rest.contains(":memory:") {
        return Err(StoreError::other(format!(
            "{url:?} is not a SQLite database file path (in-memory databases are not supported)"
        )));
    }
    Ok(PathBuf::from(rest))
}

fn open_error(path: &Path, e: sqlx::Error) -> StoreError {
    cannot_open(path, db(e))
}

/// A database that cannot be opened is unavailable, whatever the driver called it.
fn cannot_open(path: &Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(f) | StoreError::Other(f) => StoreError::Unavailable(f.context(
            format_args!("cannot open SQLite database {}", path.display()),
        )),
        other => other,
    }
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    match e {
        M::VersionMissing(v) => StoreError::corrupt(format!(
            "the database has migration {v}, which this wakit does not know (a newer schema?)"
        )),
        M::VersionMismatch(v) => StoreError::corrupt(format!(
            "migration {v} was changed after it was applied to this database"
        )),
        M::Dirty(v) => StoreError::corrupt(format!("migration {v} was left partially applied")),
        M::Execute(e) | M::ExecuteMigration(e, _) => match db(e) {
            StoreError::Other(f) => StoreError::Other(f.context("migration failed")),
            other => other,
        },
        other => StoreError::other(format!("migration failed: {other}")),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn finish_sends(
        &self,
        items: &[wakit_store::SendAccepted],
    ) -> StoreResult<Vec<StoreResult<()>>> {
        self.sends_finished(items).await
    }

    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations")
            .run(&self.writer)
            .await
            .map_err(migrate_error)
    }

    fn pool_status(&self) -> wakit_store::PoolStatus {
        let pools = [&self.writer, &self.reader];
        wakit_store::PoolStatus {
            size: pools.iter().map(|p| p.size()).sum(),
            idle: pools.iter().map(|p| p.num_idle() as u32).sum(),
            max: pools
                .iter()
                .map(|p| p.options().get_max_connections())
                .sum(),
        }
    }

    async fn change_epoch(&self) -> StoreResult<Option<u64>> {
        self.readers.epoch().map(Some)
    }

    /// This process's commits of jobs wake the waiters at once; another process's are
    /// found after `timeout` (the caller's poll).
    async fn wait_for_jobs(&self, timeout: Duration) {
        self.wakeups.jobs(timeout).await;
    }

    /// This process's commits of events wake the waiters at once; another process's are
    /// found by watching the change epoch.
    async fn wait_for_events(&self, timeout: Duration) {
        self.wakeups
            .events(wakit_store::watch_epoch(self, timeout))
            .await;
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await.db()?;
        Ok(())
    }
}
