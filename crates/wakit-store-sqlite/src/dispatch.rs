//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use wakit_core::{MessageId, MessageStatus, OrgId};

use wakit_store::{
    DispatchMark, DispatchStart, SendAccepted, StoreError, StoreResult, dispatch_starts,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_status, now as at_now, time, us};
use crate::status::sent_in;

impl SqliteStore {
    /// Marks every open message in one transaction, then reads them back.
    pub(crate) async fn dispatch_begin_many(
        &self,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>> {
        let mut tx = self.write_tx().await?;
        let mut marks = HashMap::with_capacity(items.len());
        for item @ (org, id) in items {
            if let Some(m) = mark(&mut tx, *org, *id, at).await? {
                // A second mention finds the first one's marker: keep what the first found.
                marks.entry(*item).or_insert(m);
            }
        }
        tx.commit().await.db()?;
        let mut messages = HashMap::with_capacity(marks.len());
        for item @ (org, id) in marks.keys() {
            messages.insert(*item, self.message(*org, *id).await?);
        }
        Ok(dispatch_starts(items, &marks, &messages, at))
    }

    /// `mark_sent` + `complete_job` for every item, in one transaction.
    pub(crate) async fn sends_finished(
        &self,
        items: &[SendAccepted],
    ) -> StoreResult<Vec<StoreResult<()>>> {
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            let r = match sent_in(&mut tx, it.org, it.message, &it.wamid, it.at).await {
                Ok(_) => {
                    sqlx::query(
                        "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ?1 \
                         WHERE id = ?2 AND state = 'running' AND lease_token = ?3",
                    )
                    .bind(us(at_now()))
                    .bind(it.job.to_string())
                    .bind(it.lease_token.to_string())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    Ok(())
                }
                Err(e @ (StoreError::NotFound(_) | StoreError::Conflict(_))) => Err(e),
                Err(e) => return Err(e),
            };
            out.push(r);
        }
        tx.commit().await.db()?;
        Ok(out)
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
        .db()?;
        tx.commit().await.db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("message"));
        }
        Ok(())
    }
}

/// Sets the marker on an open message; `None` when the message does not exist in `org`,
/// else whether it is open and when an earlier attempt began.
async fn mark(
    conn: &mut SqliteConnection,
    org: OrgId,
    id: MessageId,
    at: DateTime<Utc>,
) -> StoreResult<Option<DispatchMark>> {
    let row = sqlx::query(
        "SELECT status, external_id, direction, dispatch_started_at FROM messages \
         WHERE id = ?1 AND organization_id = ?2",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let status = get_status(&row, "status")?;
    let external: Option<String> = get(&row, "external_id")?;
    let direction: String = get(&row, "direction")?;
    let started: Option<i64> = get(&row, "dispatch_started_at")?;
    let open = status == MessageStatus::Pending && external.is_none() && direction == "outgoing";
    let since = match (open, started) {
        (false, _) => None,
        (true, Some(t)) => Some(time(t)?),
        (true, None) => {
            sqlx::query("UPDATE messages SET dispatch_started_at = ?1 WHERE id = ?2")
                .bind(us(at))
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .db()?;
            None
        }
    };
    Ok(Some(DispatchMark { open, since }))
}
