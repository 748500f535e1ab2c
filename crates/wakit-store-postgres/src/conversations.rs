//! Conversations and reading messages back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{AccountId, ConversationId, CustomerRef, MessageId, OrgId};
use wakit_store::{
    Conversation, ConversationRead, ConversationSummary, Event, MessageCursor, MessagePage,
    MessageRecord, StoreError, StoreResult,
};

use crate::error::DbResultExt;
use crate::rows::{self, MESSAGE_COLUMNS, fetch_pairs};

/// The active conversation of (`account`, contact `key`), created if missing. Returns
/// whether it was created. Races resolve on the partial unique index
/// `conversations_active_key`: the losing insert does nothing and the winner's row is
/// read back.
pub(crate) async fn find_or_create(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    key: &str,
) -> StoreResult<(ConversationId, bool)> {
    for _ in 0..3 {
        let found = sqlx::query(
            "SELECT id FROM conversations \
             WHERE account_id = $1 AND contact_address = $2 AND status = 'active' AND organization_id = $3",
        )
        .bind(account.0)
        .bind(key)
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        if let Some(row) = found {
            return Ok((ConversationId(row.try_get("id").db()?), false));
        }
        let id = ConversationId::new();
        let inserted = sqlx::query(
            "INSERT INTO conversations (id, organization_id, account_id, contact_address) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, contact_address) WHERE status = 'active' DO NOTHING RETURNING id",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(account.0)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        if inserted.is_some() {
            return Ok((id, true));
        }
    }
    Err(StoreError::other(
        "active conversation kept changing under concurrent writes",
    ))
}

/// The key `contact` is stored under in `org`: a phone's key, or for a BSUID the address
/// it was joined to (a contact who wrote from their phone later), else the BSUID itself.
/// Looked up alone and bound as a plain value: inside a query (`= COALESCE((SELECT
/// ...), $2)`) the comparison is not a usable index condition under row-level
/// security, and PostgreSQL scanned every message of the number.
async fn stored_key(
    conn: &mut PgConnection,
    org: OrgId,
    contact: &CustomerRef,
) -> StoreResult<String> {
    let key = contact.key();
    if matches!(contact, CustomerRef::Phone(_)) {
        return Ok(key);
    }
    let joined: Option<String> = sqlx::query_scalar(
        "SELECT address FROM contacts_addresses WHERE organization_id = $1 AND user_id = $2",
    )
    .bind(org.0)
    .bind(&key)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    Ok(joined.unwrap_or(key))
}

/// One message of the org, with the contact's phone as stored.
pub(crate) async fn load_message(
    conn: &mut PgConnection,
    org: OrgId,
    id: MessageId,
) -> StoreResult<MessageRecord> {
    load_messages(conn, &[(org, id)])
        .await?
        .remove(&(org, id))
        .ok_or(StoreError::NotFound("message"))
}

/// Several messages, each of its org, in one query; those not found are left out.
pub(crate) async fn load_messages(
    conn: &mut PgConnection,
    items: &[(OrgId, MessageId)],
) -> StoreResult<HashMap<(OrgId, MessageId), MessageRecord>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, m.organization_id AS org_id, \
           COALESCE(ca.wa_id, m.contact_address) AS contact_phone \
         FROM (SELECT DISTINCT * FROM UNNEST($1::uuid[], $2::uuid[])) AS k(org, id) \
         JOIN messages m ON m.id = k.id AND m.organization_id = k.org \
         LEFT JOIN contacts_addresses ca \
           ON ca.organization_id = m.organization_id AND ca.address = m.contact_address"
    );
    let pairs = items.iter().map(|(org, id)| (org.0, id.0));
    let rows = fetch_pairs(conn, &sql, pairs).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in &rows {
        let phone = rows::customer(&row.try_get::<String, _>("contact_phone").db()?)?;
        if let Some(m) = rows::message(row, &phone)? {
            out.insert((OrgId(row.try_get("org_id").db()?), m.id), m);
        }
    }
    Ok(out)
}

/// Active conversations of a number, newest message first: an index range scan on
/// `conversations_list_idx` plus primary-key lookups, whatever the message count.
pub(crate) async fn list(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    limit: u32,
) -> StoreResult<Vec<ConversationSummary>> {
    crate::accounts::ensure_account(&mut *conn, org, account).await?;
    let rows = sqlx::query(&format!(
        "SELECT c.id AS conversation_id, c.unread_count, ca.contact_id, ct.name AS contact_name, \
                ca.profile_name, COALESCE(ca.wa_id, c.contact_address) AS wa_id, ca.user_id, \
                ca.username, {MESSAGE_COLUMNS} \
         FROM conversations c \
         LEFT JOIN contacts_addresses ca \
           ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         LEFT JOIN messages m ON m.id = c.last_message_id AND m.direction <> 'internal' \
         WHERE c.account_id = $1 AND c.status = 'active' AND c.organization_id = $2 \
         ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $3"
    ))
    .bind(account.0)
    .bind(org.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            let contact = rows::contact_ref(row)?;
            let unread: i32 = row.try_get("unread_count").db()?;
            Ok(ConversationSummary {
                id: ConversationId(row.try_get("conversation_id").db()?),
                last_message: rows::message(row, &contact.phone)?,
                unread: u32::try_from(unread).unwrap_or(0),
                contact,
            })
        })
        .collect()
}

