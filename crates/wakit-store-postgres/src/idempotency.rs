//! Idempotency keys of API sends: looked up before a send, recorded in the send's
//! transaction (the primary key makes a concurrent second use a conflict).

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{MessageId, OrgId};
use wakit_store::{IDEMPOTENCY_TTL_HOURS, Idempotency, IdempotentSend, StoreResult};

use crate::error::DbResultExt;
use crate::scope::{self, Scope};

pub(crate) async fn find(
    pool: &PgPool,
    org: OrgId,
    key: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<IdempotentSend>> {
    let mut tx = scope::begin(pool, Scope::Org(org)).await?;
    let row = sqlx::query(
        "SELECT request_hash, message_id, created_at FROM idempotency_keys \
         WHERE organization_id = $1 AND key = $2 AND created_at >= $3",
    )
    .bind(org.0)
    .bind(key)
    .bind(since)
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    row.map(|r| {
        Ok(IdempotentSend {
            request_hash: r.try_get("request_hash").db()?,
            message_id: MessageId(r.try_get("message_id").db()?),
            created_at: r.try_get("created_at").db()?,
        })
    })
    .transpose()
}

/// Records the key for `message` (an expired use of the key is replaced);
/// `Conflict(IdempotencyKey)` when the key is in use.
pub(crate) async fn record(
    conn: &mut PgConnection,
    org: OrgId,
    idem: &Idempotency,
    message: MessageId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let expired = at - Duration::hours(IDEMPOTENCY_TTL_HOURS);
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND created_at < $3",
    )
    .bind(org.0)
    .bind(&idem.key)
    .bind(expired)
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO idempotency_keys (organization_id, key, request_hash, message_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.0)
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(message.0)
    .bind(at)
    .execute(conn)
    .await
    .db()?;
    Ok(())
}
