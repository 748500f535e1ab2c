//! Batch ingest in one transaction (group commit: one fsync for the whole batch under
//! `synchronous = FULL`), with the semantics of ingesting the messages one by one.
//!
//! Every statement is a round trip to the writer connection's thread, which costs more
//! than the work it carries. So one query looks up, for every message at once, its
//! number, its wamid, its contact address and its active conversation; the messages are
//! then walked in order, remembering what the batch itself created, and the message
//! inserts go out 32 to a call. In the steady state (known
//! contacts, open conversations) that is one call per 32 messages instead of three per
//! message; a new contact or conversation still costs its own calls.

use std::collections::HashMap;

use serde_json::json;
use sqlx::SqliteConnection;
use wakit_core::{AccountId, ConversationId, OrgId};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::identities::resolve_keys;
use crate::ingest::{Insert, insert_messages};
use crate::rows::{get, get_opt_uuid, now, to_json};
use crate::shared::{
    ADDRESS_COLUMNS, address_from_row, create_contact, create_conversation, refresh_contact,
};
use wakit_store::AddressFields;

/// What the batch's lookup found for one message (as the database was before the batch).
struct Seen {
    account_in_org: bool,
    existing: Option<Ingested>,
    address: Option<AddressFields>,
    conversation: Option<ConversationId>,
}

/// One row per message, in order: the `(o)rg`, `(a)ccount`, `(w)amid` and contact
/// `(k)ey` travel as one JSON array.
static LOOKUP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT \
     EXISTS (SELECT 1 FROM organizations_addresses a \
             WHERE a.id = j.value ->> 'a' AND a.organization_id = j.value ->> 'o') AS account_in_org, \
     m.id AS message_id, m.conversation_id AS message_conversation_id, \
     {ADDRESS_COLUMNS}, \
     (SELECT c.id FROM conversations c WHERE c.account_id = j.value ->> 'a' \
        AND c.contact_address = j.value ->> 'k' AND c.status = 'active') AS conversation_id \
     FROM json_each(?1) AS j \
     LEFT JOIN messages m ON m.account_id = j.value ->> 'a' AND m.external_id = j.value ->> 'w' \
     LEFT JOIN contacts_addresses ca ON ca.organization_id = j.value ->> 'o' AND ca.address = j.value ->> 'k' \
     LEFT JOIN contacts ct ON ct.id = ca.contact_id \
     ORDER BY j.key"
    )
});

async fn lookup(
    conn: &mut SqliteConnection,
    batch: &[(OrgId, InboundMessage)],
    keys: &[String],
) -> StoreResult<Vec<Seen>> {
    let keys: Vec<_> = batch
        .iter()
        .zip(keys)
        .map(|((org, m), k)| {
            json!({"o": org.to_string(), "a": m.account_id.to_string(), "w": m.wamid, "k": k})
        })
        .collect();
    let rows = sqlx::query(&LOOKUP)
        .bind(to_json(&keys)?)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    if rows.len() != batch.len() {
        return Err(StoreError::Other(format!(
            "batch lookup returned {} rows for {} messages",
            rows.len(),
            batch.len()
        )));
    }
    rows.iter()
        .map(|row| {
            let existing = match (
                get_opt_uuid(row, "message_id")?,
                get_opt_uuid(row, "message_conversation_id")?,
            ) {
                (Some(m), Some(c)) => Some(Ingested {
                    message_id: m.into(),
                    conversation_id: c.into(),
                    created: false,
                }),
                _ => None,
            };
            Ok(Seen {
                account_in_org: get(row, "account_in_org")?,
                existing,
                address: address_from_row(row)?,
                conversation: get_opt_uuid(row, "conversation_id")?.map(Into::into),
            })
        })
        .collect()
}

impl SqliteStore {
    pub(crate) async fn ingest_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let mut tx = self.write_tx().await?;
        let senders: Vec<_> = batch.iter().map(|(org, m)| (*org, &m.from)).collect();
        let keys = resolve_keys(&mut tx, &senders, at).await?;
        let seen = lookup(&mut tx, &batch, &keys).await?;
        // What the batch itself wrote, which the lookup could not see.
        let mut addresses: HashMap<(OrgId, String), AddressFields> = HashMap::new();
        let mut conversations: HashMap<(AccountId, String), ConversationId> = HashMap::new();
        let mut stored: HashMap<(AccountId, String), Ingested> = HashMap::new();
        let mut pending: Vec<Insert> = Vec::new();
        let mut out = Vec::with_capacity(batch.len());
        for (((org, msg), seen), key) in batch.into_iter().zip(seen).zip(keys) {
            if !seen.account_in_org {
                return Err(StoreError::NotFound("account"));
            }
            let wamid = (msg.account_id, msg.wamid.clone());
            if let Some(done) = stored.get(&wamid).or(seen.existing.as_ref()) {
                out.push(Ingested {
                    created: false,
                    ..*done
                });
                continue;
            }
            let profile = msg.profile_name.as_deref();
            let known = addresses.get(&(org, key.clone())).cloned().or(seen.address);
            // Earlier messages' inserts go first, so every write lands in message order
            // (events included) exactly as one-by-one ingest would write them.
            let address = match known {
                Some(old) if old.after_inbound(&msg.from, profile) == old => old,
                Some(old) => {
                    insert_messages(&mut tx, &std::mem::take(&mut pending), at).await?;
                    refresh_contact(&mut tx, org, &key, &msg.from, &old, profile, at).await?
                }
                None => {
                    insert_messages(&mut tx, &std::mem::take(&mut pending), at).await?;
                    create_contact(&mut tx, org, &key, &msg.from, profile, at).await?
                }
            };
            addresses.insert((org, key.clone()), address);
            let conversation = match conversations
                .get(&(msg.account_id, key.clone()))
                .copied()
                .or(seen.conversation)
            {
                Some(c) => c,
                None => {
                    insert_messages(&mut tx, &std::mem::take(&mut pending), at).await?;
                    create_conversation(&mut tx, org, msg.account_id, &key, at).await?
                }
            };
            conversations.insert((msg.account_id, key.clone()), conversation);
            let row = Insert::new(org, &msg, conversation, key)?;
            let done = Ingested {
                message_id: row.id,
                conversation_id: conversation,
                created: true,
            };
            stored.insert(wamid, done);
            out.push(done);
            pending.push(row);
        }
        insert_messages(&mut tx, &pending, at).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }
}
