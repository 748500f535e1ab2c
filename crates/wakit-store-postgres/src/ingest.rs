//! What a batch's plan writes ([`IngestWriter`] for the shared plan): the plan runs
//! against the batch's lookup without touching the database, and [`Recorder`] keeps
//! what it asked for; `ingest_write.rs` then writes it in a few set-based statements,
//! taking every lock in one global order. The batch's transaction and lookups are in
//! `ingest_batch.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use sqlx::{PgConnection, Row};
use wakit_core::{AccountId, ConversationId, MessageId, OrgId, Sender};
use wakit_store::{AddressFields, InboundMessage, InboundRow, IngestWriter, Ingested, StoreResult};

use crate::error::DbResultExt;
use crate::rows::fetch_keyed;

/// The stored messages with these (org, number, wamid)s, by (number, wamid).
pub(crate) async fn stored(
    conn: &mut PgConnection,
    keys: &BTreeSet<(OrgId, AccountId, &str)>,
) -> StoreResult<HashMap<(AccountId, String), Ingested>> {
    let rows = fetch_keyed(
        conn,
        "SELECT m.id, m.conversation_id, m.account_id, m.external_id FROM messages m \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, wamid) \
           ON m.organization_id = k.org AND m.account_id = k.account AND m.external_id = k.wamid",
        keys.iter().copied(),
    )
    .await?;
    rows.iter()
        .map(|r| {
            let key = (
                AccountId(r.try_get("account_id").db()?),
                r.try_get::<String, _>("external_id").db()?,
            );
            let found = Ingested {
                message_id: MessageId(r.try_get("id").db()?),
                conversation_id: ConversationId(r.try_get("conversation_id").db()?),
                created: false,
            };
            Ok((key, found))
        })
        .collect()
}

/// A message row the plan asks for.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) id: MessageId,
    pub(crate) org: OrgId,
    pub(crate) conversation: ConversationId,
    pub(crate) key: String,
    pub(crate) msg: InboundMessage,
}

/// The plan's writes, recorded in the order the plan asked for them.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Contact addresses the plan creates or changes (by org and key: the order their
    /// rows are locked in).
    pub(crate) contacts: BTreeSet<(OrgId, String)>,
    /// Those of them that did not exist when the batch looked.
    pub(crate) new_contacts: HashSet<(OrgId, String)>,
    /// Conversations the plan opens, by (number, contact key): the org and the id the
    /// plan gave them (a concurrent batch may have opened one meanwhile).
    pub(crate) opened: BTreeMap<(AccountId, String), (OrgId, ConversationId)>,
    /// Message rows, in batch order.
    pub(crate) rows: Vec<Planned>,
}

#[async_trait]
impl IngestWriter for Recorder {
    async fn save_address(
        &mut self,
        org: OrgId,
        key: &str,
        _sender: &Sender,
        _profile: Option<&str>,
        old: Option<&AddressFields>,
        _new: &AddressFields,
    ) -> StoreResult<()> {
        // What the row becomes is decided once it is locked (`ingest_write.rs`), from
        // its value then: a concurrent batch may have changed it since the lookup.
        let contact = (org, key.to_string());
        if old.is_none() {
            self.new_contacts.insert(contact.clone());
        }
        self.contacts.insert(contact);
        Ok(())
    }

    async fn open_conversation(
        &mut self,
        org: OrgId,
        account: AccountId,
        key: &str,
    ) -> StoreResult<(ConversationId, bool)> {
        let id = ConversationId::new();
        self.opened.insert((account, key.to_string()), (org, id));
        Ok((id, true))
    }

    async fn insert(&mut self, row: InboundRow<'_>) -> StoreResult<Option<Ingested>> {
        self.rows.push(Planned {
            id: row.id,
            org: row.org,
            conversation: row.conversation,
            key: row.key.to_string(),
            msg: row.msg.clone(),
        });
        Ok(None)
    }

    async fn finish(&mut self) -> StoreResult<()> {
        Ok(())
    }
}
