//! Send-attempt markers: [`MessageStore::begin_dispatch`] / `end_dispatch`.
//!
//! [`MessageStore::begin_dispatch`]: wakit_store::MessageStore::begin_dispatch

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{MessageId, OrgId};
use wakit_store::{DispatchStart, StoreError, StoreResult};

use crate::PgStore;
use crate::conversations;
use crate::error::DbResultExt;
use crate::scope::{self, Scope};

impl PgStore {
    pub(crate) async fn dispatch_begin(
        &self,
        org: OrgId,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<DispatchStart> {
        let mut all = self
            .dispatch_begin_many(Scope::Org(org), &[(org, id)], at)
            .await?;
        all.pop().unwrap_or(Err(StoreError::NotFound("message")))
    }

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
        // An item named twice: the first starts the attempt, the next finds it started.
        let mut started = HashSet::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let (Some((open, since)), Some(message)) = (marks.get(item), messages.get(item)) else {
                out.push(Err(StoreError::NotFound("message")));
                continue;
            };
            let since = since.or_else(|| (!started.insert(*item)).then_some(at));
            let message = message.clone();
            out.push(Ok(match (open, since) {
                (false, _) => DispatchStart::Done(message),
                (true, None) => DispatchStart::Send(message),
                (true, Some(since)) => DispatchStart::Interrupted { message, since },
            }));
        }
        Ok(out)
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
) -> StoreResult<HashMap<(OrgId, MessageId), (bool, Option<DateTime<Utc>>)>> {
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
            Ok((key, (row.try_get("open").db()?, row.try_get("since").db()?)))
        })
        .collect()
}
