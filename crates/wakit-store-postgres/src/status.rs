//! Monotonic status changes. The message row is read `FOR UPDATE`, merged in memory
//! ([`MessageStatus::merge`], [`StatusHistory::record`]) and written back once.
//!
//! A status can race the wamid it names: `apply_status` may look for the wamid while
//! `mark_sent` is setting it. Both take a transaction-scoped advisory lock on
//! (account, wamid) first, so either the status sees the wamid, or `mark_sent` sees the
//! parked `pending_statuses` row; never neither.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{MessageState, StatusOutcome, StoreError, StoreResult};

use crate::error::DbResultExt;
use crate::merged::Writes;
use crate::rows;
use crate::scope::{self, Scope};

/// Columns of a message loaded for a merge (with [`load_state`]).
pub(crate) const TRACKED: &str =
    "m.id, m.account_id, m.status, m.status_history, m.external_id, m.error";

/// A message's status state in a row with the [`TRACKED`] columns.
pub(crate) fn load_state(row: &PgRow) -> StoreResult<MessageState> {
    let Json(history): Json<StatusHistory> = row.try_get("status_history").db()?;
    Ok(MessageState::loaded(
        MessageId(row.try_get("id").db()?),
        AccountId(row.try_get("account_id").db()?),
        row.try_get("external_id").db()?,
        rows::status(&row.try_get::<String, _>("status").db()?)?,
        history,
        row.try_get("error").db()?,
    ))
}

/// Serializes status work on one (account, wamid) for the rest of the transaction.
async fn lock_wamid(conn: &mut PgConnection, account: AccountId, wamid: &str) -> StoreResult<()> {
    lock_wamids(conn, [(account, wamid)]).await
}

/// [`lock_wamid`] for several wamids in one round trip. The locks are taken in the
/// order of their keys, so two transactions locking overlapping sets this way (status
/// batches, groups of accepted sends) wait for each other instead of deadlocking.
pub(crate) async fn lock_wamids<'a>(
    conn: &mut PgConnection,
    wamids: impl IntoIterator<Item = (AccountId, &'a str)>,
) -> StoreResult<()> {
    let names: Vec<String> = wamids
        .into_iter()
        .map(|(account, wamid)| format!("wakit-status:{}:{wamid}", account.0))
        .collect();
    // The subquery is sorted before the (volatile) lock calls run over its rows.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(k.h) FROM \
           (SELECT DISTINCT hashtextextended(n, 0) AS h FROM UNNEST($1::text[]) AS n ORDER BY h) k",
    )
    .bind(&names)
    .execute(conn)
    .await
    .db()
    .map(|_| ())
}

/// Reads and locks the org's message `id`.
async fn lock_message(
    conn: &mut PgConnection,
    org: OrgId,
    id: MessageId,
) -> StoreResult<MessageState> {
    let sql = format!(
        "SELECT {TRACKED} FROM messages m WHERE m.id = $1 AND m.organization_id = $2 FOR UPDATE"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("message"))?;
    load_state(&row)
}

/// Writes a merged message back (only if something changed) and records the event
/// when the status word moved; returns the outcome.
async fn write(conn: &mut PgConnection, org: OrgId, m: MessageState) -> StoreResult<StatusOutcome> {
    let mut writes = Writes::default();
    if m.moved() {
        writes.event(org, m.id);
    }
    let outcome = m.outcome();
    writes.message(m);
    writes.run(conn).await?;
    Ok(outcome)
}

/// Sets the wamid, merges `sent`, then applies (and deletes) the statuses parked for it.
pub(crate) async fn mark_sent(
    pool: &PgPool,
    org: OrgId,
    id: MessageId,
    wamid: &str,
    at: DateTime<Utc>,
) -> StoreResult<StatusOutcome> {
    let mut tx = scope::begin(pool, Scope::Org(org)).await?;
    let outcome = mark_sent_in(&mut tx, org, id, wamid, at).await?;
    tx.commit().await.db()?;
    Ok(outcome)
}

/// `mark_sent` inside the caller's transaction.
pub(crate) async fn mark_sent_in(
    tx: &mut PgConnection,
    org: OrgId,
    id: MessageId,
    wamid: &str,
    at: DateTime<Utc>,
) -> StoreResult<StatusOutcome> {
    let account =
        sqlx::query("SELECT account_id FROM messages WHERE id = $1 AND organization_id = $2")
            .bind(id.0)
            .bind(org.0)
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound("message"))?;
    let account = AccountId(account.try_get("account_id").db()?);
    lock_wamid(&mut *tx, account, wamid).await?;
    let mut msg = lock_message(&mut *tx, org, id).await?;
    let parked = sqlx::query(
        "DELETE FROM pending_statuses WHERE account_id = $1 AND wamid = $2 AND organization_id = $3 \
         RETURNING status, at, error",
    )
    .bind(account.0)
    .bind(wamid)
    .bind(org.0)
    .fetch_all(&mut *tx)
    .await
    .db()?;
    let parked = parked
        .iter()
        .map(rows::parked)
        .collect::<StoreResult<Vec<_>>>()?;
    msg.accept(wamid, at, parked);
    write(&mut *tx, org, msg).await
}

/// Merges `failed` with the error.
pub(crate) async fn mark_failed(
    pool: &PgPool,
    org: OrgId,
    id: MessageId,
    error: Value,
    at: DateTime<Utc>,
) -> StoreResult<StatusOutcome> {
    let mut tx = scope::begin(pool, Scope::Org(org)).await?;
    let mut msg = lock_message(&mut tx, org, id).await?;
    msg.apply(MessageStatus::Failed, at, Some(error));
    let outcome = write(&mut tx, org, msg).await?;
    tx.commit().await.db()?;
    Ok(outcome)
}
