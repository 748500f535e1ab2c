//! Ingest in one transaction (group commit: one WAL flush for the whole batch; one
//! message is a batch of one), planned by [`wakit_store::ingest_planned`] with the
//! semantics of ingesting the messages one by one.
//!
//! Round trips are what a message costs, so the batch reads what it needs in three
//! queries (stored wamids, contact addresses, active conversations), without locking
//! anything; the plan runs against that in memory ([`Recorder`]), and its writes go out
//! in a few set-based statements that take their locks in one global order
//! (`ingest_write.rs`). A batch of 250 messages from known contacts is about ten round
//! trips, and holds its one contended lock set (its conversations' rows) only from its
//! last statement to its commit.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{AccountId, ConversationId, OrgId};
use wakit_store::{InboundMessage, Ingested, Known, StoreResult, ingest_planned};

use crate::accounts::ensure_account;
use crate::contacts::read_addresses;
use crate::error::DbResultExt;
use crate::identities::resolve_keys;
use crate::ingest::{Recorder, stored};
use crate::rows::fetch_keyed;
use crate::scope::{self, Scope};

/// The active conversations among `keys` (number, contact key) of their orgs.
async fn active_conversations(
    conn: &mut PgConnection,
    keys: &BTreeSet<(OrgId, AccountId, String)>,
) -> StoreResult<HashMap<(AccountId, String), ConversationId>> {
    let rows = fetch_keyed(
        conn,
        "SELECT c.id, c.account_id, c.contact_address FROM conversations c \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, address) \
           ON c.organization_id = k.org AND c.account_id = k.account AND c.contact_address = k.address \
         WHERE c.status = 'active'",
        keys.iter().map(|(org, account, key)| (*org, *account, key.as_str())),
    )
    .await?;
    rows.iter()
        .map(|row| {
            let account = AccountId(row.try_get("account_id").db()?);
            let key: String = row.try_get("contact_address").db()?;
            Ok(((account, key), ConversationId(row.try_get("id").db()?)))
        })
        .collect()
}

/// A batch in one transaction. Any error rolls back the whole batch; callers then retry
/// one message at a time.
pub(crate) async fn ingest_batch(
    pool: &PgPool,
    batch: Vec<(OrgId, InboundMessage)>,
) -> StoreResult<Vec<Ingested>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = scope::begin(pool, Scope::Internal).await?;
    let mut checked = HashSet::new();
    for (org, msg) in &batch {
        if checked.insert((*org, msg.account_id)) {
            ensure_account(&mut tx, *org, msg.account_id).await?;
        }
    }
    let senders: Vec<_> = batch.iter().map(|(org, m)| (*org, &m.from)).collect();
    let keys = resolve_keys(&mut tx, &senders).await?;
    let contacts: BTreeSet<(OrgId, String)> = batch
        .iter()
        .zip(&keys)
        .map(|((org, _), k)| (*org, k.clone()))
        .collect();
    let addresses = read_addresses(&mut tx, &contacts).await?;
    let threads = batch
        .iter()
        .zip(&keys)
        .map(|((org, m), k)| (*org, m.account_id, k.clone()));
    let conversations = active_conversations(&mut tx, &threads.collect()).await?;
    let wamids = batch
        .iter()
        .map(|(org, m)| (*org, m.account_id, m.wamid.as_str()))
        .collect();
    let known = Known {
        stored: stored(&mut tx, &wamids).await?,
        addresses,
        conversations,
    };
    let mut plan = Recorder::default();
    let out = ingest_planned(&mut plan, &batch, &keys, known).await?;
    let out = crate::ingest_write::write(&mut tx, plan, out).await?;
    tx.commit().await.db()?;
    Ok(out)
}
