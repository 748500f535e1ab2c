//! Status batches in one transaction (group commit: one WAL flush for the whole batch),
//! with the semantics of applying the statuses one by one.
//!
//! A status costs round trips, not work, so the batch checks every (org, number) pair in
//! one query, takes every wamid's advisory lock in one (in key order, see
//! [`lock_wamids`]), reads and locks every targeted message in one, merges in memory in
//! batch order, and writes the changed rows, their events and the parked statuses of
//! unknown wamids in one statement: seven round trips for the batch, commit included.

use std::collections::{BTreeSet, HashMap};

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;
use wakit_core::{AccountId, OrgId};
use wakit_store::{StatusOutcome, StatusUpdate, StoreError, StoreResult};

use crate::error::DbResultExt;
use crate::rows::fetch_keyed;
use crate::status::{Locked, lock_wamids};

/// `NotFound("account")` unless every number of the batch belongs to its org.
async fn ensure_accounts(
    conn: &mut PgConnection,
    pairs: &BTreeSet<(OrgId, AccountId)>,
) -> StoreResult<()> {
    let orgs: Vec<Uuid> = pairs.iter().map(|(org, _)| org.0).collect();
    let accounts: Vec<Uuid> = pairs.iter().map(|(_, account)| account.0).collect();
    let found: i64 = sqlx::query(
        "SELECT count(*) AS n FROM organizations_addresses a \
         JOIN UNNEST($1::uuid[], $2::uuid[]) AS k(org, account) \
           ON a.id = k.account AND a.organization_id = k.org",
    )
    .bind(&orgs)
    .bind(&accounts)
    .fetch_one(&mut *conn)
    .await
    .db()?
    .try_get("n")
    .db()?;
    if usize::try_from(found).ok() != Some(pairs.len()) {
        return Err(StoreError::NotFound("account"));
    }
    Ok(())
}

/// Reads and locks the org's messages with these wamids, in id order.
async fn lock_messages(
    conn: &mut PgConnection,
    keys: &BTreeSet<(OrgId, AccountId, &str)>,
) -> StoreResult<HashMap<(AccountId, String), Locked>> {
    let rows = fetch_keyed(
        conn,
        "SELECT m.id, m.account_id, m.status, m.status_history, m.external_id FROM messages m \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, wamid) \
           ON m.organization_id = k.org AND m.account_id = k.account AND m.external_id = k.wamid \
         ORDER BY m.id FOR UPDATE OF m",
        keys.iter().copied(),
    )
    .await?;
    rows.iter()
        .map(|row| {
            let account = AccountId(row.try_get("account_id").db()?);
            let locked = Locked::from_row(row)?;
            let wamid = locked.external_id.clone().unwrap_or_default();
            Ok(((account, wamid), locked))
        })
        .collect()
}

/// The batch's writes, gathered for one statement.
#[derive(Default)]
struct Writes {
    /// Changed messages: id, status, history, error.
    ids: Vec<Uuid>,
    statuses: Vec<&'static str>,
    histories: Vec<Json<wakit_core::StatusHistory>>,
    errors: Vec<Option<serde_json::Value>>,
    /// `messages.update` events, in batch order: org, message.
    event_orgs: Vec<Uuid>,
    event_rows: Vec<Uuid>,
    /// Statuses parked for unknown wamids.
    parked: Vec<(OrgId, StatusUpdate)>,
}

/// Every changed row, event and parked status, in one round trip.
const WRITE: &str = "WITH changed AS ( \
       UPDATE messages m SET status = u.status, status_history = u.history, \
         error = COALESCE(u.error, m.error), updated_at = now() \
       FROM UNNEST($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[]) AS u(id, status, history, error) \
       WHERE m.id = u.id \
     ), appended AS ( \
       INSERT INTO events (organization_id, entity, action, row_id) \
       SELECT e.org, 'messages', 'update', e.id \
       FROM UNNEST($5::uuid[], $6::uuid[]) WITH ORDINALITY AS e(org, id, n) ORDER BY e.n \
     ) \
     INSERT INTO pending_statuses (id, organization_id, account_id, wamid, status, at, error) \
     SELECT * FROM UNNEST($7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::text[], \
                          $12::timestamptz[], $13::jsonb[])";

impl Writes {
    async fn run(self, conn: &mut PgConnection) -> StoreResult<()> {
        let parked = &self.parked;
        let ids: Vec<Uuid> = parked.iter().map(|_| Uuid::now_v7()).collect();
        let orgs: Vec<Uuid> = parked.iter().map(|(org, _)| org.0).collect();
        let accounts: Vec<Uuid> = parked.iter().map(|(_, u)| u.account_id.0).collect();
        let wamids: Vec<&str> = parked.iter().map(|(_, u)| u.wamid.as_str()).collect();
        let statuses: Vec<&str> = parked.iter().map(|(_, u)| u.status.as_str()).collect();
        let ats: Vec<_> = parked.iter().map(|(_, u)| u.at).collect();
        let errors: Vec<_> = parked.iter().map(|(_, u)| u.error.clone()).collect();
        sqlx::query(WRITE)
            .bind(&self.ids)
            .bind(&self.statuses)
            .bind(&self.histories)
            .bind(&self.errors)
            .bind(&self.event_orgs)
            .bind(&self.event_rows)
            .bind(&ids)
            .bind(&orgs)
            .bind(&accounts)
            .bind(&wamids)
            .bind(&statuses)
            .bind(&ats)
            .bind(&errors)
            .execute(conn)
            .await
            .db()
            .map(|_| ())
    }
}

/// A batch in one transaction. Any error rolls back the whole batch; callers then retry
/// one status at a time.
pub(crate) async fn apply_status_batch(
    pool: &PgPool,
    batch: Vec<(OrgId, StatusUpdate)>,
) -> StoreResult<Vec<StatusOutcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await.db()?;
    let pairs = batch.iter().map(|(org, u)| (*org, u.account_id)).collect();
    ensure_accounts(&mut tx, &pairs).await?;
    let keys: BTreeSet<(OrgId, AccountId, &str)> = batch
        .iter()
        .map(|(org, u)| (*org, u.account_id, u.wamid.as_str()))
        .collect();
    lock_wamids(&mut tx, keys.iter().map(|(_, a, w)| (*a, *w))).await?;
    let mut found = lock_messages(&mut tx, &keys).await?;

    let mut writes = Writes::default();
    let mut out = Vec::with_capacity(batch.len());
    for (org, u) in batch {
        let Some(m) = found.get_mut(&(u.account_id, u.wamid.clone())) else {
            out.push(StatusOutcome::Deferred);
            writes.parked.push((org, u));
            continue;
        };
        let before = m.status;
        m.merge(u.status, u.at, u.error);
        let (message_id, status) = (m.id, m.status);
        out.push(if status != before {
            writes.event_orgs.push(org.0);
            writes.event_rows.push(message_id.0);
            StatusOutcome::Applied { message_id, status }
        } else {
            StatusOutcome::Unchanged { message_id, status }
        });
    }
    for m in found.into_values().filter(|m| m.dirty) {
        writes.ids.push(m.id.0);
        writes.statuses.push(m.status.as_str());
        writes.histories.push(Json(m.history));
        writes.errors.push(m.error);
    }
    writes.run(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(out)
}
