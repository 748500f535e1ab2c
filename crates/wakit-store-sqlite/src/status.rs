//! Status changes: `apply_status`, `mark_sent`, `mark_failed`. Each reads the message's
//! status and history inside the single-writer transaction, merges monotonically in
//! Rust ([`MessageStatus::merge`], [`StatusHistory::record`]) and writes back only
//! when something changed (the row and its event in one call).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use wakit_core::{MessageId, MessageStatus, OrgId};
use wakit_store::{ConflictKey, MessageState, StatusOutcome, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_json, get_opt_json, get_status, get_uuid, now, time, to_json, us};
use crate::shared::event_sql;

/// Columns of a message loaded for a merge.
pub(crate) const TRACKED: &str =
    "m.id, m.account_id, m.external_id, m.status, m.status_history, m.error";

/// A message's status state in a row with the [`TRACKED`] columns.
pub(crate) fn load_state(row: &SqliteRow) -> StoreResult<MessageState> {
    Ok(MessageState::loaded(
        get_uuid(row, "id")?.into(),
        get_uuid(row, "account_id")?.into(),
        get(row, "external_id")?,
        get_status(row, "status")?,
        get_json(row, "status_history")?,
        get_opt_json(row, "error")?,
    ))
}

/// Writes a merged state back (if it changed) with the update event (if the word
/// changed); returns the outcome.
async fn save(
    conn: &mut SqliteConnection,
    org: OrgId,
    m: MessageState,
) -> StoreResult<StatusOutcome> {
    if m.dirty {
        let event = if m.moved() {
            event_sql("messages", "update")
        } else {
            String::new()
        };
        let sql = format!(
            "UPDATE messages SET status = ?, status_history = ?, error = ?, external_id = ?, \
             updated_at = ? WHERE id = ?; {event}"
        );
        let at = us(now());
        sqlx::query(&sql)
            .bind(m.status.as_str())
            .bind(to_json(&m.history)?)
            .bind(m.error.as_ref().map(to_json).transpose()?)
            .bind(&m.external_id)
            .bind(at)
            .bind(m.id.to_string())
            .bind(org.to_string())
            .bind(m.id.to_string())
            .bind(at)
            .execute(conn)
            .await
            .db()?;
    }
    Ok(m.outcome())
}

/// Loads a message of the org by id.
async fn by_id(
    conn: &mut SqliteConnection,
    org: OrgId,
    id: MessageId,
) -> StoreResult<MessageState> {
    let sql =
        format!("SELECT {TRACKED} FROM messages m WHERE m.id = ?1 AND m.organization_id = ?2");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("message"))?;
    load_state(&row)
}

impl SqliteStore {
    pub(crate) async fn sent(
        &self,
        org: OrgId,
        id: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        let mut tx = self.write_tx().await?;
        let outcome = sent_in(&mut tx, org, id, wamid, at).await?;
        tx.commit().await.db()?;
        Ok(outcome)
    }

    pub(crate) async fn failed(
        &self,
        org: OrgId,
        id: MessageId,
        error: Value,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        let mut tx = self.write_tx().await?;
        let mut msg = by_id(&mut tx, org, id).await?;
        msg.apply(MessageStatus::Failed, at, Some(error));
        let outcome = save(&mut tx, org, msg).await?;
        tx.commit().await.db()?;
        Ok(outcome)
    }
}

/// `mark_sent` inside the caller's write transaction.
pub(crate) async fn sent_in(
    tx: &mut SqliteConnection,
    org: OrgId,
    id: MessageId,
    wamid: &str,
    at: DateTime<Utc>,
) -> StoreResult<StatusOutcome> {
    // The message, whether another message of the number has the wamid, and whether
    // statuses for it are waiting, in one round trip.
    let sql = format!(
        "SELECT {TRACKED}, \
         EXISTS (SELECT 1 FROM messages x WHERE x.account_id = m.account_id AND x.external_id = ?3 \
                 AND x.id <> m.id) AS taken, \
         EXISTS (SELECT 1 FROM pending_statuses p WHERE p.account_id = m.account_id AND p.wamid = ?3) \
                 AS waiting \
         FROM messages m WHERE m.id = ?1 AND m.organization_id = ?2"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(wamid)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("message"))?;
    if get::<bool>(&row, "taken")? {
        return Err(StoreError::Conflict(ConflictKey::Wamid));
    }
    let waiting: bool = get(&row, "waiting")?;
    let mut msg = load_state(&row)?;
    let mut parked = Vec::new();
    if waiting {
        let rows = sqlx::query(
            "DELETE FROM pending_statuses WHERE account_id = ?1 AND wamid = ?2 RETURNING status, at, error",
        )
        .bind(msg.account.to_string())
        .bind(wamid)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        for row in &rows {
            parked.push((
                get_status(row, "status")?,
                time(get(row, "at")?)?,
                get_opt_json(row, "error")?,
            ));
        }
    }
    msg.accept(wamid, at, parked);
    save(&mut *tx, org, msg).await
}
