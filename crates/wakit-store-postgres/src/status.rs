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
use uuid::Uuid;
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{StatusOutcome, StatusUpdate, StoreError, StoreResult};

use crate::accounts::ensure_account;
use crate::conversations::append_event;
use crate::error::DbResultExt;
use crate::rows;
use crate::scope::{self, Scope};

/// A message row locked for a status change.
pub(crate) struct Locked {
    pub(crate) id: MessageId,
    original: MessageStatus,
    pub(crate) status: MessageStatus,
    pub(crate) history: StatusHistory,
    pub(crate) external_id: Option<String>,
    /// Error to store (set by a `failed` report carrying one).
    pub(crate) error: Option<Value>,
    /// Whether anything needs writing.
    pub(crate) dirty: bool,
}

impl Locked {
    /// The message in a row with columns `id`, `status`, `status_history`, `external_id`.
    pub(crate) fn from_row(row: &PgRow) -> StoreResult<Locked> {
        let status = rows::status(&row.try_get::<String, _>("status").db()?)?;
        let Json(history): Json<StatusHistory> = row.try_get("status_history").db()?;
        Ok(Locked {
            id: MessageId(row.try_get("id").db()?),
            original: status,
            status,
            history,
            external_id: row.try_get("external_id").db()?,
            error: None,
            dirty: false,
        })
    }

    pub(crate) fn merge(&mut self, status: MessageStatus, at: DateTime<Utc>, error: Option<Value>) {
        let next = self.status.merge(status);
        if next != self.status {
            self.status = next;
            self.dirty = true;
        }
        if self.history.record(status, at) {
            self.dirty = true;
        }
        if status == MessageStatus::Failed
            && let Some(e) = error
        {
            self.error = Some(e);
            self.dirty = true;
        }
    }

    fn outcome(&self) -> StatusOutcome {
        if self.status != self.original {
            StatusOutcome::Applied {
                message_id: self.id,
                status: self.status,
            }
        } else {
            StatusOutcome::Unchanged {
                message_id: self.id,
                status: self.status,
            }
        }
    }
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

/// Reads and locks the message matching `filter` (`$1`, `$2` bound by the caller's values).
async fn lock_message(
    conn: &mut PgConnection,
    filter: &str,
    a: Uuid,
    b: Uuid,
    wamid: Option<&str>,
) -> StoreResult<Option<Locked>> {
    let sql = format!(
        "SELECT id, status, status_history, external_id FROM messages m WHERE {filter} FOR UPDATE"
    );
    let mut q = sqlx::query(&sql).bind(a).bind(b);
    if let Some(w) = wamid {
        q = q.bind(w);
    }
    q.fetch_optional(&mut *conn)
        .await
        .db()?
        .as_ref()
        .map(Locked::from_row)
        .transpose()
}

/// Writes a merged message back (only if something changed) and records the event
/// when the status word moved.
async fn write(
    conn: &mut PgConnection,
    org: OrgId,
    m: &Locked,
    set_external: bool,
) -> StoreResult<()> {
    if m.dirty || set_external {
        sqlx::query(
            "UPDATE messages SET status = $2, status_history = $3, error = COALESCE($4, error), \
               external_id = $5, updated_at = now() WHERE id = $1",
        )
        .bind(m.id.0)
        .bind(m.status.as_str())
        .bind(Json(&m.history))
        .bind(&m.error)
        .bind(&m.external_id)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    if m.status != m.original {
        append_event(conn, org, "messages", "update", m.id.0).await?;
    }
    Ok(())
}

/// Applies a reported status, or parks it in `pending_statuses` when the wamid is unknown.
pub(crate) async fn apply_status(
    pool: &PgPool,
    org: OrgId,
    update: StatusUpdate,
) -> StoreResult<StatusOutcome> {
    let mut tx = scope::begin(pool, Scope::Org(org)).await?;
    ensure_account(&mut tx, org, update.account_id).await?;
    lock_wamid(&mut tx, update.account_id, &update.wamid).await?;
    let filter = "m.organization_id = $1 AND m.account_id = $2 AND m.external_id = $3";
    let found = lock_message(
        &mut tx,
        filter,
        org.0,
        update.account_id.0,
        Some(&update.wamid),
    )
    .await?;
    let Some(mut msg) = found else {
        sqlx::query(
            "INSERT INTO pending_statuses (id, organization_id, account_id, wamid, status, at, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(org.0)
        .bind(update.account_id.0)
        .bind(&update.wamid)
        .bind(update.status.as_str())
        .bind(update.at)
        .bind(&update.error)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        return Ok(StatusOutcome::Deferred);
    };
    msg.merge(update.status, update.at, update.error);
    write(&mut tx, org, &msg, false).await?;
    tx.commit().await.db()?;
    Ok(msg.outcome())
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
    let mut msg = lock_message(
        &mut *tx,
        "m.id = $1 AND m.organization_id = $2",
        id.0,
        org.0,
        None,
    )
    .await?
    .ok_or(StoreError::NotFound("message"))?;
    let set_external = msg.external_id.as_deref() != Some(wamid);
    msg.external_id = Some(wamid.to_string());
    msg.merge(MessageStatus::Sent, at, None);
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
    for row in &parked {
        let status = rows::status(&row.try_get::<String, _>("status").db()?)?;
        msg.merge(status, row.try_get("at").db()?, row.try_get("error").db()?);
    }
    write(&mut *tx, org, &msg, set_external).await?;
    Ok(msg.outcome())
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
    let mut msg = lock_message(
        &mut tx,
        "m.id = $1 AND m.organization_id = $2",
        id.0,
        org.0,
        None,
    )
    .await?
    .ok_or(StoreError::NotFound("message"))?;
    msg.merge(MessageStatus::Failed, at, Some(error));
    write(&mut tx, org, &msg, false).await?;
    tx.commit().await.db()?;
    Ok(msg.outcome())
}
