//! Phones and BSUIDs meeting (see `wakit_store::identity`): the keys of a batch's
//! senders, and merging a contact address into another key, inside the caller's write
//! transaction (writes are serialized, so no other writer sees a half-merged contact).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use wakit_core::{OrgId, Sender};
use wakit_store::{Merge, StoreResult, plan_keys};

use crate::error::DbResultExt;
use crate::rows::{get_uuid, to_json, us};
use crate::shared::event_sql;

/// The contact key of every sender, in order, after merging what the batch joins.
pub(crate) async fn resolve_keys(
    conn: &mut SqliteConnection,
    senders: &[(OrgId, &Sender)],
    at: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let wanted: Vec<_> = senders
        .iter()
        .filter_map(|(org, s)| {
            let u = s.user_id.as_ref()?;
            Some(json!({"o": org.to_string(), "u": u.as_str()}))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(senders.iter().map(|(_, s)| s.key()).collect());
    }
    let rows = sqlx::query(
        "SELECT ca.organization_id, ca.user_id, ca.address FROM json_each(?1) AS j \
         JOIN contacts_addresses ca \
           ON ca.organization_id = j.value ->> 'o' AND ca.user_id = j.value ->> 'u'",
    )
    .bind(to_json(&wanted)?)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut known = HashMap::new();
    for row in &rows {
        let org: OrgId = get_uuid(row, "organization_id")?.into();
        let user: String = row.try_get("user_id").db()?;
        known.insert((org, user), row.try_get("address").db()?);
    }
    let (keys, merges) = plan_keys(senders.iter().map(|(o, s)| (*o, *s)), &known);
    for m in &merges {
        merge(conn, m, at).await?;
    }
    Ok(keys)
}

/// Moves the contact address `m.from` (its row, conversations and messages) under
/// `m.to`. Where the number already has an active conversation with `m.to`, the other
/// conversation's messages join it and the emptied conversation is deleted.
async fn merge(conn: &mut SqliteConnection, m: &Merge, at: DateTime<Utc>) -> StoreResult<()> {
    let (org, now) = (m.org.to_string(), us(at));
    let target_exists =
        sqlx::query("SELECT 1 FROM contacts_addresses WHERE organization_id = ?1 AND address = ?2")
            .bind(&org)
            .bind(&m.to)
            .fetch_optional(&mut *conn)
            .await
            .db()?
            .is_some();
    let address_sql: &[&str] = if target_exists {
        &[
            "UPDATE contacts_addresses SET \
               contact_id = COALESCE(contact_id, (SELECT contact_id FROM contacts_addresses \
                 WHERE organization_id = ?1 AND address = ?2)), \
               profile_name = COALESCE(profile_name, (SELECT profile_name FROM contacts_addresses \
                 WHERE organization_id = ?1 AND address = ?2)), \
               updated_at = ?4 \
             WHERE organization_id = ?1 AND address = ?3",
            "DELETE FROM contacts_addresses WHERE organization_id = ?1 AND address = ?2 AND ?3 = ?3 AND ?4 = ?4",
        ]
    } else {
        &[
            "UPDATE contacts_addresses SET address = ?3, updated_at = ?4 \
           WHERE organization_id = ?1 AND address = ?2",
        ]
    };
    let moves = [
        "UPDATE conversations SET contact_address = ?3, updated_at = ?4 \
         WHERE organization_id = ?1 AND contact_address = ?2",
        "UPDATE messages SET contact_address = ?3 WHERE organization_id = ?1 AND contact_address = ?2 AND ?4 = ?4",
    ];
    // Conversations of `from` on numbers that already talk to `to`.
    let pairs = sqlx::query(
        "SELECT f.id AS from_id, t.id AS to_id FROM conversations f JOIN conversations t \
           ON t.account_id = f.account_id AND t.contact_address = ?3 AND t.status = 'active' \
         WHERE f.organization_id = ?1 AND f.contact_address = ?2 AND f.status = 'active'",
    )
    .bind(&org)
    .bind(&m.from)
    .bind(&m.to)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for pair in &pairs {
        let (from, to) = (get_uuid(pair, "from_id")?, get_uuid(pair, "to_id")?);
        for sql in [
            "UPDATE messages SET conversation_id = ?1 WHERE conversation_id = ?2 AND ?3 = ?3",
            "DELETE FROM conversations WHERE id = ?2 AND ?1 = ?1 AND ?3 = ?3",
            RECOUNT,
        ] {
            sqlx::query(sql)
                .bind(to.to_string())
                .bind(from.to_string())
                .bind(now)
                .execute(&mut *conn)
                .await
                .db()?;
        }
        sqlx::query(&event_sql("conversations", "update"))
            .bind(&org)
            .bind(to.to_string())
            .bind(now)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    for sql in address_sql.iter().chain(&moves) {
        sqlx::query(sql)
            .bind(&org)
            .bind(&m.from)
            .bind(&m.to)
            .bind(now)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    Ok(())
}

/// Recomputes a conversation's summary from its messages: `?1` the conversation, `?3`
/// the time (`?2` unused, as in the statements it runs with).
const RECOUNT: &str = "UPDATE conversations SET \
     last_message_id = (SELECT id FROM messages WHERE conversation_id = ?1 \
       AND direction <> 'internal' ORDER BY timestamp DESC, id DESC LIMIT 1), \
     last_message_at = (SELECT MAX(timestamp) FROM messages WHERE conversation_id = ?1 \
       AND direction <> 'internal'), \
     last_outgoing_at = (SELECT MAX(timestamp) FROM messages WHERE conversation_id = ?1 \
       AND direction = 'outgoing'), \
     unread_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = ?1 \
       AND direction = 'incoming' AND timestamp > COALESCE((SELECT MAX(timestamp) \
         FROM messages WHERE conversation_id = ?1 AND direction = 'outgoing'), -1)), \
     updated_at = ?3 WHERE id = ?1 AND ?2 = ?2";
