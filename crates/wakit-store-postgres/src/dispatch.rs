//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{MessageId, OrgId};
use wakit_store::{DispatchMark, DispatchStart, StoreError, StoreResult, dispatch_starts};

use crate::PgStore;
use crate::conversations;
use crate::error::DbResultExt;
use crate::scope::{self, Scope};

impl PgStore {
    /// Marks every open message and reads it back, in one transaction of four round
    /// trips whatever the group's size: lock and mark, read back, begin and commit.
    pub(crate) async fn dispatch_begin_many(
        &self,
        scope: Scope,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>> {
        let mut tx = scope::begin(&self.pool, scope).await?;
        let marks = mark(&mut tx, items, at).await?;
        let messages = conversations::load_messages(&mut tx, items).await?;
        tx.commit().await.db()?;
        Ok(dispatch_starts(items, &marks, &messages, at))
    }

    pub(crate) async fn dispatch_end(&self, org: OrgId, id: MessageId) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let done = sqlx::query(
            "UPDATE messages SET dispatch_started_at = NULL WHERE id = $1 AND organization_id = $2",
        )
        .bind(id.0)
        .bind(org.0)
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

/// Locks the items' messages (in id order) and sets the attempt marker on the open ones
/// without one; returns, per (org, message) found, whether it is open and when an
/// earlier attempt began.
async fn mark(
    tx: &mut PgConnection,
    items: &[(OrgId, MessageId)],
    at: DateTime<Utc>,
) -> StoreResult<HashMap<(OrgId, MessageId), DispatchMark>> {
    let orgs: Vec<Uuid> = items.iter().map(|(org, _)| org.0).collect();
    let ids: Vec<Uuid> = items.iter().map(|(_, id)| id.0).collect();
    let rows = sqlx::query(
        "WITH target AS ( \
           SELECT m.id, m.organization_id, m.dispatch_started_at AS since, \
                  m.status = 'pending' AND m.external_id IS NULL AND m.direction = 'outgoing' AS open \
           FROM messages m \
           JOIN (SELECT DISTINCT * FROM UNNEST($1::uuid[], $2::uuid[])) AS k(org, id) \
             ON m.id = k.id AND m.organization_id = k.org \
           ORDER BY m.id FOR UPDATE OF m \
         ), marked AS ( \
           UPDATE messages m SET dispatch_started_at = $3 FROM target t \
           WHERE m.id = t.id AND t.open AND t.since IS NULL \
         ) \
         SELECT id, organization_id, open, since FROM target",
    )
    .bind(&orgs)
    .bind(&ids)
    .bind(at)
    .fetch_all(&mut *tx)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            let key = (
                OrgId(row.try_get("organization_id").db()?),
                MessageId(row.try_get("id").db()?),
            );
            let mark = DispatchMark {
                open: row.try_get("open").db()?,
                since: row.try_get("since").db()?,
            };
            Ok((key, mark))
        })
        .collect()
}
