//! Status changes: `apply_status`, `mark_sent`, `mark_failed`. Each reads the message's
//! status and history inside the single-writer transaction, merges monotonically in
//! Rust ([`MessageStatus::merge`], [`StatusHistory::record`]) and writes back only
//! when something changed (the row and its event in one call).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{ConflictKey, StatusOutcome, StatusUpdate, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{get, get_json, get_opt_json, get_status, get_uuid, now, time, to_json, us};
use crate::shared::{event_sql, require_account};

/// Columns of a message loaded for a merge.
pub(crate) const TRACKED: &str =
    "m.id, m.account_id, m.external_id, m.status, m.status_history, m.error";

/// A message's status state, loaded for a merge.
pub(crate) struct Tracked {
    pub(crate) id: MessageId,
    pub(crate) account: AccountId,
    pub(crate) external_id: Option<String>,
    before: MessageStatus,
    pub(crate) status: MessageStatus,
    pub(crate) history: StatusHistory,
    pub(crate) error: Option<Value>,
    pub(crate) dirty: bool,
}

impl Tracked {
    pub(crate) fn load(row: &SqliteRow) -> StoreResult<Tracked> {
        let status = get_status(row, "status")?;
        Ok(Tracked {
            id: get_uuid(row, "id")?.into(),
            account: get_uuid(row, "account_id")?.into(),
            external_id: get(row, "external_id")?,
            before: status,
            status,
            history: get_json(row, "status_history")?,
            error: get_opt_json(row, "error")?,
            dirty: false,
        })
    }

    /// Merges one status report.
    pub(crate) fn apply(&mut self, status: MessageStatus, at: DateTime<Utc>, error: Option<Value>) {
        let merged = self.status.merge(status);
        if merged != self.status {
            self.status = merged;
            self.dirty = true;
        }
        if self.history.record(status, at) {
            self.dirty = true;
        }
        if status == MessageStatus::Failed
            && let Some(e) = error
            && self.error.as_ref() != Some(&e)
        {
            self.error = Some(e);
            self.dirty = true;
        }
    }

    /// Writes the merged state back (if it changed) with the update event (if the word
    /// changed); returns the outcome.
    async fn save(self, conn: &mut SqliteConnection, org: OrgId) -> StoreResult<StatusOutcome> {
        let word_changed = self.status != self.before;
        if self.dirty {
            let event = if word_changed {
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
                .bind(self.status.as_str())
                .bind(to_json(&self.history)?)
                .bind(self.error.as_ref().map(to_json).transpose()?)
                .bind(&self.external_id)
                .bind(at)
                .bind(self.id.to_string())
                .bind(org.to_string())
                .bind(self.id.to_string())
                .bind(at)
                .execute(conn)
                .await
                .map_err(db)?;
        }
        let (message_id, status) = (self.id, self.status);
        Ok(if word_changed {
            StatusOutcome::Applied { message_id, status }
        } else {
            StatusOutcome::Unchanged { message_id, status }
        })
    }
}

/// Loads a message of the org by id.
async fn by_id(conn: &mut SqliteConnection, org: OrgId, id: MessageId) -> StoreResult<Tracked> {
    let sql =
        format!("SELECT {TRACKED} FROM messages m WHERE m.id = ?1 AND m.organization_id = ?2");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("message"))?;
    Tracked::load(&row)
}

impl SqliteStore {
    pub(crate) async fn status_update(
        &self,
        org: OrgId,
        u: StatusUpdate,
    ) -> StoreResult<StatusOutcome> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {TRACKED} FROM messages m \
             WHERE m.account_id = ?1 AND m.external_id = ?2 AND m.organization_id = ?3"
        );
        let row = sqlx::query(&sql)
            .bind(u.account_id.to_string())
            .bind(&u.wamid)
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some(row) = row else {
            require_account(&mut *tx, org, u.account_id).await?;
            sqlx::query(
                "INSERT INTO pending_statuses (id, organization_id, account_id, wamid, status, at, error, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(org.to_string())
            .bind(u.account_id.to_string())
            .bind(&u.wamid)
            .bind(u.status.as_str())
            .bind(us(u.at))
            .bind(u.error.as_ref().map(to_json).transpose()?)
            .bind(us(now()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            return Ok(StatusOutcome::Deferred);
        };
        let mut msg = Tracked::load(&row)?;
        msg.apply(u.status, u.at, u.error);
        let outcome = msg.save(&mut tx, org).await?;
        tx.commit().await.map_err(db)?;
        Ok(outcome)
    }

    pub(crate) async fn sent(
        &self,
        org: OrgId,
        id: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        let mut tx = self.write_tx().await?;
        let outcome = sent_in(&mut tx, org, id, wamid, at).await?;
        tx.commit().await.map_err(db)?;
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
        let outcome = msg.save(&mut tx, org).await?;
        tx.commit().await.map_err(db)?;
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
        .map_err(db)?
        .ok_or(StoreError::NotFound("message"))?;
    if get::<bool>(&row, "taken")? {
        return Err(StoreError::Conflict(ConflictKey::Wamid));
    }
    let waiting: bool = get(&row, "waiting")?;
    let mut msg = Tracked::load(&row)?;
    if msg.external_id.as_deref() != Some(wamid) {
        msg.external_id = Some(wamid.to_string());
        msg.dirty = true;
    }
    msg.apply(MessageStatus::Sent, at, None);
    if waiting {
        let pending = sqlx::query(
            "DELETE FROM pending_statuses WHERE account_id = ?1 AND wamid = ?2 RETURNING status, at, error",
        )
        .bind(msg.account.to_string())
        .bind(wamid)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for row in &pending {
            msg.apply(
                get_status(row, "status")?,
                time(get(row, "at")?)?,
                get_opt_json(row, "error")?,
            );
        }
    }
    msg.save(&mut *tx, org).await
}
