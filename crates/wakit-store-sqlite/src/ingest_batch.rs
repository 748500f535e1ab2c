//! Ingest in one transaction (group commit: one fsync for the whole batch under
//! `synchronous = FULL`; one message is a batch of one), planned by
//! [`wakit_store::ingest_planned`] with the semantics of ingesting the messages one by one.
//!
//! Every statement is a round trip to the writer connection's thread, which costs more
//! than the work it carries. So one query looks up, for every message at once, its
//! number, its wamid, its contact address and its active conversation; the messages are
//! then walked in order by the shared plan, and the message inserts go out 32 to a call. In the steady state (known
//! contacts, open conversations) that is one call per 32 messages instead of three per
//! message; a new contact or conversation still costs its own calls.

use serde_json::json;
use sqlx::SqliteConnection;
use wakit_core::OrgId;
use wakit_store::{InboundMessage, Ingested, Known, StoreError, StoreResult, ingest_planned};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::identities::resolve_keys;
use crate::ingest::Writer;
use crate::rows::{get, get_opt_uuid, now, to_json};
use crate::shared::{ADDRESS_COLUMNS, address_from_row};

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
) -> StoreResult<Known> {
    let wanted: Vec<_> = batch
        .iter()
        .zip(keys)
        .map(|((org, m), k)| {
            json!({"o": org.to_string(), "a": m.account_id.to_string(), "w": m.wamid, "k": k})
        })
        .collect();
    let rows = sqlx::query(&LOOKUP)
        .bind(to_json(&wanted)?)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    if rows.len() != batch.len() {
        return Err(StoreError::other(format!(
            "batch lookup returned {} rows for {} messages",
            rows.len(),
            batch.len()
        )));
    }
    let mut known = Known::default();
    for (row, ((org, msg), key)) in rows.iter().zip(batch.iter().zip(keys)) {
        if !get::<bool>(row, "account_in_org")? {
            return Err(StoreError::NotFound("account"));
        }
        if let (Some(m), Some(c)) = (
            get_opt_uuid(row, "message_id")?,
            get_opt_uuid(row, "message_conversation_id")?,
        ) {
            let stored = Ingested {
                message_id: m.into(),
                conversation_id: c.into(),
                created: false,
            };
            known
                .stored
                .insert((msg.account_id, msg.wamid.clone()), stored);
        }
        if let Some(address) = address_from_row(row)? {
            known.addresses.insert((*org, key.clone()), address);
        }
        if let Some(c) = get_opt_uuid(row, "conversation_id")? {
            known
                .conversations
                .insert((msg.account_id, key.clone()), c.into());
        }
    }
    Ok(known)
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
        let known = lookup(&mut tx, &batch, &keys).await?;
        let out = ingest_planned(&mut Writer::new(&mut tx, at), &batch, &keys, known).await?;
        tx.commit().await.db()?;
        Ok(out)
    }
}
