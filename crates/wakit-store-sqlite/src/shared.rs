//! Steps shared by several write transactions.

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqliteExecutor};
use wakit_core::text::fold;
use wakit_core::{AccountId, ContactId, ConversationId, OrgId, Phone};
use wakit_store::{StoreError, StoreResult};

use crate::error::db;
use crate::rows::{get, get_uuid, us};

/// `NotFound("organization")` unless the org exists.
pub(crate) async fn require_org(conn: impl SqliteExecutor<'_>, org: OrgId) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM organizations WHERE id = ?1")
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    found
        .map(|_| ())
        .ok_or(StoreError::NotFound("organization"))
}

/// `NotFound("account")` unless the number belongs to the org.
pub(crate) async fn require_account(
    conn: impl SqliteExecutor<'_>,
    org: OrgId,
    account: AccountId,
) -> StoreResult<()> {
    let found =
        sqlx::query("SELECT 1 FROM organizations_addresses WHERE id = ?1 AND organization_id = ?2")
            .bind(account.to_string())
            .bind(org.to_string())
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("account"))
}

/// Who a contact address is being upserted for.
pub(crate) enum Upsert<'a> {
    /// An inbound message: Meta's form of the number and maybe a profile name win.
    Inbound { profile_name: Option<&'a str> },
    /// An outgoing message: create if missing, never change an existing address.
    Outgoing,
}

/// Creates the org's contact address for `phone` (and a contact named after the profile)
/// or, for inbound messages, refreshes its `wa_id`, profile name and search name.
pub(crate) async fn upsert_contact_address(
    conn: &mut SqliteConnection,
    org: OrgId,
    phone: &Phone,
    how: Upsert<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let key = phone.key();
    let profile = match how {
        Upsert::Inbound { profile_name } => profile_name,
        Upsert::Outgoing => None,
    };
    let existing = sqlx::query(
        "SELECT ca.wa_id, ca.profile_name, ca.search_name, ct.name AS contact_name \
         FROM contacts_addresses ca LEFT JOIN contacts ct ON ct.id = ca.contact_id \
         WHERE ca.organization_id = ?1 AND ca.address = ?2",
    )
    .bind(org.to_string())
    .bind(&key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;

    let Some(row) = existing else {
        let contact = ContactId::new();
        sqlx::query(
            "INSERT INTO contacts (id, organization_id, name, name_folded, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .bind(contact.to_string())
        .bind(org.to_string())
        .bind(profile)
        .bind(profile.map(fold))
        .bind(us(now))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query(
            "INSERT INTO contacts_addresses (organization_id, address, wa_id, contact_id, profile_name, \
             search_name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .bind(org.to_string())
        .bind(&key)
        .bind(phone.digits())
        .bind(contact.to_string())
        .bind(profile)
        .bind(fold(profile.unwrap_or("")))
        .bind(us(now))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        return Ok(());
    };

    if let Upsert::Outgoing = how {
        return Ok(());
    }
    let old_wa_id: String = get(&row, "wa_id")?;
    let old_profile: Option<String> = get(&row, "profile_name")?;
    let old_search: String = get(&row, "search_name")?;
    let contact_name: Option<String> = get(&row, "contact_name")?;
    let new_profile = profile.map(str::to_string).or(old_profile.clone());
    let display = contact_name.or(new_profile.clone()).unwrap_or_default();
    let new_search = fold(&display);
    if old_wa_id == phone.digits() && old_profile == new_profile && old_search == new_search {
        return Ok(());
    }
    sqlx::query(
        "UPDATE contacts_addresses SET wa_id = ?1, profile_name = ?2, search_name = ?3, updated_at = ?4 \
         WHERE organization_id = ?5 AND address = ?6",
    )
    .bind(phone.digits())
    .bind(new_profile)
    .bind(new_search)
    .bind(us(now))
    .bind(org.to_string())
    .bind(&key)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The active conversation between the number and the contact key, created if missing.
/// Returns its id and whether it was created (and records the creation event).
pub(crate) async fn conversation_for(
    conn: &mut SqliteConnection,
    org: OrgId,
    account: AccountId,
    contact_key: &str,
    now: DateTime<Utc>,
) -> StoreResult<(ConversationId, bool)> {
    let find = "SELECT id FROM conversations \
                WHERE account_id = ?1 AND contact_address = ?2 AND status = 'active'";
    let found = sqlx::query(find)
        .bind(account.to_string())
        .bind(contact_key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if let Some(row) = found {
        return Ok((get_uuid(&row, "id")?.into(), false));
    }
    let id = ConversationId::new();
    let inserted = sqlx::query(
        "INSERT INTO conversations (id, organization_id, account_id, contact_address, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (account_id, contact_address) WHERE status = 'active' DO NOTHING",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .bind(account.to_string())
    .bind(contact_key)
    .bind(us(now))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if inserted.rows_affected() == 0 {
        let row = sqlx::query(find)
            .bind(account.to_string())
            .bind(contact_key)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
        return Ok((get_uuid(&row, "id")?.into(), false));
    }
    push_event(&mut *conn, org, "conversations", "insert", id.0, now).await?;
    Ok((id, true))
}

/// Appends an event.
pub(crate) async fn push_event(
    conn: &mut SqliteConnection,
    org: OrgId,
    entity: &str,
    action: &str,
    row_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO events (organization_id, entity, action, row_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(org.to_string())
    .bind(entity)
    .bind(action)
    .bind(row_id.to_string())
    .bind(us(now))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Number of rows a statement changed, for "did it apply" checks.
pub(crate) fn changed(r: &sqlx::sqlite::SqliteQueryResult) -> bool {
    r.rows_affected() > 0
}

/// Reads an integer `limit` argument as SQLite binds it.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}