/// The active conversation between a number and a contact.
pub(crate) async fn find(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    contact: &CustomerRef,
) -> StoreResult<Option<Conversation>> {
    crate::accounts::ensure_account(&mut *conn, org, account).await?;
    let key = stored_key(&mut *conn, org, contact).await?;
    let row = sqlx::query(
        "SELECT c.id, c.account_id, c.status, c.created_at, ca.contact_id, ct.name AS contact_name, \
                ca.profile_name, COALESCE(ca.wa_id, c.contact_address) AS wa_id, ca.user_id, ca.username \
         FROM conversations c \
         LEFT JOIN contacts_addresses ca \
           ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         WHERE c.account_id = $1 AND c.contact_address = $2 AND c.status = 'active' \
           AND c.organization_id = $3",
    )
    .bind(account.0)
    .bind(&key)
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    row.map(|row| {
        Ok(Conversation {
            id: ConversationId(row.try_get("id").db()?),
            account_id: AccountId(row.try_get("account_id").db()?),
            contact: rows::contact_ref(&row)?,
            status: row.try_get("status").db()?,
            created_at: row.try_get("created_at").db()?,
        })
    })
    .transpose()
}

/// A page of a conversation, oldest first, internal messages excluded.
pub(crate) async fn page(
    conn: &mut PgConnection,
    org: OrgId,
    conversation: ConversationId,
    limit: u32,
    older_than: Option<MessageCursor>,
) -> StoreResult<MessagePage> {
    let conv = sqlx::query(
        "SELECT COALESCE(ca.wa_id, c.contact_address) AS wa_id FROM conversations c \
         LEFT JOIN contacts_addresses ca \
           ON ca.organization_id = c.organization_id AND ca.address = c.contact_address \
         WHERE c.id = $1 AND c.organization_id = $2",
    )
    .bind(conversation.0)
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or(StoreError::NotFound("conversation"))?;
    let phone = rows::customer(&conv.try_get::<String, _>("wa_id").db()?)?;
    page_of(conn, org, conversation, &phone, limit, older_than).await
}

/// A page of a conversation whose contact's phone is known.
async fn page_of(
    conn: &mut PgConnection,
    org: OrgId,
    conversation: ConversationId,
    phone: &CustomerRef,
    limit: u32,
    older_than: Option<MessageCursor>,
) -> StoreResult<MessagePage> {
    let cursor = if older_than.is_some() {
        "AND (m.\"timestamp\", m.id) < ($4, $5)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m \
         WHERE m.conversation_id = $1 AND m.organization_id = $2 AND m.direction <> 'internal' {cursor} \
         ORDER BY m.\"timestamp\" DESC, m.id DESC LIMIT $3"
    );
    let mut q = sqlx::query(&sql)
        .bind(conversation.0)
        .bind(org.0)
        .bind(i64::from(limit) + 1);
    if let Some(c) = older_than {
        q = q.bind(c.timestamp).bind(c.id.0);
    }
    let rows = q.fetch_all(&mut *conn).await.db()?;
    let mut messages = Vec::with_capacity(rows.len());
    for row in &rows {
        messages.extend(rows::message(row, phone)?);
    }
    let more = messages.len() > limit as usize;
    messages.truncate(limit as usize);
    let older = match messages.last() {
        Some(m) if more => Some(MessageCursor {
            timestamp: m.timestamp,
            id: m.id,
        }),
        _ => None,
    };
    messages.reverse();
    Ok(MessagePage { messages, older })
}

/// Newest incoming message time of a contact on a number, across all its conversations
/// (served by the partial index `messages_incoming_idx`).
pub(crate) async fn newest_incoming_at(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    contact: &CustomerRef,
) -> StoreResult<Option<DateTime<Utc>>> {
    crate::accounts::ensure_account(&mut *conn, org, account).await?;
    newest_incoming_of(conn, org, account, contact).await
}

/// Newest incoming message time, the number already known to be the org's.
async fn newest_incoming_of(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    contact: &CustomerRef,
) -> StoreResult<Option<DateTime<Utc>>> {
    let key = stored_key(&mut *conn, org, contact).await?;
    let row = sqlx::query(
        "SELECT m.\"timestamp\" FROM messages m \
         WHERE m.account_id = $1 AND m.contact_address = $2 AND m.direction = 'incoming' \
           AND m.organization_id = $3 \
         ORDER BY m.\"timestamp\" DESC LIMIT 1",
    )
    .bind(account.0)
    .bind(&key)
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    row.map(|r| r.try_get("timestamp").db()).transpose()
}

/// What `GET /conversation` shows, in one transaction: the conversation, its newest
/// page and the contact's newest incoming time (`find` checks the number is the org's).
pub(crate) async fn read(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    contact: &CustomerRef,
    limit: u32,
) -> StoreResult<Option<ConversationRead>> {
    let Some(conversation) = find(&mut *conn, org, account, contact).await? else {
        return Ok(None);
    };
    let phone = conversation.contact.phone.clone();
    let page = page_of(&mut *conn, org, conversation.id, &phone, limit, None).await?;
    let newest_incoming = newest_incoming_of(conn, org, account, contact).await?;
    Ok(Some(ConversationRead {
        conversation,
        page,
        newest_incoming,
    }))
}

/// Appends one event to the change feed.
pub(crate) async fn append_event(
    conn: &mut PgConnection,
    org: OrgId,
    entity: &str,
    action: &str,
    row_id: Uuid,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (organization_id, entity, action, row_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(org.0)
    .bind(entity)
    .bind(action)
    .bind(row_id)
    .execute(conn)
    .await
    .db()
    .map(|_| ())
}

/// The org's events after `after_seq`, oldest first.
pub(crate) async fn events_after(
    conn: &mut PgConnection,
    org: OrgId,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<Event>> {
    sqlx::query(
        "SELECT seq, organization_id, entity, action, row_id, created_at FROM events \
         WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(org.0)
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .db()?
    .iter()
    .map(rows::event)
    .collect()
}
