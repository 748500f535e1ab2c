//! [`InboxStore`]: raw webhook bodies, stored with their processing job in one
//! transaction before Meta is answered.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;
use wakit_core::JobId;
use wakit_store::{InboxItem, InboxStore, PROCESS_WEBHOOK, Priority, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{get, get_time, get_uuid, to_json, us};
use crate::shared::changed;

#[async_trait]
impl InboxStore for SqliteStore {
    async fn inbox_put(
        &self,
        body: &[u8],
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<InboxItem> {
        let id = Uuid::now_v7();
        let job = JobId::new();
        let at = us(received_at);
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO webhook_inbox (id, received_at, body, signature, state, attempts) VALUES (?1, ?2, ?3, ?4, 'pending', 0)")
            .bind(id.to_string())
            .bind(at)
            .bind(body)
            .bind(signature)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at, created_at, updated_at) \
             VALUES (?1, NULL, ?2, ?3, 'queued', ?4, 0, ?5, ?5, ?5)",
        )
        .bind(job.to_string())
        .bind(PROCESS_WEBHOOK)
        .bind(to_json(&json!({ "inbox_id": id.to_string() }))?)
        .bind(Priority::Interactive.value())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(InboxItem {
            id,
            body: body.to_vec(),
            signature: signature.map(str::to_owned),
            received_at: crate::rows::time(at)?,
            state: "pending".into(),
            attempts: 0,
            last_error: None,
        })
    }

    async fn inbox_get(&self, id: Uuid) -> StoreResult<InboxItem> {
        let row = sqlx::query("SELECT id, received_at, body, signature, state, attempts, last_error FROM webhook_inbox WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("inbox item"))?;
        Ok(InboxItem {
            id: get_uuid(&row, "id")?,
            body: row.try_get("body").map_err(db)?,
            signature: get(&row, "signature")?,
            received_at: get_time(&row, "received_at")?,
            state: get(&row, "state")?,
            attempts: u32::try_from(get::<i64>(&row, "attempts")?).unwrap_or(0),
            last_error: get(&row, "last_error")?,
        })
    }

    async fn inbox_finish(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, \
               state = CASE WHEN ?2 IS NULL THEN 'done' ELSE 'failed' END, \
               last_error = ?2, processed_at = CASE WHEN ?2 IS NULL THEN ?3 ELSE processed_at END \
             WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(error)
        .bind(us(at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if !changed(&done) {
            return Err(StoreError::NotFound("inbox item"));
        }
        tx.commit().await.map_err(db)
    }
}
