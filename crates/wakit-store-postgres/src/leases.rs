//! Telling a dead replica's leases from a live one's.
//!
//! A process that runs workers registers a lease owner: a random id it holds a
//! session-level advisory lock on, over a connection of its own, for as long as it lives
//! (PostgreSQL drops the lock when the session ends, however the process died). Its
//! claims record that owner on the jobs. Any process can then try the advisory lock of
//! each owner holding running leases: getting it means the owner's session is gone, so
//! its jobs are made claimable now instead of when their leases expire. A replica whose
//! owner connection broke while it lives could lose its leases early; sends stay at most
//! once regardless (attempt markers), and processing is idempotent.

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use wakit_store::StoreResult;

use crate::PgStore;
use crate::error::DbResultExt;

/// This process's registration: its owner id and the session holding its lock.
#[derive(Debug)]
pub(crate) struct Owner {
    pub(crate) id: i64,
    session: PgConnection,
}

impl PgStore {
    /// This process's owner id, once its workers registered.
    pub(crate) fn lease_owner(&self) -> Option<i64> {
        self.owner_id.get().copied()
    }

    pub(crate) async fn resume_leases(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut guard = self.owner.lock().await;
        if guard.is_none() {
            let mut session = PgConnection::connect_with(&self.pool().connect_options())
                .await
                .db()?;
            let id = loop {
                let id = rand_owner();
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(id)
                    .fetch_one(&mut session)
                    .await
                    .db()?;
                if got {
                    break id;
                }
            };
            let _ = self.owner_id.set(id);
            *guard = Some(Owner { id, session });
        }
        let Some(owner) = guard.as_mut() else {
            return Ok(0);
        };
        let others: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT lease_owner FROM jobs \
             WHERE state = 'running' AND lease_owner IS NOT NULL AND lease_owner <> $1 \
               AND lease_until > $2",
        )
        .bind(owner.id)
        .bind(now)
        .fetch_all(self.pool())
        .await
        .db()?;
        let mut resumed = 0;
        for other in others {
            let gone: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(other)
                .fetch_one(&mut owner.session)
                .await
                .db()?;
            if !gone {
                continue;
            }
            // Released at once: a later process may register the same id (unlikely, and
            // then it is alive).
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(other)
                .execute(&mut owner.session)
                .await
                .db()?;
            resumed += sqlx::query(
                "UPDATE jobs SET lease_until = $2 \
                 WHERE state = 'running' AND lease_owner = $1 AND lease_until > $2",
            )
            .bind(other)
            .bind(now)
            .execute(self.pool())
            .await
            .db()?
            .rows_affected();
        }
        Ok(resumed)
    }
}

/// A random, non-zero owner id.
fn rand_owner() -> i64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let id = i64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ]);
    if id == 0 { 1 } else { id }
}
