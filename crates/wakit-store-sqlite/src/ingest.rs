//! Inbound ingest of one message (batches are in `ingest_batch.rs`), and the message
//! inserts both share.
//!
//! Every statement is a round trip to the writer connection's thread, so the steady
//! state (known contact, open conversation) is three: check the number and the wamid,
//! look up the contact address and conversation, then insert the message, update the
//! conversation and append the event in one multi-statement call.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use wakit_core::{
    AccountId, ConversationId, Direction, MessageId, MessageStatus, OrgId, StatusHistory,
};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::identities::resolve_keys;
use crate::messages::{INSERT_MESSAGE, NewRow, TOUCH_CONVERSATION, bind_row};
use crate::rows::{get_opt_uuid, now, to_json, us};
use crate::shared::{
    create_contact, create_conversation, event_sql, find_contact, refresh_contact,
};

/// Ingests one message inside the caller's write transaction. A stored wamid returns
/// the existing ids before anything is written.
async fn ingest_in(
    conn: &mut SqliteConnection,
    org: OrgId,
    msg: InboundMessage,
    at: DateTime<Utc>,
) -> StoreResult<Ingested> {
    let seen = sqlx::query(
        "SELECT m.id AS message_id, m.conversation_id FROM organizations_addresses a \
         LEFT JOIN messages m ON m.account_id = a.id AND m.external_id = ?3 \
         WHERE a.id = ?1 AND a.organization_id = ?2",
    )
    .bind(msg.account_id.to_string())
    .bind(org.to_string())
    .bind(&msg.wamid)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound("account"))?;
    if let (Some(message_id), Some(conversation_id)) = (
        get_opt_uuid(&seen, "message_id")?,
        get_opt_uuid(&seen, "conversation_id")?,
    ) {
        return Ok(Ingested {
            message_id: message_id.into(),
            conversation_id: conversation_id.into(),
            created: false,
        });
    }

    let key = resolve_keys(conn, &[(org, &msg.from)], at)
        .await?
        .pop()
        .unwrap_or_else(|| msg.from.key());
    let profile = msg.profile_name.as_deref();
    let found = find_contact(conn, org, msg.account_id, &key).await?;
    match &found.address {
        Some(old) => {
            refresh_contact(conn, org, &key, &msg.from, old, profile, at).await?;
        }
        None => {
            create_contact(conn, org, &key, &msg.from, profile, at).await?;
        }
    }
    let conversation = match found.conversation {
        Some(c) => c,
        None => create_conversation(conn, org, msg.account_id, &key, at).await?,
    };
    let row = Insert::new(org, &msg, conversation, key)?;
    let got = Ingested {
        message_id: row.id,
        conversation_id: conversation,
        created: true,
    };
    // The wamid was checked above and writes are serialized (BEGIN IMMEDIATE), so the
    // insert cannot collide; if it did, the unique index fails the whole transaction.
    insert_messages(conn, &[row], at).await?;
    Ok(got)
}

/// An inbound message row ready to insert (with its conversation touch and event).
pub(crate) struct Insert {
    pub(crate) id: MessageId,
    org: OrgId,
    conversation: ConversationId,
    account: AccountId,
    key: String,
    wamid: String,
    content: String,
    history: String,
    timestamp: DateTime<Utc>,
}

impl Insert {
    /// The row for `msg` in `conversation` (the contact's key is `key`).
    pub(crate) fn new(
        org: OrgId,
        msg: &InboundMessage,
        conversation: ConversationId,
        key: String,
    ) -> StoreResult<Insert> {
        Ok(Insert {
            id: MessageId::new(),
            org,
            conversation,
            account: msg.account_id,
            key,
            wamid: msg.wamid.clone(),
            content: to_json(&msg.content)?,
            history: to_json(&StatusHistory::starting(
                MessageStatus::Delivered,
                msg.timestamp,
            ))?,
            timestamp: msg.timestamp,
        })
    }
}

/// Most rows one multi-statement call inserts (21 parameters each).
const ROWS_PER_CALL: usize = 32;

/// The SQL inserting `n` messages: for each, the insert, the conversation touch and the
/// event, with plain `?` parameters bound in order.
fn insert_sql(n: usize) -> String {
    let touch = TOUCH_CONVERSATION.replace(
        "{more}",
        "unread_count = unread_count + \
         CASE WHEN last_outgoing_at IS NULL OR p.ts > last_outgoing_at THEN 1 ELSE 0 END,",
    );
    let one = format!(
        "{INSERT_MESSAGE}; {touch}; {}",
        event_sql("messages", "insert")
    );
    vec![one; n].join("; ")
}

/// [`insert_sql`] for 1, 2, 4, … [`ROWS_PER_CALL`] rows: few enough shapes to stay
/// prepared in the connection's statement cache.
static INSERT_SQL: LazyLock<Vec<(usize, String)>> = LazyLock::new(|| {
    std::iter::successors(Some(ROWS_PER_CALL), |n| (*n > 1).then_some(n / 2))
        .map(|n| (n, insert_sql(n)))
        .collect()
});

/// Inserts the rows in order, as few calls as the cached shapes allow: every call is a
/// round trip to the connection's thread, which costs more than the rows themselves.
pub(crate) async fn insert_messages(
    conn: &mut SqliteConnection,
    rows: &[Insert],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        let Some((n, sql)) = INSERT_SQL.iter().find(|(n, _)| *n <= rest.len()) else {
            break;
        };
        let (call, tail) = rest.split_at(*n);
        let mut q = sqlx::query(sql);
        for r in call {
            let row = NewRow {
                id: r.id,
                org: r.org,
                conversation: r.conversation,
                account: r.account,
                contact_key: &r.key,
                direction: Direction::Incoming,
                content: r.content.clone(),
                status: MessageStatus::Delivered,
                history: r.history.clone(),
                external_id: Some(&r.wamid),
                agent_id: None,
                timestamp: r.timestamp,
                now: at,
            };
            q = bind_row(q, row)
                .bind(us(r.timestamp))
                .bind(r.id.to_string())
                .bind(us(at))
                .bind(r.conversation.to_string())
                .bind(r.org.to_string())
                .bind(r.id.to_string())
                .bind(us(at));
        }
        q.execute(&mut *conn).await.map_err(db)?;
        rest = tail;
    }
    Ok(())
}

impl SqliteStore {
    pub(crate) async fn ingest(&self, org: OrgId, msg: InboundMessage) -> StoreResult<Ingested> {
        let mut tx = self.write_tx().await?;
        let got = ingest_in(&mut tx, org, msg, now()).await?;
        // A duplicate wrote nothing; committing an empty transaction costs no fsync.
        tx.commit().await.map_err(db)?;
        Ok(got)
    }
}
