//! Status batches in one transaction (group commit: one WAL flush for the whole batch),
//! with the semantics of applying the statuses one by one.
//!
//! A status costs round trips, not work, so the batch checks every (org, number) pair in
//! one query, takes every wamid's advisory lock in one (in key order, see
//! [`lock_wamids`]), reads and locks every targeted message in one, merges in memory in
//! batch order, and writes the changed rows, their events and the parked statuses of
//! unknown wamids in one statement ([`Writes`]): six round trips for the batch, begin
//! and commit included.

use std::collections::{BTreeSet, HashMap};

use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{AccountId, OrgId};
use wakit_store::{StatusOutcome, StatusUpdate, StoreError, StoreResult};

use crate::error::DbResultExt;
use crate::merged::Writes;
use crate::rows::{fetch_keyed, fetch_pairs};
use crate::scope::{self, Scope};
use crate::status::{Locked, lock_wamids};

/// `NotFound("account")` unless every number of the batch belongs to its org.
async fn ensure_accounts(
    conn: &mut PgConnection,
    pairs: &BTreeSet<(OrgId, AccountId)>,
) -> StoreResult<()> {
    let found = fetch_pairs(
        conn,
        "SELECT a.id FROM organizations_addresses a \
         JOIN UNNEST($1::uuid[], $2::uuid[]) AS k(org, account) \
           ON a.id = k.account AND a.organization_id = k.org",
        pairs.iter().map(|(org, account)| (org.0, account.0)),
    )
    .await?
    .len();
    if found != pairs.len() {
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

/// A batch in one transaction. Any error rolls back the whole batch; callers then retry
/// one status at a time.
pub(crate) async fn apply_status_batch(
    pool: &PgPool,
    batch: Vec<(OrgId, StatusUpdate)>,
) -> StoreResult<Vec<StatusOutcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = scope::begin(pool, Scope::Internal).await?;
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
            writes.park(org, u);
            continue;
        };
        let before = m.status;
        m.merge(u.status, u.at, u.error);
        let (message_id, status) = (m.id, m.status);
        out.push(if status != before {
            writes.event(org, message_id);
            StatusOutcome::Applied { message_id, status }
        } else {
            StatusOutcome::Unchanged { message_id, status }
        });
    }
    for m in found.into_values() {
        writes.message(m);
    }
    writes.run(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(out)
}
