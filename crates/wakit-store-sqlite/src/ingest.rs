//! The writes of inbound ingest ([`IngestWriter`] for the shared plan): contacts,
//! conversations, and the message inserts, batched. The lookup and the batch's
//! transaction are in `ingest_batch.rs`.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use wakit_core::{
    AccountId, ConversationId, Direction, MessageId, MessageStatus, OrgId, Sender, StatusHistory,
};
use wakit_store::media::download_job;
use wakit_store::{
    AddressFields, InboundRow, IngestWriter, Ingested, NewJob, StoreResult, starts_turn,
};

use crate::error::DbResultExt;
use crate::messages::{INSERT_MESSAGE, NewRow, TOUCH_CONVERSATION, bind_row};
use crate::rows::{to_json, us};
use crate::shared::{create_contact, create_conversation, event_sql, refresh_contact};

/// An inbound message row ready to insert (with its conversation touch and event).
struct Insert {
    id: MessageId,
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
    /// The row the plan asks for.
    fn new(row: &InboundRow<'_>) -> StoreResult<Insert> {
        let msg = row.msg;
        Ok(Insert {
            id: row.id,
            org: row.org,
            conversation: row.conversation,
            account: msg.account_id,
            key: row.key.to_string(),
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
async fn insert_messages(
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
        q.execute(&mut *conn).await.db()?;
        rest = tail;
    }
    Ok(())
}

/// The plan's writes on the write transaction. Message inserts are buffered and go
/// out [`ROWS_PER_CALL`] to a call; any other write sends the buffered ones first, so
/// every write lands in message order (events included).
pub(crate) struct Writer<'c> {
    pub(crate) conn: &'c mut SqliteConnection,
    pub(crate) at: DateTime<Utc>,
    pending: Vec<Insert>,
    /// Download jobs of the batch's media messages, queued with them.
    jobs: Vec<NewJob>,
    /// The batch's new messages that may start an agent turn (org, id).
    turns: Vec<(OrgId, MessageId)>,
}

impl<'c> Writer<'c> {
    pub(crate) fn new(conn: &'c mut SqliteConnection, at: DateTime<Utc>) -> Writer<'c> {
        Writer {
            conn,
            at,
            pending: Vec::new(),
            jobs: Vec::new(),
            turns: Vec::new(),
        }
    }

    async fn flush(&mut self) -> StoreResult<()> {
        insert_messages(self.conn, &std::mem::take(&mut self.pending), self.at).await
    }
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
        _new: &AddressFields,
    ) -> StoreResult<()> {
        self.flush().await?;
        match old {
            Some(old) => refresh_contact(self.conn, org, key, sender, old, profile, self.at).await,
            None => create_contact(self.conn, org, key, sender, profile, self.at).await,
        }
        .map(|_| ())
    }

    async fn open_conversation(
        &mut self,
        org: OrgId,
        account: AccountId,
        key: &str,
    ) -> StoreResult<(ConversationId, bool)> {
        self.flush().await?;
        // Writes are serialized (BEGIN IMMEDIATE): none can have appeared since the lookup.
        let id = create_conversation(self.conn, org, account, key, self.at).await?;
        Ok((id, true))
    }

    async fn insert(&mut self, row: InboundRow<'_>) -> StoreResult<Option<Ingested>> {
        // The wamid was looked up with the batch and writes are serialized, so the insert
        // cannot collide; if it did, the unique index fails the whole transaction.
        self.pending.push(Insert::new(&row)?);
        self.jobs.extend(download_job(row.org, row.id, row.msg));
        if starts_turn(row.msg) {
            self.turns.push((row.org, row.id));
        }
        Ok(None)
    }

    async fn finish(&mut self) -> StoreResult<()> {
        self.flush().await?;
        for job in std::mem::take(&mut self.jobs) {
            crate::jobs::insert_job(self.conn, &job).await?;
        }
        crate::agents::queue_turns(self.conn, &std::mem::take(&mut self.turns), self.at).await
    }
}
