//! Status changes: `apply_status`, `mark_sent`, `mark_failed`. Each reads the message's
//! status and history inside the single-writer transaction, merges monotonically in
//! Rust ([`MessageStatus::merge`], [`StatusHistory::record`]) and writes back only
//! when something changed.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::SqliteConnection;
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{ConflictKey, StatusOutcome, StatusUpdate, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{get, get_json, get_opt_json, get_status, get_uuid, now, time, to_json, us};
use crate::shared::{push_event, require_account};

/// A message's status state, loaded for a merge.
struct Tracked {
    id: MessageId,
    account: AccountId,
    external_id: Option<String>,
    before: MessageStatus,
    status: MessageStatus,
    history: StatusHistory,
    error: Option<Value>,
    dirty: bool,
}

impl Tracked {
    /// Merges one status report.
    fn apply(&mut self, status: MessageStatus, at: DateTime<Utc>, error: Option<Value>) {
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

    /// Writes the merged state back (if it changed) and the update event (if the word
    /// changed); returns the outcome.
    async fn save(self, conn: &mut SqliteConnection, org: OrgId) -> StoreResult<StatusOutcome> {
        let at = now();
        if self.dirty {
            sqlx::query(
                "UPDATE messages SET status = ?1, status_history = ?2, error = ?3, external_id = ?4, updated_at = ?5 \
                 WHERE id = ?6",
            )
            .bind(self.status.as_str())
            .bind(to_json(&self.history)?)
            .bind(self.error.as_ref().map(to_json).transpose()?)
            .bind(&self.external_id)
            .bind(us(at))
            .bind(self.id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }
        if self.status != self.before {
            push_event(conn, org, "messages", "update", self.id.0, at).await?;
            Ok(StatusOutcome::Applied {
                message_id: self.id,
                status: self.status,
            })
        } else {
            Ok(StatusOutcome::Unchanged {
                message_id: self.id,
                status: self.status,
            })
        }
    }
}

const TRACKED: &str =
    "SELECT id, account_id, external_id, status, status_history, error FROM messages";

/// Loads a message of the org by id.
async fn by_id(conn: &mut SqliteConnection, org: OrgId, id: MessageId) -> StoreResult<Tracked> {
    let sql = format!("{TRACKED} WHERE id = ?1 AND organization_id = ?2");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("message"))?;
    tracked(&row)
}

/// Loads a message of the org by (account, wamid).
async fn by_wamid(
    conn: &mut SqliteConnection,
    org: OrgId,
    account: AccountId,
    wamid: &str,
) -> StoreResult<Option<Tracked>> {
    let sql =
        format!("{TRACKED} WHERE account_id = ?1 AND external_id = ?2 AND organization_id = ?3");
    let row = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(wamid)
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.as_ref().map(tracked).transpose()
}

fn tracked(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Tracked> {
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

impl SqliteStore {
    pub(crate) async fn status_update(
        &self,
        org: OrgId,
        u: StatusUpdate,
    ) -> StoreResult<StatusOutcome> {
        let mut tx = self.write_tx().await?;
        let Some(mut msg) = by_wamid(&mut tx, org, u.account_id, &u.wamid).await? else {
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
        let mut msg = by_id(&mut tx, org, id).await?;
        if msg.external_id.as_deref() != Some(wamid) {
            let taken = sqlx::query(
                "SELECT 1 FROM messages WHERE account_id = ?1 AND external_id = ?2 AND id <> ?3",
            )
            .bind(msg.account.to_string())
            .bind(wamid)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if taken.is_some() {
                return Err(StoreError::Conflict(ConflictKey::Wamid));
            }
            msg.external_id = Some(wamid.to_string());
            msg.dirty = true;
        }
        msg.apply(MessageStatus::Sent, at, None);
        let pending = sqlx::query(
            "DELETE FROM pending_statuses WHERE account_id = ?1 AND wamid = ?2 RETURNING status, at, error",
        )
        .bind(msg.account.to_string())
        .bind(wamid)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for row in &pending {
            let status = get_status(row, "status")?;
            let at = time(get(row, "at")?)?;
            msg.apply(status, at, get_opt_json(row, "error")?);
        }
        let outcome = msg.save(&mut tx, org).await?;
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
