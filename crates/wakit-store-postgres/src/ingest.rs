//! The writes of inbound ingest ([`IngestWriter`] for the shared plan); the batch's
//! transaction and lookups are in `ingest_batch.rs`.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use wakit_core::{
    AccountId, ConversationId, MessageId, MessageStatus, OrgId, Sender, StatusHistory,
};
use wakit_store::media::download_job;
use wakit_store::{
    AddressFields, InboundRow, IngestWriter, Ingested, StoreError, StoreResult, starts_turn,
};

use crate::contacts::{Touch, upsert_address, write_address};
use crate::conversations::find_or_create;
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

/// Inserts the message, moves the conversation's last message and unread count, and
/// appends the events: one statement (one round trip) instead of four.
pub(crate) const INSERT_AND_TOUCH: &str = "\
WITH m AS (
    INSERT INTO messages (id, organization_id, conversation_id, account_id, contact_address,
        direction, content, status, status_history, external_id, \"timestamp\")
    VALUES ($1, $2, $3, $4, $5, 'incoming', $6, 'delivered', $7, $8, $9)
    ON CONFLICT (account_id, external_id) DO NOTHING
    RETURNING id
), c AS (
    UPDATE conversations SET
        last_message_id = CASE WHEN last_message_at IS NULL OR $9 >= last_message_at
                               THEN $1 ELSE last_message_id END,
        last_message_at = CASE WHEN last_message_at IS NULL OR $9 >= last_message_at
                               THEN $9 ELSE last_message_at END,
        unread_count = unread_count + CASE WHEN last_outgoing_at IS NULL OR $9 > last_outgoing_at
                                           THEN 1 ELSE 0 END,
        updated_at = now()
    WHERE id = $3 AND EXISTS (SELECT 1 FROM m)
    RETURNING id
), e AS (
    INSERT INTO events (organization_id, entity, action, row_id)
    SELECT $2, v.entity, 'insert', v.row_id
    FROM (VALUES (1, 'conversations', $3::uuid), (2, 'messages', $1::uuid)) AS v(n, entity, row_id)
    WHERE EXISTS (SELECT 1 FROM m) AND (v.n = 2 OR $10)
    ORDER BY v.n
    RETURNING seq
)
SELECT (SELECT count(*) FROM m) AS inserted, (SELECT count(*) FROM c) AS touched, (SELECT count(*) FROM e) AS events";

/// The plan's writes in the batch's transaction: each message is one statement.
pub(crate) struct Writer<'c> {
    pub(crate) tx: &'c mut PgConnection,
    /// The batch's new messages that may start an agent turn (org, id).
    pub(crate) turns: Vec<(OrgId, MessageId)>,
}

#[async_trait]
impl IngestWriter for Writer<'_> {
    async fn save_address(
        &mut self,
        org: OrgId,
        key: &str,
        sender: &Sender,
        profile: Option<&str>,
        old: Option<&AddressFields>,
        new: &AddressFields,
    ) -> StoreResult<()> {
        match old {
            Some(_) => write_address(self.tx, org, key, new).await,
            // Race-safe: a concurrent batch may create the same contact.
            None => {
                let touch = Touch::Inbound {
                    profile_name: profile,
                };
                upsert_address(self.tx, org, key, sender, touch).await
            }
        }
    }

    async fn open_conversation(
        &mut self,
        org: OrgId,
        account: AccountId,
        key: &str,
    ) -> StoreResult<(ConversationId, bool)> {
        find_or_create(self.tx, org, account, key).await
    }

    async fn insert(&mut self, row: InboundRow<'_>) -> StoreResult<Option<Ingested>> {
        let msg = row.msg;
        let history = StatusHistory::starting(MessageStatus::Delivered, msg.timestamp);
        let done = sqlx::query(INSERT_AND_TOUCH)
            .bind(row.id.0)
            .bind(row.org.0)
            .bind(row.conversation.0)
            .bind(msg.account_id.0)
            .bind(row.key)
            .bind(Json(&msg.content))
            .bind(Json(&history))
            .bind(&msg.wamid)
            .bind(msg.timestamp)
            .bind(row.conversation_opened)
            .fetch_one(&mut *self.tx)
            .await
            .db()?;
        if done.try_get::<i64, _>("inserted").db()? > 0 {
            // Its media's download job, in the same transaction as the message.
            if let Some(job) = download_job(row.org, row.id, msg) {
                crate::jobs::insert_job(self.tx, &job).await?;
            }
            if starts_turn(msg) {
                self.turns.push((row.org, row.id));
            }
            return Ok(None);
        }
        // A concurrent batch stored the wamid first: answer with its message.
        let key = BTreeSet::from([(row.org, msg.account_id, msg.wamid.as_str())]);
        let found = stored(self.tx, &key).await?.into_values().next();
        found
            .map(Some)
            .ok_or_else(|| StoreError::other("wamid conflict without a stored message"))
    }

    async fn finish(&mut self) -> StoreResult<()> {
        crate::agents::queue_turns(self.tx, &std::mem::take(&mut self.turns)).await
    }
}
