//! [`MessageStore`]: the trait impl, plus the two writes that create messages
//! (inbound ingest and outgoing enqueue). Status changes are in `status.rs`, reads in
//! `conversations.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::SqliteConnection;
use wakit_core::{
    AccountId, ConversationId, Direction, JobId, MessageId, MessageStatus, OrgId, Phone,
    StatusHistory,
};
use wakit_store::{
    Conversation, ConversationSummary, Enqueued, Event, InboundMessage, Ingested, MessageCursor,
    MessagePage, MessageRecord, MessageStore, NewOutgoing, StatusOutcome, StatusUpdate,
    StoreResult,
};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, message, now, to_json, us};
use crate::shared::{
    Upsert, conversation_for, push_event, require_account, upsert_contact_address,
};

#[async_trait]
impl MessageStore for SqliteStore {
    async fn ingest_inbound(&self, org: OrgId, msg: InboundMessage) -> StoreResult<Ingested> {
        self.ingest(org, msg).await
    }

    async fn ingest_inbound_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>> {
        self.ingest_batch(batch).await
    }

    async fn apply_status(&self, org: OrgId, update: StatusUpdate) -> StoreResult<StatusOutcome> {
        self.status_update(org, update).await
    }

    async fn enqueue_outgoing(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued> {
        self.enqueue(org, msg).await
    }

    async fn mark_sent(
        &self,
        org: OrgId,
        id: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        self.sent(org, id, wamid, at).await
    }

    async fn mark_failed(
        &self,
        org: OrgId,
        id: MessageId,
        error: Value,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        self.failed(org, id, error, at).await
    }

    async fn get_message(&self, org: OrgId, id: MessageId) -> StoreResult<MessageRecord> {
        self.message(org, id).await
    }

    async fn list_conversations(
        &self,
        org: OrgId,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<ConversationSummary>> {
        self.conversations(org, account, limit).await
    }

    async fn find_conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &Phone,
    ) -> StoreResult<Option<Conversation>> {
        self.conversation(org, account, contact).await
    }

    async fn page_messages(
        &self,
        org: OrgId,
        conversation: ConversationId,
        limit: u32,
        older_than: Option<MessageCursor>,
    ) -> StoreResult<MessagePage> {
        self.page(org, conversation, limit, older_than).await
    }

    async fn newest_incoming_at(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &Phone,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.newest_incoming(org, account, contact).await
    }

    async fn events_after(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        self.events(org, after_seq, limit).await
    }
}

/// A message row to insert.
pub(crate) struct NewRow<'a> {
    pub(crate) id: MessageId,
    pub(crate) org: OrgId,
    pub(crate) conversation: ConversationId,
    pub(crate) account: AccountId,
    pub(crate) contact_key: &'a str,
    pub(crate) direction: Direction,
    pub(crate) content: String,
    pub(crate) status: MessageStatus,
    pub(crate) history: String,
    pub(crate) external_id: Option<&'a str>,
    pub(crate) agent_id: Option<String>,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) now: DateTime<Utc>,
}

/// Inserts a message; false when (account, external id) already exists.
pub(crate) async fn insert_message(
    conn: &mut SqliteConnection,
    m: NewRow<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO messages (id, organization_id, conversation_id, account_id, contact_address, direction, \
         content, status, status_history, external_id, agent_id, timestamp, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13) \
         ON CONFLICT (account_id, external_id) DO NOTHING",
    )
    .bind(m.id.to_string())
    .bind(m.org.to_string())
    .bind(m.conversation.to_string())
    .bind(m.account.to_string())
    .bind(m.contact_key)
    .bind(m.direction.as_str())
    .bind(m.content)
    .bind(m.status.as_str())
    .bind(m.history)
    .bind(m.external_id)
    .bind(m.agent_id)
    .bind(us(m.timestamp))
    .bind(us(m.now))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

/// Reads a message inside a transaction.
pub(crate) async fn read_message(
    conn: &mut SqliteConnection,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_one(conn)
        .await
        .map_err(db)?;
    message(&row)
}

impl SqliteStore {
    async fn enqueue(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued> {
        let at = now();
        let timestamp = msg.scheduled_at.unwrap_or(at);
        let mut tx = self.write_tx().await?;
        require_account(&mut *tx, org, msg.account_id).await?;
        let key = msg.to.key();
        upsert_contact_address(&mut tx, org, &msg.to, Upsert::Outgoing, at).await?;
        let (conversation, _) = conversation_for(&mut tx, org, msg.account_id, &key, at).await?;
        let id = MessageId::new();
        let row = NewRow {
            id,
            org,
            conversation,
            account: msg.account_id,
            contact_key: &key,
            direction: Direction::Outgoing,
            content: to_json(&msg.content)?,
            status: MessageStatus::Pending,
            history: to_json(&StatusHistory::starting(MessageStatus::Pending, at))?,
            external_id: None,
            agent_id: msg.agent_id.map(|a| a.to_string()),
            timestamp,
            now: at,
        };
        insert_message(&mut tx, row).await?;
        sqlx::query(
            "UPDATE conversations SET \
             last_message_id = CASE WHEN last_message_at IS NULL OR ?1 >= last_message_at THEN ?2 ELSE last_message_id END, \
             last_message_at = CASE WHEN last_message_at IS NULL OR ?1 >= last_message_at THEN ?1 ELSE last_message_at END, \
             last_outgoing_at = CASE WHEN last_outgoing_at IS NULL OR ?1 > last_outgoing_at THEN ?1 ELSE last_outgoing_at END, \
             unread_count = 0, updated_at = ?3 WHERE id = ?4",
        )
        .bind(us(timestamp))
        .bind(id.to_string())
        .bind(us(at))
        .bind(conversation.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let job_id = JobId::new();
        let payload = json!({ "message_id": id.to_string(), "org_id": org.to_string() });
        sqlx::query(
            "INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at, created_at, updated_at) \
             VALUES (?1, ?2, 'send_message', ?3, 'queued', ?4, 0, ?5, ?6, ?6)",
        )
        .bind(job_id.to_string())
        .bind(org.to_string())
        .bind(to_json(&payload)?)
        .bind(msg.priority.value())
        .bind(us(timestamp))
        .bind(us(at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        push_event(&mut tx, org, "messages", "insert", id.0, at).await?;
        let message = read_message(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Enqueued { message, job_id })
    }
}
