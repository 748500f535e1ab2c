//! [`MessageStore`]: the trait impl, plus the two writes that create messages
//! (inbound ingest and outgoing enqueue). Status changes are in `status.rs`, reads in
//! `conversations.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use wakit_core::{
    AccountId, ConversationId, CustomerRef, Direction, JobId, MessageId, MessageStatus, OrgId,
    Sender, StatusHistory,
};
use wakit_store::{
    Conversation, ConversationSummary, DispatchStart, Enqueued, Event, IdempotentSend,
    InboundMessage, Ingested, MessageCursor, MessagePage, MessageRecord, MessageStore, NewOutgoing,
    SendMessage, StatusOutcome, StatusUpdate, StoreError, StoreResult,
};

use crate::SqliteStore;
use crate::error::{DbResultExt, corrupt};
use crate::identities::resolve_keys;
use crate::rows::{now, time, to_json, us};
use crate::shared::{create_contact, create_conversation, event_sql, find_contact};

#[async_trait]
impl MessageStore for SqliteStore {
    async fn ingest_inbound_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>> {
        self.ingest_batch(batch).await
    }

    async fn apply_status_batch(
        &self,
        batch: Vec<(OrgId, StatusUpdate)>,
    ) -> StoreResult<Vec<StatusOutcome>> {
        self.status_batch(batch).await
    }

    async fn enqueue_outgoing(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued> {
        self.enqueue(org, msg).await
    }

    async fn find_idempotent(
        &self,
        org: OrgId,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotentSend>> {
        self.idempotent(org, key, since).await
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

    async fn begin_dispatch_many(
        &self,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>> {
        self.dispatch_begin_many(items, at).await
    }

    async fn end_dispatch(&self, org: OrgId, id: MessageId) -> StoreResult<()> {
        self.dispatch_end(org, id).await
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
        contact: &CustomerRef,
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
        contact: &CustomerRef,
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

    async fn last_event_seq(&self, org: OrgId) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM events WHERE organization_id = ?1")
            .bind(org.to_string())
            .fetch_one(self.reads())
            .await
            .db()
    }
}

/// Inserts a message; its parameters are bound by [`bind_message`]. Writes that follow
/// it in the same SQL bind theirs after (plain `?` bind in order across statements).
pub(crate) const INSERT_MESSAGE: &str = "INSERT INTO messages (id, organization_id, conversation_id, \
     account_id, contact_address, direction, content, status, status_history, external_id, agent_id, \
     timestamp, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Moves the conversation's last message to the new one when it is at least as new.
/// Parameters: message time, message id, now, conversation id.
pub(crate) const TOUCH_CONVERSATION: &str = "UPDATE conversations SET \
     last_message_id = CASE WHEN last_message_at IS NULL OR p.ts >= last_message_at THEN p.mid ELSE last_message_id END, \
     last_message_at = CASE WHEN last_message_at IS NULL OR p.ts >= last_message_at THEN p.ts ELSE last_message_at END, \
     {more} updated_at = p.now \
     FROM (SELECT ? AS ts, ? AS mid, ? AS now) AS p WHERE conversations.id = ?";

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

/// `sql` (starting with [`INSERT_MESSAGE`]) with the message's parameters bound.
pub(crate) fn bind_message<'q>(
    sql: &'q str,
    m: NewRow<'q>,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    bind_row(sqlx::query(sql), m)
}

/// Binds the parameters of one [`INSERT_MESSAGE`] next in `q`.
pub(crate) fn bind_row<'q>(
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
    m: NewRow<'q>,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    q.bind(m.id.to_string())
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
        .bind(us(m.now))
}

impl SqliteStore {
    async fn enqueue(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued> {
        let at = now();
        // As stored (microseconds), so the returned record equals a later read.
        let timestamp = time(us(msg.scheduled_at.unwrap_or(at)))?;
        let mut tx = self.write_tx().await?;
        let to = Sender::from(msg.to.clone());
        let key = resolve_keys(&mut tx, &[(org, &to)], at)
            .await?
            .pop()
            .unwrap_or_else(|| msg.to.key());
        let found = find_contact(&mut tx, org, msg.account_id, &key).await?;
        if !found.account_in_org {
            return Err(StoreError::NotFound("account"));
        }
        let contact_phone = match &found.address {
            Some(a) => CustomerRef::parse(&a.wa_id).map_err(|e| corrupt("wa_id", e))?,
            None => {
                create_contact(&mut tx, org, &key, &to, None, at).await?;
                msg.to.clone()
            }
        };
        let conversation = match found.conversation {
            Some(c) => c,
            None => create_conversation(&mut tx, org, msg.account_id, &key, at).await?,
        };
        let id = MessageId::new();
        let job_id = JobId::new();
        let history = StatusHistory::starting(MessageStatus::Pending, at);
        let row = NewRow {
            id,
            org,
            conversation,
            account: msg.account_id,
            contact_key: &key,
            direction: Direction::Outgoing,
            content: to_json(&msg.content)?,
            status: MessageStatus::Pending,
            history: to_json(&history)?,
            external_id: None,
            agent_id: msg.agent_id.map(|a| a.to_string()),
            timestamp,
            now: at,
        };
        let payload = SendMessage {
            message_id: id,
            org_id: org,
        };
        let touch = TOUCH_CONVERSATION.replace(
            "{more}",
            "last_outgoing_at = CASE WHEN last_outgoing_at IS NULL OR p.ts > last_outgoing_at \
             THEN p.ts ELSE last_outgoing_at END, unread_count = 0,",
        );
        let sql = format!(
            "{INSERT_MESSAGE}; {touch}; \
             INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at, created_at, \
             updated_at) VALUES (?, ?, 'send_message', ?, 'queued', ?, 0, ?, ?, ?); {}",
            event_sql("messages", "insert")
        );
        bind_message(&sql, row)
            .bind(us(timestamp))
            .bind(id.to_string())
            .bind(us(at))
            .bind(conversation.to_string())
            .bind(job_id.to_string())
            .bind(org.to_string())
            .bind(to_json(&payload)?)
            .bind(msg.priority.value())
            .bind(us(timestamp))
            .bind(us(at))
            .bind(us(at))
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(us(at))
            .execute(&mut *tx)
            .await
            .db()?;
        if let Some(idem) = &msg.idempotency {
            crate::idempotency::record(&mut tx, org, idem, id, at).await?;
        }
        tx.commit().await.db()?;
        let message = MessageRecord {
            id,
            conversation_id: conversation,
            account_id: msg.account_id,
            contact_phone,
            direction: Direction::Outgoing,
            content: msg.content,
            status: MessageStatus::Pending,
            status_history: history,
            external_id: None,
            error: None,
            timestamp,
            created_at: at,
            agent_id: msg.agent_id,
        };
        Ok(Enqueued { message, job_id })
    }
}
