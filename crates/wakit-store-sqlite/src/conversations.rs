//! Message and conversation reads, all on the read pool.

use chrono::{DateTime, Utc};
use sqlx::Row;
use wakit_core::{AccountId, ConversationId, MessageId, OrgId, Phone};
use wakit_store::{
    Conversation, ConversationSummary, Event, MessageCursor, MessagePage, MessageRecord,
    StoreError, StoreResult,
};

use crate::SqliteStore;
use crate::error::db;
use crate::rows::{
    MESSAGE_COLUMNS, MESSAGE_FROM, contact_ref, event, get, get_opt_time, get_time, get_uuid,
    message, us,
};
use crate::shared::{limit, require_account};

/// The conversation list: walks conversations_list_idx (DESC puts NULL times last in
/// SQLite); each row adds primary-key lookups of its contact address, contact and last
/// message, so the cost does not grow with the number of messages.
pub(crate) fn list_sql() -> String {
    format!(
        "SELECT c.id AS c_id, c.unread_count, c.last_message_id, ca.contact_id, ca.wa_id, \
         COALESCE(ct.name, ca.profile_name) AS display_name, {MESSAGE_COLUMNS} \
         FROM conversations c \
         JOIN contacts_addresses ca ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         LEFT JOIN messages m ON m.id = c.last_message_id \
         WHERE c.account_id = ?1 AND c.status = 'active' AND c.organization_id = ?2 \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?3"
    )
}

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

impl SqliteStore {
    pub(crate) async fn message(&self, org: OrgId, id: MessageId) -> StoreResult<MessageRecord> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?1 AND m.organization_id = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(org.to_string())
            .fetch_optional(self.reads())
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("message"))?;
        message(&row)
    }

    pub(crate) async fn conversations(
        &self,
        org: OrgId,
        account: AccountId,
        n: u32,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let mut conn = self.reads().acquire().await.map_err(db)?;
        let sql = list_sql();
        let rows = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(org.to_string())
            .bind(limit(n))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            // Empty list, or a number of another org: only then is the check worth a query.
            require_account(&mut *conn, org, account).await?;
        }
        rows.iter()
            .map(|row| {
                let unread: i64 = get(row, "unread_count")?;
                let has_last = row
                    .try_get::<Option<String>, _>("m_id")
                    .map_err(db)?
                    .is_some();
                Ok(ConversationSummary {
                    id: get_uuid(row, "c_id")?.into(),
                    contact: contact_ref(row)?,
                    unread: u32::try_from(unread.max(0)).unwrap_or(u32::MAX),
                    last_message: if has_last { Some(message(row)?) } else { None },
                })
            })
            .collect()
    }

    pub(crate) async fn conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &Phone,
    ) -> StoreResult<Option<Conversation>> {
        let mut conn = self.reads().acquire().await.map_err(db)?;
        let row = sqlx::query(
            "SELECT c.id, c.account_id, c.status, c.created_at, ca.contact_id, ca.wa_id, \
             COALESCE(ct.name, ca.profile_name) AS display_name \
             FROM conversations c \
             JOIN contacts_addresses ca ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
             LEFT JOIN contacts ct ON ct.id = ca.contact_id \
             WHERE c.account_id = ?1 AND c.contact_address = ?2 AND c.status = 'active' AND c.organization_id = ?3",
        )
        .bind(account.to_string())
        .bind(contact.key())
        .bind(org.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            require_account(&mut *conn, org, account).await?;
            return Ok(None);
        };
        Ok(Some(Conversation {
            id: get_uuid(&row, "id")?.into(),
            account_id: get_uuid(&row, "account_id")?.into(),
            contact: contact_ref(&row)?,
            status: get(&row, "status")?,
            created_at: get_time(&row, "created_at")?,
        }))
    }

    pub(crate) async fn page(
        &self,
        org: OrgId,
        conversation: ConversationId,
        n: u32,
        older_than: Option<MessageCursor>,
    ) -> StoreResult<MessagePage> {
        let mut conn = self.reads().acquire().await.map_err(db)?;
        let sql = page_sql(older_than.is_some());
        let mut q = sqlx::query(&sql)
            .bind(conversation.to_string())
            .bind(org.to_string())
            .bind(limit(n) + 1);
        if let Some(c) = older_than {
            q = q.bind(us(c.timestamp)).bind(c.id.to_string());
        }
        let rows = q.fetch_all(&mut *conn).await.map_err(db)?;
        if rows.is_empty() {
            // An empty page, or a conversation of another org: only then is it checked.
            let found =
                sqlx::query("SELECT 1 FROM conversations WHERE id = ?1 AND organization_id = ?2")
                    .bind(conversation.to_string())
                    .bind(org.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db)?;
            if found.is_none() {
                return Err(StoreError::NotFound("conversation"));
            }
        }
        let more = rows.len() > n as usize;
        let mut messages = rows
            .iter()
            .take(n as usize)
            .map(message)
            .collect::<StoreResult<Vec<_>>>()?;
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
        contact: &Phone,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let mut conn = self.reads().acquire().await.map_err(db)?;
        let row = sqlx::query(
            "SELECT timestamp FROM messages \
             WHERE account_id = ?1 AND contact_address = ?2 AND direction = 'incoming' AND organization_id = ?3 \
             ORDER BY timestamp DESC LIMIT 1",
        )
        .bind(account.to_string())
        .bind(contact.key())
        .bind(org.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        match row {
            Some(r) => get_opt_time(&r, "timestamp"),
            None => require_account(&mut *conn, org, account)
                .await
                .map(|()| None),
        }
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
        .map_err(db)?;
        rows.iter().map(event).collect()
    }
}
