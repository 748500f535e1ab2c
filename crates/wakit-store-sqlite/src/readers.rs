//! The hot reads' connections: plain SQLite connections (rusqlite) used on the calling
//! thread.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every statement is a
//! round trip to that thread, every row a message back, and returning a connection to
//! the pool spawns a task. For the API's reads — a handful of indexed rows from pages
//! the readers map into memory — those hand-offs cost several times the query. The
//! conversation reads ([`crate::conversations`]) therefore run on these connections,
//! synchronously, on the thread that asks: such a read takes tens of microseconds, well
//! inside what an async task may run between two awaits. Writes stay on sqlx's single
//! writer connection.
//!
//! Connections are opened on demand and kept on an idle stack (at most [`KEEP`]); a
//! read holds one only while it runs, so there are never more in use than threads
//! reading at once. Each keeps its prepared statements.
//!
//! They also keep the change epoch ([`Readers::epoch`]): SQLite's `PRAGMA data_version`
//! tells a connection whether any *other* connection — the writer, or another process
//! — committed since that connection last asked. These connections never write, so a
//! change seen by any of them moves the shared epoch on. A connection seeing a change
//! for the first time only after another already did moves it again: harmless (one
//! more miss). A commit that ends before a caller's `epoch()` began is always counted
//! by the epoch that call returns: the first check after the commit on whichever
//! connection — at the latest, this one — moved the epoch on.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags};
use wakit_store::StoreResult;

use crate::error::DbResultExt;
use crate::{BUSY_TIMEOUT, READER_CACHE_KIB, READER_MMAP_BYTES};

/// Idle connections kept for the next reads.
const KEEP: usize = 8;

/// Prepared statements each connection keeps.
const STATEMENTS: usize = 32;

/// Read connections to one database file.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
    epoch: AtomicU64,
}

/// A connection and the `data_version` it saw last (`None`: never asked).
#[derive(Debug)]
struct Reader {
    conn: Connection,
    seen: Option<i64>,
}

impl Readers {
    /// Readers of the database at `path` (which must exist and be in WAL mode). One
    /// connection is opened now, so a file that cannot be read fails here.
    pub(crate) fn open(path: &Path) -> StoreResult<Readers> {
        let first = connect(path)?;
        Ok(Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(vec![Reader {
                conn: first,
                seen: None,
            }]),
            epoch: AtomicU64::new(0),
        })
    }

    /// Runs `read` on an idle connection (a new one when none is idle), on this thread.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.with_reader(|r| read(&r.conn))
    }

    /// The change epoch (see the module documentation).
    pub(crate) fn epoch(&self) -> StoreResult<u64> {
        self.with_reader(|r| {
            let version: i64 = r
                .conn
                .prepare_cached("PRAGMA data_version")
                .and_then(|mut s| s.query_row([], |row| row.get(0)))
                .db()?;
            if r.seen != Some(version) {
                r.seen = Some(version);
                self.epoch.fetch_add(1, Ordering::SeqCst);
            }
            Ok(self.epoch.load(Ordering::SeqCst))
        })
    }

    fn with_reader<T>(&self, read: impl FnOnce(&mut Reader) -> StoreResult<T>) -> StoreResult<T> {
        let taken = self.lock().pop();
        let mut reader = match taken {
            Some(r) => r,
            None => Reader {
                conn: connect(&self.path)?,
                seen: None,
            },
        };
        let result = read(&mut reader);
        let mut idle = self.lock();
        if idle.len() < KEEP {
            idle.push(reader);
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Reader>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A read-only connection set up as sqlx's readers are (busy timeout, page cache,
/// memory map, `query_only`).
fn connect(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).db()?;
    conn.busy_timeout(BUSY_TIMEOUT).db()?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS);
    for pragma in [
        "PRAGMA query_only = ON".to_string(),
        format!("PRAGMA cache_size = -{READER_CACHE_KIB}"),
        format!("PRAGMA mmap_size = {READER_MMAP_BYTES}"),
    ] {
        // Some pragmas answer with a row: step through whatever comes back.
        let mut stmt = conn.prepare(&pragma).db()?;
        let mut rows = stmt.query([]).db()?;
        while rows.next().db()?.is_some() {}
    }
    Ok(conn)
}
