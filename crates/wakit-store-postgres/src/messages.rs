//! `MessageStore`: inbound ingest, outgoing enqueue, and delegation to the
//! conversation/status modules.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use wakit_core::{
    AccountId, ConversationId, CustomerRef, MessageId, MessageStatus, OrgId, Sender, StatusHistory,
};
use wakit_store::{
    Conversation, ConversationRead, ConversationSummary, DispatchStart, Enqueued, Event,
    IdempotentSend, InboundMessage, Ingested, JobArgs, MessageCursor, MessagePage, MessageRecord,
    MessageStore, NewOutgoing, SendMessage, StatusOutcome, StatusUpdate, StoreResult,
};

use crate::PgStore;
use crate::accounts::ensure_account;
use crate::contacts::{Touch, upsert_address};
use crate::conversations::{self, append_event, find_or_create};
use crate::error::DbResultExt;
use crate::identities::resolve_keys;
use crate::rows::micros;
use crate::scope::Scope;
use crate::{idempotency, ingest_batch, jobs, status, status_batch};

impl PgStore {
    async fn enqueue(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued> {
        let now = micros(Utc::now());
        let ts = msg.scheduled_at.unwrap_or(now);
        let mut tx = self.tenant(org).await?;
        ensure_account(&mut tx, org, msg.account_id).await?;
        let to = Sender::from(msg.to.clone());
        let key = resolve_keys(&mut tx, &[(org, &to)])
            .await?
            .pop()
            .unwrap_or_else(|| msg.to.key());
        upsert_address(&mut tx, org, &key, &to, Touch::Outgoing).await?;
        let (conversation, conv_created) =
            find_or_create(&mut tx, org, msg.account_id, &key).await?;
        let id = MessageId::new();
        let history = StatusHistory::starting(MessageStatus::Pending, now);
        sqlx::query(
            "INSERT INTO messages (id, organization_id, conversation_id, account_id, contact_address, \
               direction, content, status, status_history, agent_id, \"timestamp\") \
             VALUES ($1, $2, $3, $4, $5, 'outgoing', $6, 'pending', $7, $8, $9)",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(conversation.0)
        .bind(msg.account_id.0)
        .bind(&key)
        .bind(Json(&msg.content))
        .bind(Json(&history))
        .bind(msg.agent_id.map(|a| a.0))
        .bind(ts)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "UPDATE conversations SET \
               last_message_id = CASE WHEN last_message_at IS NULL OR $2 >= last_message_at \
                                      THEN $3 ELSE last_message_id END, \
               last_message_at = CASE WHEN last_message_at IS NULL OR $2 >= last_message_at \
                                      THEN $2 ELSE last_message_at END, \
               last_outgoing_at = GREATEST(last_outgoing_at, $2), \
               unread_count = 0, \
               updated_at = now() \
             WHERE id = $1",
        )
        .bind(conversation.0)
        .bind(ts)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?;
        let args = SendMessage {
            message_id: id,
            org_id: org,
        };
        let job = args.job(Some(org), ts, msg.priority.value());
        let job_id = jobs::insert_job(&mut tx, &job).await?;
        if let Some(idem) = &msg.idempotency {
            idempotency::record(&mut tx, org, idem, id, now).await?;
        }
        if conv_created {
            append_event(&mut tx, org, "conversations", "insert", conversation.0).await?;
        }
        append_event(&mut tx, org, "messages", "insert", id.0).await?;
        let message = conversations::load_message(&mut tx, org, id).await?;
        tx.commit().await.db()?;
        Ok(Enqueued { message, job_id })
    }
}

#[async_trait]
impl MessageStore for PgStore {
    async fn ingest_inbound_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>> {
        ingest_batch::ingest_batch(&self.pool, batch).await
    }

    async fn apply_status_batch(
        &self,
        batch: Vec<(OrgId, StatusUpdate)>,
    ) -> StoreResult<Vec<StatusOutcome>> {
        status_batch::apply_status_batch(&self.pool, batch).await
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
        idempotency::find(&self.pool, org, key, since).await
    }

    async fn mark_sent(
        &self,
        org: OrgId,
        id: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        status::mark_sent(&self.pool, org, id, wamid, at).await
    }

    async fn mark_failed(
        &self,
        org: OrgId,
        id: MessageId,
        error: Value,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome> {
        status::mark_failed(&self.pool, org, id, error, at).await
    }

    async fn begin_dispatch_many(
        &self,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>> {
        self.dispatch_begin_many(Scope::Internal, items, at).await
    }

    async fn end_dispatch(&self, org: OrgId, id: MessageId) -> StoreResult<()> {
        self.dispatch_end(org, id).await
    }

    async fn get_message(&self, org: OrgId, id: MessageId) -> StoreResult<MessageRecord> {
        let mut tx = self.tenant(org).await?;
        conversations::load_message(&mut tx, org, id).await
    }

    async fn list_conversations(
        &self,
        org: OrgId,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let mut tx = self.tenant(org).await?;
        conversations::list(&mut tx, org, account, limit).await
    }

    async fn find_conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
    ) -> StoreResult<Option<Conversation>> {
        let mut tx = self.tenant(org).await?;
        conversations::find(&mut tx, org, account, contact).await
    }

    async fn page_messages(
        &self,
        org: OrgId,
        conversation: ConversationId,
        limit: u32,
        older_than: Option<MessageCursor>,
    ) -> StoreResult<MessagePage> {
        let mut tx = self.tenant(org).await?;
        conversations::page(&mut tx, org, conversation, limit, older_than).await
    }

    async fn newest_incoming_at(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let mut tx = self.tenant(org).await?;
        conversations::newest_incoming_at(&mut tx, org, account, contact).await
    }

    async fn read_conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
        limit: u32,
    ) -> StoreResult<Option<ConversationRead>> {
        let mut tx = self.tenant(org).await?;
        conversations::read(&mut tx, org, account, contact, limit).await
    }

    async fn events_after(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        let mut tx = self.tenant(org).await?;
        conversations::events_after(&mut tx, org, after_seq, limit).await
    }

    async fn last_event_seq(&self, org: OrgId) -> StoreResult<i64> {
        let mut tx = self.tenant(org).await?;
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM events WHERE organization_id = $1")
            .bind(org.0)
            .fetch_one(&mut *tx)
            .await
            .db()
    }
}
