//! Message and conversation reads. The hot ones run on the [`crate::readers`]
//! connections, on the calling thread; the event feed on the sqlx read pool.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use wakit_core::{AccountId, ConversationId, CustomerRef, MessageId, OrgId};
use wakit_store::{
    Conversation, ConversationSummary, Event, MessageCursor, MessagePage, MessageRecord,
    StoreError, StoreResult,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::read_rows::{
    CONTACT_COLUMNS, MESSAGE_COLUMNS, MESSAGE_FROM, at, contact, int, is_null, message, uuid,
};
use crate::rows::{event, us};
use crate::shared::limit;

/// The conversation list: walks conversations_list_idx (DESC puts NULL times last in
/// SQLite); each row adds primary-key lookups of its contact address, contact and last
/// message, so the cost does not grow with the number of messages. Columns: the
/// conversation id, unread count, then [`CONTACT_COLUMNS`] (from 2), then
/// [`MESSAGE_COLUMNS`] (from [`LIST_MESSAGE`]).
pub(crate) fn list_sql() -> String {
    format!(
        "SELECT c.id AS c_id, c.unread_count, {CONTACT_COLUMNS}, {MESSAGE_COLUMNS} \
         FROM conversations c \
         JOIN contacts_addresses ca ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         LEFT JOIN messages m ON m.id = c.last_message_id \
         WHERE c.account_id = ?1 AND c.status = 'active' AND c.organization_id = ?2 \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?3"
    )
}

/// The statements, formatted once (prepared statements are cached by their text).
static LIST: LazyLock<String> = LazyLock::new(list_sql);
static PAGE: LazyLock<[String; 2]> = LazyLock::new(|| [page_sql(false), page_sql(true)]);
static MESSAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?1 AND m.organization_id = ?2"
    )
});
static CONVERSATION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.id, c.account_id, c.status, c.created_at, {CONTACT_COLUMNS} \
         FROM conversations c \
         JOIN contacts_addresses ca ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         WHERE c.account_id = ?1 AND c.contact_address = ?2 AND c.status = 'active' AND c.organization_id = ?3"
    )
});

/// Where [`list_sql`]'s message columns start.
const LIST_MESSAGE: usize = 7;

/// A page of messages: messages_conversation_time_idx gives the order, and the cursor is a
/// row-value range on it.
pub(crate) fn page_sql(with_cursor: bool) -> String {
    let bound = if with_cursor {
        "AND (m.timestamp, m.id) < (?4, ?5)"
    } else {
        ""
    };
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.conversation_id = ?1 AND m.organization_id = ?2 AND m.direction <> 'internal' {bound} \
         ORDER BY m.timestamp DESC, m.id DESC LIMIT ?3"
    )
}

/// `NotFound("account")` unless the number belongs to the org.
fn require_account(conn: &Connection, org: OrgId, account: AccountId) -> StoreResult<()> {
    exists(
        conn,
        "SELECT 1 FROM organizations_addresses WHERE id = ?1 AND organization_id = ?2",
        &account.to_string(),
        &org.to_string(),
    )?
    .then_some(())
    .ok_or(StoreError::NotFound("account"))
}

/// The key of the org's contact `who` names: a phone's canonical key, or the address a
/// BSUID is stored under (itself when the store does not know it).
fn key_of(conn: &Connection, org: OrgId, who: &CustomerRef) -> StoreResult<String> {
    let CustomerRef::UserId(user) = who else {
        return Ok(who.key());
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT address FROM contacts_addresses WHERE organization_id = ?1 AND user_id = ?2",
        )
        .db()?;
    let found: Option<String> = stmt
        .query_row(params![org.to_string(), user.as_str()], |row| row.get(0))
        .optional()
        .db()?;
    Ok(found.unwrap_or_else(|| who.key()))
}

/// Whether `sql` (with parameters `a`, `b`) returns a row.
fn exists(conn: &Connection, sql: &str, a: &str, b: &str) -> StoreResult<bool> {
    let mut stmt = conn.prepare_cached(sql).db()?;
    stmt.exists(params![a, b]).db()
}

impl SqliteStore {
    pub(crate) async fn message(&self, org: OrgId, id: MessageId) -> StoreResult<MessageRecord> {
        self.readers().with(|conn| {
            let mut stmt = conn.prepare_cached(&MESSAGE).db()?;
            let mut rows = stmt.query(params![id.to_string(), org.to_string()]).db()?;
            match rows.next().db()? {
                Some(row) => message(row, 0),
                None => Err(StoreError::NotFound("message")),
            }
        })
    }

