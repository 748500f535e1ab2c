//! [`InboxStore`]: raw webhook bodies, stored with their processing job in one
//! transaction before Meta is answered.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;
use wakit_store::{
    InboxItem, InboxStore, NewJob, PROCESS_WEBHOOK, Priority, StoreError, StoreResult,
};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::jobs::insert_job;
use crate::rows::micros;

#[async_trait]
impl InboxStore for PgStore {
    async fn inbox_put(
        &self,
        body: &[u8],
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<InboxItem> {
        let id = Uuid::now_v7();
        let received_at = micros(received_at);
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query(
            "INSERT INTO webhook_inbox (id, received_at, body, signature) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(received_at)
        .bind(body)
        .bind(signature)
        .execute(&mut *tx)
        .await
        .db()?;
        let job = NewJob {
            org_id: None,
            kind: PROCESS_WEBHOOK.into(),
            payload: json!({ "inbox_id": id.to_string() }),
            run_at: received_at,
            priority: Priority::Interactive.value(),
        };
        insert_job(&mut tx, &job).await?;
        tx.commit().await.db()?;
        Ok(InboxItem {
            id,
            body: body.to_vec(),
            signature: signature.map(str::to_owned),
            received_at,
            state: "pending".into(),
            attempts: 0,
            last_error: None,
        })
    }

    async fn inbox_get(&self, id: Uuid) -> StoreResult<InboxItem> {
        let row = sqlx::query(
            "SELECT id, received_at, body, signature, state, attempts, last_error \
             FROM webhook_inbox WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(StoreError::NotFound("inbox item"))?;
        let attempts: i32 = row.try_get("attempts").db()?;
        Ok(InboxItem {
            id: row.try_get("id").db()?,
            body: row.try_get("body").db()?,
            signature: row.try_get("signature").db()?,
            received_at: row.try_get("received_at").db()?,
            state: row.try_get("state").db()?,
            attempts: u32::try_from(attempts).unwrap_or(0),
            last_error: row.try_get("last_error").db()?,
        })
    }

    async fn inbox_finish(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, \
               state = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'failed' END, \
               last_error = $2, \
               processed_at = CASE WHEN $2::text IS NULL THEN $3 ELSE processed_at END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(at)
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("inbox item"));
        }
        Ok(())
    }
}
