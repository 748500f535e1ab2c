//! Inbound ingest of one message per transaction (batches are in `ingest_batch.rs`),
//! and the statement both use.

use std::collections::HashSet;

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use wakit_core::{AccountId, ConversationId, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::accounts::ensure_account;
use crate::contacts::{Touch, upsert_address};
use crate::conversations::find_or_create;
use crate::error::DbResultExt;
use crate::identities::resolve_keys;
use crate::scope::{self, Scope};

/// The stored message with this wamid on this number, if any.
pub(crate) async fn existing(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    wamid: &str,
) -> StoreResult<Option<Ingested>> {
    let row = sqlx::query(
        "SELECT id, conversation_id FROM messages \
         WHERE account_id = $1 AND external_id = $2 AND organization_id = $3",
    )
    .bind(account.0)
    .bind(wamid)
    .bind(org.0)
    .fetch_optional(conn)
    .await
    .db()?;
    row.map(|r| {
        Ok(Ingested {
            message_id: MessageId(r.try_get("id").db()?),
            conversation_id: ConversationId(r.try_get("conversation_id").db()?),
            created: false,
        })
    })
    .transpose()
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

/// Stores one message inside `tx`. `None` when the wamid is already stored (by this
/// transaction or a concurrent one that committed first): nothing was inserted.
/// `checked` remembers accounts already verified to belong to their org.
async fn ingest_in_tx(
    tx: &mut PgConnection,
    org: OrgId,
    msg: &InboundMessage,
    checked: &mut HashSet<(OrgId, AccountId)>,
) -> StoreResult<Option<Ingested>> {
    if checked.insert((org, msg.account_id)) {
        ensure_account(&mut *tx, org, msg.account_id).await?;
    }
    let touch = Touch::Inbound {
        profile_name: msg.profile_name.as_deref(),
    };
    let key = resolve_keys(&mut *tx, &[(org, &msg.from)])
        .await?
        .pop()
        .unwrap_or_else(|| msg.from.key());
    upsert_address(&mut *tx, org, &key, &msg.from, touch).await?;
    let (conversation, conv_created) = find_or_create(&mut *tx, org, msg.account_id, &key).await?;
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
        .bind(conv_created)
        .fetch_one(&mut *tx)
        .await
        .db()?;
    let inserted: i64 = row.try_get("inserted").db()?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Some(Ingested {
        message_id: id,
        conversation_id: conversation,
        created: true,
    }))
}

pub(crate) fn vanished() -> StoreError {
    StoreError::Other("wamid conflict without a stored message".into())
}

/// One message, one transaction.
pub(crate) async fn ingest_one(
    pool: &PgPool,
    org: OrgId,
    msg: InboundMessage,
) -> StoreResult<Ingested> {
    let mut tx = scope::begin(pool, Scope::Org(org)).await?;
    // Meta retries webhooks: a stored wamid is answered without writing.
    if let Some(found) = existing(&mut tx, org, msg.account_id, &msg.wamid).await? {
        return Ok(found);
    }
    match ingest_in_tx(&mut tx, org, &msg, &mut HashSet::new()).await? {
        Some(done) => {
            tx.commit().await.db()?;
            Ok(done)
        }
        None => {
            // A concurrent ingest of the same wamid committed first: undo everything
            // this call touched and answer with the stored message.
            tx.rollback().await.db()?;
            let mut tx = scope::begin(pool, Scope::Org(org)).await?;
            existing(&mut tx, org, msg.account_id, &msg.wamid)
                .await?
                .ok_or_else(vanished)
        }
    }
}
