//! Status batches in one transaction (group commit: one fsync for the whole batch under
//! `synchronous = FULL`), with the semantics of applying the statuses one by one.
//!
//! Every statement is a round trip to the writer connection's thread, so one query
//! finds, for every (org, number, wamid) of the batch at once, whether the number is
//! the org's and the message with that wamid; the statuses are merged in memory in
//! batch order; and one call writes the changed rows, their events and the parked
//! statuses of unknown wamids. Two calls for the batch, whatever its size.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;
use sqlx::SqliteConnection;
use wakit_core::{AccountId, OrgId};
use wakit_store::{
    MessageState, StatusOutcome, StatusUpdate, StoreError, StoreResult, plan_statuses,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, now, to_json, us};
use crate::status::{TRACKED, load_state};

/// Loads the messages the batch names, keyed by (number, wamid); `NotFound("account")`
/// if a number is not its org's.
async fn lookup(
    conn: &mut SqliteConnection,
    batch: &[(OrgId, StatusUpdate)],
) -> StoreResult<HashMap<(AccountId, String), MessageState>> {
    let keys: BTreeSet<(OrgId, AccountId, &str)> = batch
        .iter()
        .map(|(org, u)| (*org, u.account_id, u.wamid.as_str()))
        .collect();
    let keys: Vec<_> = keys
        .iter()
        .map(|(o, a, w)| json!({"o": o.to_string(), "a": a.to_string(), "w": w}))
        .collect();
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM organizations_addresses a \
                 WHERE a.id = j.value ->> 'a' AND a.organization_id = j.value ->> 'o') \
                 AS account_in_org, \
                m.id IS NOT NULL AS found, {TRACKED} \
         FROM json_each(?1) AS j \
         LEFT JOIN messages m ON m.account_id = j.value ->> 'a' \
           AND m.external_id = j.value ->> 'w' AND m.organization_id = j.value ->> 'o'"
    );
    let rows = sqlx::query(&sql)
        .bind(to_json(&keys)?)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut found = HashMap::new();
    for row in &rows {
        if !get::<bool>(row, "account_in_org")? {
            return Err(StoreError::NotFound("account"));
        }
        if get::<bool>(row, "found")? {
            let m = load_state(row)?;
            let wamid = m.external_id.clone().unwrap_or_default();
            found.insert((m.account, wamid), m);
        }
    }
    Ok(found)
}

/// Every changed row, event and parked status, in one call. Multi-statement SQL binds
/// plain `?` in order across its statements.
const WRITE: &str = "\
    UPDATE messages SET status = j.value ->> 's', status_history = j.value ->> 'h', \
      error = j.value ->> 'e', updated_at = ? \
      FROM json_each(?) AS j WHERE messages.id = j.value ->> 'id'; \
    INSERT INTO events (organization_id, entity, action, row_id, created_at) \
      SELECT j.value ->> 'o', 'messages', 'update', j.value ->> 'm', ? \
      FROM json_each(?) AS j ORDER BY j.key; \
    INSERT INTO pending_statuses (id, organization_id, account_id, wamid, status, at, error, created_at) \
      SELECT j.value ->> 'id', j.value ->> 'o', j.value ->> 'a', j.value ->> 'w', j.value ->> 's', \
             j.value ->> 't', j.value ->> 'e', ? \
      FROM json_each(?) AS j ORDER BY j.key";

impl SqliteStore {
    pub(crate) async fn status_batch(
        &self,
        batch: Vec<(OrgId, StatusUpdate)>,
    ) -> StoreResult<Vec<StatusOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let mut found = lookup(&mut tx, &batch).await?;
        let plan = plan_statuses(batch, &mut found);
        let parked = plan
            .parked
            .iter()
            .map(|(org, u)| {
                Ok(json!({
                    "id": uuid::Uuid::now_v7().to_string(),
                    "o": org.to_string(),
                    "a": u.account_id.to_string(),
                    "w": u.wamid,
                    "s": u.status.as_str(),
                    "t": us(u.at),
                    "e": u.error.as_ref().map(to_json).transpose()?,
                }))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let events: Vec<_> = plan
            .events
            .iter()
            .map(|(org, m)| json!({"o": org.to_string(), "m": m.to_string()}))
            .collect();
        let mut changed = Vec::new();
        for m in found.values().filter(|m| m.dirty) {
            changed.push(json!({
                "id": m.id.to_string(),
                "s": m.status.as_str(),
                "h": to_json(&m.history)?,
                "e": m.error.as_ref().map(to_json).transpose()?,
            }));
        }
        let at = us(now());
        sqlx::query(WRITE)
            .bind(at)
            .bind(to_json(&changed)?)
            .bind(at)
            .bind(to_json(&events)?)
            .bind(at)
            .bind(to_json(&parked)?)
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(plan.outcomes)
    }
}
