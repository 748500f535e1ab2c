//! Inbound ingest, one message or a batch in one transaction (group commit: one fsync
//! for the whole batch under `synchronous = FULL`).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use wakit_core::{AccountId, Direction, MessageId, MessageStatus, OrgId, StatusHistory};
use wakit_store::{InboundMessage, Ingested, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::db;
use crate::messages::{NewRow, insert_message};
use crate::rows::{get_uuid, now, to_json, us};
use crate::shared::{
    Upsert, conversation_for, push_event, require_account, upsert_contact_address,
};

/// The message stored for (account, wamid), if any, with its conversation.
async fn by_wamid(
    conn: &mut SqliteConnection,
    account: AccountId,
    wamid: &str,
) -> StoreResult<Option<Ingested>> {
    let row = sqlx::query(
        "SELECT id, conversation_id FROM messages WHERE account_id = ?1 AND external_id = ?2",
    )
    .bind(account.to_string())
    .bind(wamid)
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(Ingested {
            message_id: get_uuid(&r, "id")?.into(),
            conversation_id: get_uuid(&r, "conversation_id")?.into(),
            created: false,
        })
    })
    .transpose()
}

/// Ingests one message inside the caller's write transaction. A stored wamid returns
/// the existing ids before anything is written.
async fn ingest_in(
    conn: &mut SqliteConnection,
    org: OrgId,
    msg: InboundMessage,
    at: DateTime<Utc>,
) -> StoreResult<Ingested> {
    require_account(&mut *conn, org, msg.account_id).await?;
    if let Some(existing) = by_wamid(conn, msg.account_id, &msg.wamid).await? {
        return Ok(existing);
    }
    let key = msg.from.key();
    let profile = Upsert::Inbound {
        profile_name: msg.profile_name.as_deref(),
    };
    upsert_contact_address(conn, org, &msg.from, profile, at).await?;
    let (conversation, _) = conversation_for(conn, org, msg.account_id, &key, at).await?;
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
    if !insert_message(conn, row).await? {
        // Unreachable: writes are serialized and the wamid was checked above.
        return Err(StoreError::Other(format!(
            "wamid {} was stored concurrently",
            msg.wamid
        )));
    }
    sqlx::query(
        "UPDATE conversations SET \
         last_message_id = CASE WHEN last_message_at IS NULL OR ?1 >= last_message_at THEN ?2 ELSE last_message_id END, \
         last_message_at = CASE WHEN last_message_at IS NULL OR ?1 >= last_message_at THEN ?1 ELSE last_message_at END, \
         unread_count = unread_count + CASE WHEN last_outgoing_at IS NULL OR ?1 > last_outgoing_at THEN 1 ELSE 0 END, \
         updated_at = ?3 WHERE id = ?4",
    )
    .bind(us(msg.timestamp))
    .bind(id.to_string())
    .bind(us(at))
    .bind(conversation.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    push_event(conn, org, "messages", "insert", id.0, at).await?;
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