    pub(crate) async fn conversations(
        &self,
        org: OrgId,
        account: AccountId,
        n: u32,
    ) -> StoreResult<Vec<ConversationSummary>> {
        self.readers().with(|conn| {
            let mut stmt = conn.prepare_cached(&LIST).db()?;
            let mut rows = stmt
                .query(params![account.to_string(), org.to_string(), limit(n)])
                .db()?;
            let mut list = Vec::new();
            while let Some(row) = rows.next().db()? {
                let unread = int(row, 1)?;
                list.push(ConversationSummary {
                    id: uuid(row, 0)?.into(),
                    contact: contact(row, 2)?,
                    unread: u32::try_from(unread.max(0)).unwrap_or(u32::MAX),
                    last_message: if is_null(row, LIST_MESSAGE)? {
                        None
                    } else {
                        Some(message(row, LIST_MESSAGE)?)
                    },
                });
            }
            if list.is_empty() {
                // Empty list, or a number of another org: only then is the check worth a query.
                require_account(conn, org, account)?;
            }
            Ok(list)
        })
    }

    pub(crate) async fn conversation(
        &self,
        org: OrgId,
        account: AccountId,
        who: &CustomerRef,
    ) -> StoreResult<Option<Conversation>> {
        self.readers().with(|conn| {
            let key = key_of(conn, org, who)?;
            let mut stmt = conn.prepare_cached(&CONVERSATION).db()?;
            let mut rows = stmt
                .query(params![account.to_string(), key, org.to_string()])
                .db()?;
            let Some(row) = rows.next().db()? else {
                return require_account(conn, org, account).map(|()| None);
            };
            Ok(Some(Conversation {
                id: uuid(row, 0)?.into(),
                account_id: uuid(row, 1)?.into(),
                status: row.get(2).db()?,
                created_at: at(row, 3)?,
                contact: contact(row, 4)?,
            }))
        })
    }

    pub(crate) async fn page(
        &self,
        org: OrgId,
        conversation: ConversationId,
        n: u32,
        older_than: Option<MessageCursor>,
    ) -> StoreResult<MessagePage> {
        let sql = &PAGE[usize::from(older_than.is_some())];
        let (conv, org_id) = (conversation.to_string(), org.to_string());
        let mut messages = self.readers().with(|conn| {
            let mut stmt = conn.prepare_cached(sql).db()?;
            let mut rows = match older_than {
                Some(c) => stmt.query(params![
                    conv,
                    org_id,
                    limit(n) + 1,
                    us(c.timestamp),
                    c.id.to_string()
                ]),
                None => stmt.query(params![conv, org_id, limit(n) + 1]),
            }
            .db()?;
            let mut messages = Vec::new();
            while let Some(row) = rows.next().db()? {
                messages.push(message(row, 0)?);
            }
            let found = !messages.is_empty()
                || exists(
                    conn,
                    "SELECT 1 FROM conversations WHERE id = ?1 AND organization_id = ?2",
                    &conv,
                    &org_id,
                )?;
            // An empty page, or a conversation of another org: only then is it checked.
            found
                .then_some(messages)
                .ok_or(StoreError::NotFound("conversation"))
        })?;
        let more = messages.len() > n as usize;
        messages.truncate(n as usize);
        messages.reverse();
        let older = match messages.first() {
            Some(oldest) if more => Some(MessageCursor {
                timestamp: oldest.timestamp,
                id: oldest.id,
            }),
            _ => None,
        };
        Ok(MessagePage { messages, older })
    }

    pub(crate) async fn newest_incoming(
        &self,
        org: OrgId,
        account: AccountId,
        who: &CustomerRef,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.readers().with(|conn| {
            let key = key_of(conn, org, who)?;
            let mut stmt = conn
                .prepare_cached(
                    "SELECT timestamp FROM messages \
                     WHERE account_id = ?1 AND contact_address = ?2 AND direction = 'incoming' AND organization_id = ?3 \
                     ORDER BY timestamp DESC LIMIT 1",
                )
                .db()?;
            let newest: Option<Option<i64>> = stmt
                .query_row(
                    params![account.to_string(), key, org.to_string()],
                    |row| row.get(0),
                )
                .optional()
                .db()?;
            match newest {
                Some(t) => t.map(crate::rows::time).transpose(),
                None => require_account(conn, org, account).map(|()| None),
            }
        })
    }

    pub(crate) async fn events(&self, org: OrgId, after: i64, n: u32) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT seq, organization_id, entity, action, row_id, created_at FROM events \
             WHERE organization_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .bind(org.to_string())
        .bind(after)
        .bind(limit(n))
        .fetch_all(self.reads())
        .await
        .db()?;
        rows.iter().map(event).collect()
    }
}
