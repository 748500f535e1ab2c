//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use chrono::{DateTime, Utc};
use wakit_core::{MessageId, MessageStatus, OrgId};
use wakit_store::{DispatchStart, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{get, get_status, time, us};

impl SqliteStore {
    pub(crate) async fn dispatch_begin(
        &self,
        org: OrgId,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<DispatchStart> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT status, external_id, direction, dispatch_started_at FROM messages \
             WHERE id = ?1 AND organization_id = ?2",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("message"))?;
        let status = get_status(&row, "status")?;
        let external: Option<String> = get(&row, "external_id")?;
        let direction: String = get(&row, "direction")?;
        let started: Option<i64> = get(&row, "dispatch_started_at")?;
        let open =
            status == MessageStatus::Pending && external.is_none() && direction == "outgoing";
        let since = match (open, started) {
            (false, _) => None,
            (true, Some(t)) => Some(time(t)?),
            (true, None) => {
                sqlx::query("UPDATE messages SET dispatch_started_at = ?1 WHERE id = ?2")
                    .bind(us(at))
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                None
            }
        };
        tx.commit().await.map_err(db)?;
        let message = self.message(org, id).await?;
        Ok(match (open, since) {
            (false, _) => DispatchStart::Done(message),
            (true, None) => DispatchStart::Send(message),
            (true, Some(since)) => DispatchStart::Interrupted { message, since },
        })
    }

    pub(crate) async fn dispatch_end(&self, org: OrgId, id: MessageId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE messages SET dispatch_started_at = NULL WHERE id = ?1 AND organization_id = ?2",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("message"));
        }
        Ok(())
    }
}
