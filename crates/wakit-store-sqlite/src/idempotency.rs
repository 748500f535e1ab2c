//! Idempotency keys of API sends: looked up before a send, recorded in the send's
//! transaction (the primary key makes a concurrent second use a conflict).

use chrono::{DateTime, Duration, Utc};
use sqlx::{Sqlite, Transaction};
use wakit_core::{MessageId, OrgId};
use wakit_store::{IDEMPOTENCY_TTL_HOURS, Idempotency, IdempotentSend, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_time, get_uuid, us};

impl SqliteStore {
    pub(crate) async fn idempotent(
        &self,
        org: OrgId,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotentSend>> {
        let row = sqlx::query(
            "SELECT request_hash, message_id, created_at FROM idempotency_keys \
             WHERE organization_id = ? AND key = ? AND created_at >= ?",
        )
        .bind(org.to_string())
        .bind(key)
        .bind(us(since))
        .fetch_optional(self.reads())
        .await
        .db()?;
        row.map(|r| {
            Ok(IdempotentSend {
                request_hash: get(&r, "request_hash")?,
                message_id: get_uuid(&r, "message_id")?.into(),
                created_at: get_time(&r, "created_at")?,
            })
        })
        .transpose()
    }
}

/// Records the key for `message` (an expired use of the key is replaced);
/// `Conflict(IdempotencyKey)` when the key is in use.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Sqlite>,
    org: OrgId,
    idem: &Idempotency,
    message: MessageId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let expired = at - Duration::hours(IDEMPOTENCY_TTL_HOURS);
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE organization_id = ? AND key = ? AND created_at < ?",
    )
    .bind(org.to_string())
    .bind(&idem.key)
    .bind(us(expired))
    .execute(&mut **tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO idempotency_keys (organization_id, key, request_hash, message_id, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(org.to_string())
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(message.to_string())
    .bind(us(at))
    .execute(&mut **tx)
    .await
    .db()?;
    Ok(())
}
