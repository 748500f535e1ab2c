//! Phones and BSUIDs meeting (see `wakit_store::identity`): the keys of a batch's
//! senders, and merging a contact address into another key, inside the caller's
//! transaction. Every transaction that touches a BSUID first takes a transaction-scoped
//! advisory lock on it (in a fixed order), so two forms of one customer arriving at once
//! on two workers or replicas end in one contact instead of racing.

use std::collections::{BTreeSet, HashMap};

use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{OrgId, Sender};
use wakit_store::{Merge, StoreResult, plan_keys};

use crate::error::DbResultExt;

/// The contact key of every sender, in order, after merging what the batch joins.
pub(crate) async fn resolve_keys(
    conn: &mut PgConnection,
    senders: &[(OrgId, &Sender)],
) -> StoreResult<Vec<String>> {
    let ids: BTreeSet<(OrgId, &str)> = senders
        .iter()
        .filter_map(|(org, s)| Some((*org, s.user_id.as_ref()?.as_str())))
        .collect();
    if ids.is_empty() {
        return Ok(senders.iter().map(|(_, s)| s.key()).collect());
    }
    let names: Vec<String> = ids.iter().map(|(o, u)| format!("{o}:{u}")).collect();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(n, 0)) \
         FROM (SELECT unnest($1::text[]) AS n ORDER BY 1) AS s",
    )
    .bind(&names)
    .execute(&mut *conn)
    .await
    .db()?;
    let orgs: Vec<Uuid> = ids.iter().map(|(o, _)| o.0).collect();
    let users: Vec<&str> = ids.iter().map(|(_, u)| *u).collect();
    let rows = sqlx::query(
        "SELECT ca.organization_id, ca.user_id, ca.address FROM contacts_addresses ca \
         JOIN UNNEST($1::uuid[], $2::text[]) AS k(org, user_id) \
           ON ca.organization_id = k.org AND ca.user_id = k.user_id",
    )
    .bind(&orgs)
    .bind(&users)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut known = HashMap::new();
    for row in &rows {
        let org = OrgId(row.try_get("organization_id").db()?);
        known.insert(
            (org, row.try_get::<String, _>("user_id").db()?),
            row.try_get::<String, _>("address").db()?,
        );
    }
    let (keys, merges) = plan_keys(senders.iter().map(|(o, s)| (*o, *s)), &known);
    for m in &merges {
        merge(conn, m).await?;
    }
    Ok(keys)
}

/// Moves the contact address `m.from` (its row, conversations and messages) under
/// `m.to`. Where the number already has an active conversation with `m.to`, the other
/// conversation's messages join it and the emptied conversation is deleted.
async fn merge(conn: &mut PgConnection, m: &Merge) -> StoreResult<()> {
    let pairs = sqlx::query(
        "SELECT f.id AS from_id, t.id AS to_id FROM conversations f JOIN conversations t \
           ON t.account_id = f.account_id AND t.contact_address = $3 AND t.status = 'active' \
         WHERE f.organization_id = $1 AND f.contact_address = $2 AND f.status = 'active' \
         ORDER BY t.id FOR UPDATE",
    )
    .bind(m.org.0)
    .bind(&m.from)
    .bind(&m.to)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    for pair in &pairs {
        let from: Uuid = pair.try_get("from_id").db()?;
        let to: Uuid = pair.try_get("to_id").db()?;
        sqlx::query("UPDATE messages SET conversation_id = $1 WHERE conversation_id = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *conn)
            .await
            .db()?;
        sqlx::query("DELETE FROM conversations WHERE id = $1")
            .bind(from)
            .execute(&mut *conn)
            .await
            .db()?;
        sqlx::query(RECOUNT)
            .bind(to)
            .execute(&mut *conn)
            .await
            .db()?;
        crate::conversations::append_event(&mut *conn, m.org, "conversations", "update", to)
            .await?;
    }
    let target_exists = sqlx::query(
        "SELECT 1 FROM contacts_addresses WHERE organization_id = $1 AND address = $2 FOR UPDATE",
    )
    .bind(m.org.0)
    .bind(&m.to)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .is_some();
    let address_sql: &[&str] = if target_exists {
        &[
            "UPDATE contacts_addresses t SET \
               contact_id = COALESCE(t.contact_id, f.contact_id), \
               profile_name = COALESCE(t.profile_name, f.profile_name), updated_at = now() \
             FROM contacts_addresses f \
             WHERE t.organization_id = $1 AND t.address = $3 \
               AND f.organization_id = $1 AND f.address = $2",
            "DELETE FROM contacts_addresses WHERE organization_id = $1 AND address = $2 AND $3 = $3",
        ]
    } else {
        &[
            "UPDATE contacts_addresses SET address = $3, updated_at = now() \
           WHERE organization_id = $1 AND address = $2",
        ]
    };
    let moves = [
        "UPDATE conversations SET contact_address = $3, updated_at = now() \
         WHERE organization_id = $1 AND contact_address = $2",
        "UPDATE messages SET contact_address = $3 WHERE organization_id = $1 AND contact_address = $2",
    ];
    for sql in address_sql.iter().chain(&moves) {
        sqlx::query(sql)
            .bind(m.org.0)
            .bind(&m.from)
            .bind(&m.to)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    Ok(())
}

/// Recomputes conversation `$1`'s summary from its messages.
const RECOUNT: &str = "UPDATE conversations c SET \
     last_message_id = (SELECT id FROM messages WHERE conversation_id = $1 \
       AND direction <> 'internal' ORDER BY \"timestamp\" DESC, id DESC LIMIT 1), \
     last_message_at = (SELECT MAX(\"timestamp\") FROM messages WHERE conversation_id = $1 \
       AND direction <> 'internal'), \
     last_outgoing_at = (SELECT MAX(\"timestamp\") FROM messages WHERE conversation_id = $1 \
       AND direction = 'outgoing'), \
     unread_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = $1 \
       AND direction = 'incoming' AND \"timestamp\" > COALESCE((SELECT MAX(\"timestamp\") \
         FROM messages WHERE conversation_id = $1 AND direction = 'outgoing'), '-infinity')), \
     updated_at = now() WHERE c.id = $1";
