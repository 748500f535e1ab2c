//! Steps shared by several write transactions.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqliteExecutor};
use wakit_core::text::fold;
use wakit_core::{AccountId, ContactId, ConversationId, OrgId, Sender};
use wakit_store::{AddressFields, StoreError, StoreResult};

use crate::error::DbResultExt;
use crate::rows::{get, get_opt_uuid, us};

/// `NotFound("organization")` unless the org exists.
pub(crate) async fn require_org(conn: impl SqliteExecutor<'_>, org: OrgId) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM organizations WHERE id = ?1")
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .db()?;
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
            .db()?;
    found.map(|_| ()).ok_or(StoreError::NotFound("account"))
}

/// The address fields of a row with columns `wa_id` (NULL = no address),
/// `profile_name`, `search_name`, `contact_name`, `user_id`, `parent_user_id` and
/// `username`.
pub(crate) fn address_from_row(row: &SqliteRow) -> StoreResult<Option<AddressFields>> {
    let Some(wa_id) = get::<Option<String>>(row, "wa_id")? else {
        return Ok(None);
    };
    Ok(Some(AddressFields {
        wa_id,
        profile_name: get(row, "profile_name")?,
        search_name: get(row, "search_name")?,
        contact_name: get(row, "contact_name")?,
        user_id: get(row, "user_id")?,
        parent_user_id: get(row, "parent_user_id")?,
        username: get(row, "username")?,
    }))
}

/// The address columns [`address_from_row`] reads, from `ca` (address) and `ct` (contact).
pub(crate) const ADDRESS_COLUMNS: &str = "ca.wa_id, ca.profile_name, ca.search_name, \
     ct.name AS contact_name, ca.user_id, ca.parent_user_id, ca.username";

/// What exists for (account, contact key): the org's contact address and the number's
/// active conversation with it.
pub(crate) struct Found {
    /// Whether the number belongs to the org.
    pub(crate) account_in_org: bool,
    /// The contact address, if any.
    pub(crate) address: Option<AddressFields>,
    /// The active conversation, if any.
    pub(crate) conversation: Option<ConversationId>,
}

/// Looks up the number, the contact address and the active conversation in one round trip.
pub(crate) async fn find_contact(
    conn: &mut SqliteConnection,
    org: OrgId,
    account: AccountId,
    key: &str,
) -> StoreResult<Found> {
    let row = sqlx::query(&format!(
        "SELECT {ADDRESS_COLUMNS}, \
         (SELECT c.id FROM conversations c \
          WHERE c.account_id = ?3 AND c.contact_address = ?2 AND c.status = 'active') AS conversation_id, \
         EXISTS (SELECT 1 FROM organizations_addresses a WHERE a.id = ?3 AND a.organization_id = ?1) AS account_in_org \
         FROM (SELECT 1) AS one \
         LEFT JOIN contacts_addresses ca ON ca.organization_id = ?1 AND ca.address = ?2 \
         LEFT JOIN contacts ct ON ct.id = ca.contact_id"
    ))
    .bind(org.to_string())
    .bind(key)
    .bind(account.to_string())
    .fetch_one(conn)
    .await
    .db()?;
    let address = address_from_row(&row)?;
    let conversation = get_opt_uuid(&row, "conversation_id")?.map(Into::into);
    Ok(Found {
        account_in_org: get(&row, "account_in_org")?,
        address,
        conversation,
    })
}

/// Creates the org's contact address `key` for `sender` and a contact named `profile`
/// (or unnamed), linked to it, with the contact's event. Returns the address as stored.
pub(crate) async fn create_contact(
    conn: &mut SqliteConnection,
    org: OrgId,
    key: &str,
    sender: &Sender,
    profile: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<AddressFields> {
    let new = AddressFields::created(sender, profile);
    let contact = ContactId::new().to_string();
    let sql = format!(
        "INSERT INTO contacts (id, organization_id, name, name_folded, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?); \
         INSERT INTO contacts_addresses (organization_id, address, wa_id, contact_id, profile_name, \
         search_name, user_id, parent_user_id, username, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?); {}",
        event_sql("contacts", "insert")
    );
    sqlx::query(&sql)
        .bind(&contact)
        .bind(org.to_string())
        .bind(profile)
        .bind(profile.map(fold))
        .bind(us(now))
        .bind(us(now))
        .bind(org.to_string())
        .bind(key)
        .bind(&new.wa_id)
        .bind(&contact)
        .bind(&new.profile_name)
        .bind(&new.search_name)
        .bind(&new.user_id)
        .bind(&new.parent_user_id)
        .bind(&new.username)
        .bind(us(now))
        .bind(us(now))
        .bind(org.to_string())
        .bind(&contact)
        .bind(us(now))
        .execute(conn)
        .await
        .db()?;
    Ok(new)
}

/// After an inbound message: see [`AddressFields::after_inbound`]. Writes only when
/// something changed. Returns the address as it now is.
pub(crate) async fn refresh_contact(
    conn: &mut SqliteConnection,
    org: OrgId,
    key: &str,
    sender: &Sender,
    old: &AddressFields,
    profile: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<AddressFields> {
    let new = old.after_inbound(sender, profile);
    if new == *old {
        return Ok(new);
    }
    sqlx::query(
        "UPDATE contacts_addresses SET wa_id = ?1, profile_name = ?2, search_name = ?3, updated_at = ?4, \
         user_id = ?7, parent_user_id = ?8, username = ?9 \
         WHERE organization_id = ?5 AND address = ?6",
    )
    .bind(&new.wa_id)
    .bind(&new.profile_name)
    .bind(&new.search_name)
    .bind(us(now))
    .bind(org.to_string())
    .bind(key)
    .bind(&new.user_id)
    .bind(&new.parent_user_id)
    .bind(&new.username)
    .execute(conn)
    .await
    .db()?;
    Ok(new)
}

/// Creates the active conversation between the number and the contact key, with its
/// event. The caller has seen there is none (writes are serialized, so none can appear).
pub(crate) async fn create_conversation(
    conn: &mut SqliteConnection,
    org: OrgId,
    account: AccountId,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<ConversationId> {
    let id = ConversationId::new();
    let sql = format!(
        "INSERT INTO conversations (id, organization_id, account_id, contact_address, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?); {}",
        event_sql("conversations", "insert")
    );
    sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(account.to_string())
        .bind(key)
        .bind(us(now))
        .bind(us(now))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(us(now))
        .execute(conn)
        .await
        .db()?;
    Ok(id)
}

/// The event insert, to append to a write's SQL. Its parameters, bound after the
/// preceding statement's: org, row id, time.
///
/// Multi-statement SQL binds plain `?` parameters in order across its statements (sqlx
/// does not support `?NNN` numbers shared between statements), so these writes use `?`.
pub(crate) fn event_sql(entity: &str, action: &str) -> String {
    format!(
        "INSERT INTO events (organization_id, entity, action, row_id, created_at) \
         VALUES (?, '{entity}', '{action}', ?, ?)"
    )
}

/// Number of rows a statement changed, for "did it apply" checks.
pub(crate) fn changed(r: &sqlx::sqlite::SqliteQueryResult) -> bool {
    r.rows_affected() > 0
}

/// Reads an integer `limit` argument as SQLite binds it.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}
