//! Batch ingest in one transaction (group commit: one WAL flush for the whole batch),
//! with the semantics of ingesting the messages one by one.
//!
//! Round trips are what a message costs, so the batch reads (and locks) every contact
//! address it will touch in one query and every active conversation in another; each
//! message is then one statement (insert, conversation touch, events). New contacts
//! and conversations still go through the race-safe single-row paths.
//!
//! Every contact a batch touches is locked (existing ones) or created (new ones) up
//! front, each in key order, before any conversation or message is written: two
//! batches sharing a contact (several workers, several replicas) then wait for each
//! other at that point instead of deadlocking later.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{AccountId, ConversationId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::accounts::ensure_account;
use crate::contacts::{Touch, lock_address, lock_addresses, upsert_address, write_address};
use crate::conversations::find_or_create;
use crate::error::DbResultExt;
use crate::identities::resolve_keys;
use crate::ingest::{INSERT_AND_TOUCH, existing, vanished};
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
    let mut addresses = lock_addresses(&mut tx, &contacts).await?;
    // New contacts are created before anything else, in key order too (by the batch's
    // first message for each): a concurrent batch creating the same one waits here,
    // before it holds anything this one needs.
    let missing: Vec<_> = contacts
        .iter()
        .filter(|c| !addresses.contains_key(*c))
        .collect();
    for (org, key) in missing {
        let first = batch
            .iter()
            .zip(&keys)
            .find(|((o, _), k)| o == org && *k == key);
        if let Some(((_, msg), _)) = first {
            let touch = Touch::Inbound {
                profile_name: msg.profile_name.as_deref(),
            };
            upsert_address(&mut tx, *org, key, &msg.from, touch).await?;
            // Read back (locked already): a concurrent batch may have created it first.
            let row = lock_address(&mut tx, *org, key).await?;
            addresses.insert((*org, key.clone()), row);
        }
    }
    let threads = batch
        .iter()
        .zip(&keys)
        .map(|((org, m), k)| (*org, m.account_id, k.clone()));
    let mut conversations = active_conversations(&mut tx, &threads.collect()).await?;

    let mut out = Vec::with_capacity(batch.len());
    for ((org, msg), key) in batch.iter().zip(keys) {
        let Some(old) = addresses.get_mut(&(*org, key.clone())) else {
            return Err(StoreError::Other(format!(
                "contact {key} neither found nor created"
            )));
        };
        let new = old.after_inbound(&msg.from, msg.profile_name.as_deref());
        if new != *old {
            write_address(&mut tx, *org, &key, &new).await?;
            *old = new;
        }
        let (conversation, created) = match conversations.get(&(msg.account_id, key.clone())) {
            Some(c) => (*c, false),
            None => {
                let (c, created) = find_or_create(&mut tx, *org, msg.account_id, &key).await?;
                conversations.insert((msg.account_id, key.clone()), c);
                (c, created)
            }
        };
        let id = MessageId::new();
        let history = StatusHistory::starting(MessageStatus::Delivered, msg.timestamp);
        let row = sqlx::query(INSERT_AND_TOUCH)
            .bind(id.0)
            .bind(org.0)
            .bind(conversation.0)
            .bind(msg.account_id.0)
            .bind(&key)
            .bind(Json(&msg.content))
            .bind(Json(&history))
            .bind(&msg.wamid)
            .bind(msg.timestamp)
            .bind(created)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        let inserted: i64 = row.try_get("inserted").db()?;
        if inserted == 0 {
            // Stored before (or earlier in this batch): answer with that message.
            let found = existing(&mut tx, *org, msg.account_id, &msg.wamid).await?;
            out.push(found.ok_or_else(vanished)?);
            continue;
        }
        out.push(Ingested {
            message_id: id,
            conversation_id: conversation,
            created: true,
        });
    }
    tx.commit().await.db()?;
    Ok(out)
}
