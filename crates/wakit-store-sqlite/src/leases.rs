//! Resuming a crashed process's leases at once.
//!
//! Every process that runs workers on a SQLite file holds a shared `flock` on
//! `<database>-leases` for as long as it lives (the kernel drops it when the process
//! dies, however it dies). A process starting its workers first tries the lock
//! exclusively: if it gets it, no other live process works on this database, so every
//! running lease belonged to a process that is gone, and the jobs are made claimable now
//! instead of after their lease time. It then keeps the lock shared, so a later process
//! sees it alive.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use wakit_store::{StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::us;

/// How long to wait for another starting process to downgrade its exclusive lock.
const SHARE_WAIT: Duration = Duration::from_secs(10);

fn lock_path(database: &Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-leases");
    name.into()
}

fn open_lock(database: &Path) -> StoreResult<File> {
    let path = lock_path(database);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path).map_err(|e| {
        StoreError::unavailable(format!("cannot open lock file {}: {e}", path.display()))
    })
}

fn lock_error(e: std::io::Error) -> StoreError {
    StoreError::unavailable(format!("cannot lock the lease file: {e}"))
}

impl SqliteStore {
    pub(crate) async fn resume_leases(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        if self.lease_lock.lock().map_err(|_| poisoned())?.is_some() {
            return Ok(0);
        }
        let file = open_lock(&self.path)?;
        let alone = match file.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(e)) => return Err(lock_error(e)),
        };
        let mut resumed = 0;
        if alone {
            let mut tx = self.write_tx().await?;
            resumed = sqlx::query(
                "UPDATE jobs SET lease_until = ?1 WHERE state = 'running' AND lease_until > ?1",
            )
            .bind(us(now))
            .execute(&mut *tx)
            .await
            .db()?
            .rows_affected();
            tx.commit().await.db()?;
        }
        // Shared from now on (an exclusive holder is another process between its own
        // check and this same step: wait for it, bounded).
        let start = std::time::Instant::now();
        loop {
            match file.try_lock_shared() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < SHARE_WAIT => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::unavailable(
                        "another process keeps the lease file locked",
                    ));
                }
                Err(TryLockError::Error(e)) => return Err(lock_error(e)),
            }
        }
        *self.lease_lock.lock().map_err(|_| poisoned())? = Some(file);
        Ok(resumed)
    }
}

fn poisoned() -> StoreError {
    StoreError::other("lease lock state poisoned")
}
