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

use sqlx::{PgConnection, PgPool};
use wakit_core::{AccountId, OrgId};
use wakit_store::{
    MessageState, StatusOutcome, StatusUpdate, StoreError, StoreResult, plan_statuses,
};

use crate::error::DbResultExt;
use crate::merged::Writes;
use crate::rows::{fetch_keyed, fetch_pairs};
use crate::scope::{self, Scope};
use crate::status::{TRACKED, load_state, lock_wamids};

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
) -> StoreResult<HashMap<(AccountId, String), MessageState>> {
    let sql = format!(
        "SELECT {TRACKED} FROM messages m \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, wamid) \
           ON m.organization_id = k.org AND m.account_id = k.account AND m.external_id = k.wamid \
         ORDER BY m.id FOR UPDATE OF m"
    );
    let rows = fetch_keyed(conn, &sql, keys.iter().copied()).await?;
    rows.iter()
        .map(|row| {
            let m = load_state(row)?;
            let wamid = m.external_id.clone().unwrap_or_default();
            Ok(((m.account, wamid), m))
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

    let plan = plan_statuses(batch, &mut found);
    let mut writes = Writes::default();
    for (org, message) in plan.events {
        writes.event(org, message);
    }
    for (org, u) in plan.parked {
        writes.park(org, u);
    }
    for m in found.into_values() {
        writes.message(m);
    }
    writes.run(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(plan.outcomes)
}
