//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use chrono::{DateTime, Utc};
use sqlx::{Acquire, PgConnection, Row};
use wakit_core::{MessageId, OrgId};
use wakit_store::{DispatchStart, SendAccepted, StoreError, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::{conversations, status};

impl PgStore {
    pub(crate) async fn dispatch_begin(
        &self,
        org: OrgId,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<DispatchStart> {
        let mut all = self.dispatch_begin_many(&[(org, id)], at).await?;
        all.pop().unwrap_or(Err(StoreError::NotFound("message")))
    }

    /// Marks every open message and reads it back, in one transaction.
    pub(crate) async fn dispatch_begin_many(
        &self,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>> {
        let mut tx = self.pool.begin().await.db()?;
        let mut out = Vec::with_capacity(items.len());
        for (org, id) in items {
            out.push(begin_in(&mut tx, *org, *id, at).await?);
        }
        tx.commit().await.db()?;
        Ok(out)
    }

    /// `mark_sent` + job completion for every item, in one transaction.
    pub(crate) async fn sends_finished(
        &self,
        items: &[SendAccepted],
    ) -> StoreResult<Vec<StoreResult<()>>> {
        let mut tx = self.pool.begin().await.db()?;
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            // A savepoint per item: a refused item (its wamid taken) must not abort the
            // others' transaction.
            let mut sp = tx.begin().await.db()?;
            let r = match status::mark_sent_in(&mut sp, it.org, it.message, &it.wamid, it.at).await
            {
                Ok(_) => {
                    sqlx::query(
                        "UPDATE jobs SET state = 'done', lease_until = NULL, lease_token = NULL, \
                         updated_at = now() WHERE id = $1 AND state = 'running' AND lease_token = $2",
                    )
                    .bind(it.job.0)
                    .bind(it.lease_token)
                    .execute(&mut *sp)
                    .await
                    .db()?;
                    sp.commit().await.db()?;
                    Ok(())
                }
                Err(e @ (StoreError::NotFound(_) | StoreError::Conflict(_))) => {
                    sp.rollback().await.db()?;
                    Err(e)
                }
                Err(e) => return Err(e),
            };
            out.push(r);
        }
        tx.commit().await.db()?;
        Ok(out)
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

/// Marks one message inside the caller's transaction; `Err(NotFound)` as an item result.
async fn begin_in(
    tx: &mut PgConnection,
    org: OrgId,
    id: MessageId,
    at: DateTime<Utc>,
) -> StoreResult<StoreResult<DispatchStart>> {
    let row = sqlx::query(
        "SELECT status = 'pending' AND external_id IS NULL AND direction = 'outgoing' AS open, \
                dispatch_started_at FROM messages \
         WHERE id = $1 AND organization_id = $2 FOR UPDATE",
    )
    .bind(id.0)
    .bind(org.0)
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let Some(row) = row else {
        return Ok(Err(StoreError::NotFound("message")));
    };
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
    let message = conversations::load_message(tx, org, id).await?;
    Ok(Ok(match (open, since) {
        (false, _) => DispatchStart::Done(message),
        (true, None) => DispatchStart::Send(message),
        (true, Some(since)) => DispatchStart::Interrupted { message, since },
    }))
}
