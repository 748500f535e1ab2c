//! Ingest planning, once for both engines: what rows a batch of inbound messages
//! becomes. The backend looks up what the database holds ([`Known`]) and provides the
//! writes ([`IngestWriter`]); [`ingest_planned`] walks the batch in order with the
//! semantics of ingesting the messages one by one — a wamid already stored (before or
//! earlier in the batch) changes nothing, a contact address is written only when an
//! inbound message changes it, a conversation is opened only when none is active.

use std::collections::HashMap;

use async_trait::async_trait;
use wakit_core::{AccountId, ConversationId, MessageId, OrgId, Sender};

use crate::{AddressFields, InboundMessage, Ingested, StoreResult};

/// What the database held before the batch, as far as the batch's messages touch it.
#[derive(Debug, Default)]
pub struct Known {
    /// Messages already stored, by (number, wamid).
    pub stored: HashMap<(AccountId, String), Ingested>,
    /// Contact addresses, by (org, contact key).
    pub addresses: HashMap<(OrgId, String), AddressFields>,
    /// Active conversations, by (number, contact key).
    pub conversations: HashMap<(AccountId, String), ConversationId>,
}

/// An inbound message row to insert (with its conversation touch and events).
#[derive(Debug)]
pub struct InboundRow<'a> {
    /// The new message's id.
    pub id: MessageId,
    /// Its org.
    pub org: OrgId,
    /// Its conversation.
    pub conversation: ConversationId,
    /// Whether this message's conversation was just opened for it (its
    /// `conversations.insert` event is due, where the backend appends it with the row).
    pub conversation_opened: bool,
    /// The contact's key.
    pub key: &'a str,
    /// The message.
    pub msg: &'a InboundMessage,
}

/// The writes a backend runs for [`ingest_planned`], in the order the plan calls them.
#[async_trait]
pub trait IngestWriter: Send {
    /// Creates (`old` is `None`) or updates the org's contact address `key` to `new`.
    async fn save_address(
        &mut self,
        org: OrgId,
        key: &str,
        sender: &Sender,
        profile: Option<&str>,
        old: Option<&AddressFields>,
        new: &AddressFields,
    ) -> StoreResult<()>;
    /// Opens the active conversation between the number and the contact (none was
    /// known); its id, and whether this call created it.
    async fn open_conversation(
        &mut self,
        org: OrgId,
        account: AccountId,
        key: &str,
    ) -> StoreResult<(ConversationId, bool)>;
    /// Inserts a message row. `Some(stored)` when its wamid turned out to be stored
    /// already (a concurrent writer): nothing was inserted.
    async fn insert(&mut self, row: InboundRow<'_>) -> StoreResult<Option<Ingested>>;
    /// Called once after the last message: write whatever is buffered.
    async fn finish(&mut self) -> StoreResult<()>;
}

/// Walks the batch in order (`keys[i]` is message `i`'s contact key) and runs its
/// writes through `w`; one result per message, in order.
pub async fn ingest_planned<W: IngestWriter + ?Sized>(
    w: &mut W,
    batch: &[(OrgId, InboundMessage)],
    keys: &[String],
    mut known: Known,
) -> StoreResult<Vec<Ingested>> {
    let mut out = Vec::with_capacity(batch.len());
    for ((org, msg), key) in batch.iter().zip(keys) {
        let wamid = (msg.account_id, msg.wamid.clone());
        if let Some(done) = known.stored.get(&wamid) {
            out.push(Ingested {
                created: false,
                ..*done
            });
            continue;
        }
        let profile = msg.profile_name.as_deref();
        let contact = (*org, key.clone());
        let old = known.addresses.get(&contact);
        let new = match old {
            Some(old) => old.after_inbound(&msg.from, profile),
            None => AddressFields::created(&msg.from, profile),
        };
        if old != Some(&new) {
            w.save_address(*org, key, &msg.from, profile, old, &new)
                .await?;
            known.addresses.insert(contact, new);
        }
        let thread = (msg.account_id, key.clone());
        let (conversation, opened) = match known.conversations.get(&thread) {
            Some(c) => (*c, false),
            None => {
                let (c, opened) = w.open_conversation(*org, msg.account_id, key).await?;
                known.conversations.insert(thread, c);
                (c, opened)
            }
        };
        let id = MessageId::new();
        let row = InboundRow {
            id,
            org: *org,
            conversation,
            conversation_opened: opened,
            key,
            msg,
        };
        let done = w.insert(row).await?.unwrap_or(Ingested {
            message_id: id,
            conversation_id: conversation,
            created: true,
        });
        known.stored.insert(wamid, done);
        out.push(done);
    }
    w.finish().await?;
    Ok(out)
}
