//! Inbound ingest, one message or a batch in one transaction (group commit: one fsync
//! for the whole batch under `synchronous = FULL`).
//!
//! Every statement is a round trip to the writer connection's thread, so the steady
//! state (known contact, open conversation) is three: check the number and the wamid,
//! look up the contact address and conversation, then insert the message, update the
//! conversation and append the event in one multi-statement call.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use wakit_core::{Direction, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::messages::{INSERT_MESSAGE, NewRow, TOUCH_CONVERSATION, bind_message};
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

    let key = msg.from.key();
    let profile = msg.profile_name.as_deref();
    let found = find_contact(conn, org, msg.account_id, &key).await?;
    match &found.address {
        Some(old) => refresh_contact(conn, org, &msg.from, old, profile, at).await?,
        None => create_contact(conn, org, &msg.from, profile, at).await?,
    }
    let conversation = match found.conversation {
        Some(c) => c,
        None => create_conversation(conn, org, msg.account_id, &key, at).await?,
    };
    let id = MessageId::new();
    let row = NewRow {
        id,
        org,
        conversation,
        account: msg.account_id,
        contact_key: &key,
        direction: Direction::Incoming,
        content: to_json(&msg.content)?,
        status: MessageStatus::Delivered,
        history: to_json(&StatusHistory::starting(
            MessageStatus::Delivered,
            msg.timestamp,
        ))?,
        external_id: Some(&msg.wamid),
        agent_id: None,
        timestamp: msg.timestamp,
        now: at,
    };
    // The wamid was checked above and writes are serialized (BEGIN IMMEDIATE), so the
    // insert cannot collide; if it did, the unique index fails the whole transaction.
    let touch = TOUCH_CONVERSATION.replace(
        "{more}",
        "unread_count = unread_count + \
         CASE WHEN last_outgoing_at IS NULL OR p.ts > last_outgoing_at THEN 1 ELSE 0 END,",
    );
    let sql = format!(
        "{INSERT_MESSAGE}; {touch}; {}",
        event_sql("messages", "insert")
    );
    bind_message(&sql, row)
        .bind(us(msg.timestamp))
        .bind(id.to_string())
        .bind(us(at))
        .bind(conversation.to_string())
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(us(at))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(Ingested {
        message_id: id,
        conversation_id: conversation,
        created: true,
    })
}

impl SqliteStore {
    pub(crate) async fn ingest(&self, org: OrgId, msg: InboundMessage) -> StoreResult<Ingested> {
        let mut tx = self.write_tx().await?;
        let got = ingest_in(&mut tx, org, msg, now()).await?;
        // A duplicate wrote nothing; committing an empty transaction costs no fsync.
        tx.commit().await.map_err(db)?;
        Ok(got)
    }

    pub(crate) async fn ingest_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let at = now();
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(batch.len());
        for (org, msg) in batch {
            out.push(ingest_in(&mut tx, org, msg, at).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }
}
