//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use chrono::{DateTime, Utc};
use sqlx::Row;
use wakit_core::{MessageId, OrgId};
use wakit_store::{DispatchStart, StoreError, StoreResult};

use crate::PgStore;
use crate::conversations;
use crate::error::DbResultExt;

impl PgStore {
    pub(crate) async fn dispatch_begin(
        &self,
        org: OrgId,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<DispatchStart> {
        let mut tx = self.pool.begin().await.db()?;
        let row = sqlx::query(
            "SELECT status = 'pending' AND external_id IS NULL AND direction = 'outgoing' AS open, \
                    dispatch_started_at FROM messages \
             WHERE id = $1 AND organization_id = $2 FOR UPDATE",
        )
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("message"))?;
        let open: bool = row.try_get("open").db()?;
        let since: Option<DateTime<Utc>> = row.try_get("dispatch_started_at").db()?;
        if open && since.is_none() {
            sqlx::query("UPDATE messages SET dispatch_started_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        let message = conversations::load_message(&mut tx, org, id).await?;
        tx.commit().await.db()?;
        Ok(match (open, since) {
            (false, _) => DispatchStart::Done(message),
            (true, None) => DispatchStart::Send(message),
            (true, Some(since)) => DispatchStart::Interrupted { message, since },
        })
    }

    pub(crate) async fn dispatch_end(&self, org: OrgId, id: MessageId) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE messages SET dispatch_started_at = NULL WHERE id = $1 AND organization_id = $2",
        )
        .bind(id.0)
        .bind(org.0)
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("message"));
        }
        Ok(())
    }
}
