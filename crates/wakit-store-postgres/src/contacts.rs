//! The address book: contact-address upserts (used by ingest and enqueue) and search.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::text::{escape_like, fold};
use wakit_core::{ContactId, OrgId, Sender};
use wakit_store::{AddressFields, ContactQuery, ContactRef, ContactStore, StoreResult};

use crate::PgStore;
use crate::conversations::append_event;
use crate::error::DbResultExt;
use crate::rows;

/// Why a contact address is being touched.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Touch<'a> {
    /// An inbound message: Meta's form of the number and the profile name win.
    Inbound {
        /// WhatsApp profile name, if Meta sent one.
        profile_name: Option<&'a str>,
    },
    /// An outgoing message: create if missing, otherwise leave as is.
    Outgoing,
}

/// Upserts `contacts_addresses` row `key` for `sender` in the caller's transaction. A
/// new address gets a new `contacts` row (named after the profile name for inbound,
/// unnamed for outgoing) and its `contacts.insert` event. Races resolve on the primary
/// key: `ON CONFLICT DO NOTHING` waits for a concurrent inserter, then the row is locked
/// and updated.
pub(crate) async fn upsert_address(
    conn: &mut PgConnection,
    org: OrgId,
    key: &str,
    sender: &Sender,
    touch: Touch<'_>,
) -> StoreResult<()> {
    let profile = match touch {
        Touch::Inbound { profile_name } => profile_name,
        Touch::Outgoing => None,
    };
    let new = AddressFields::created(sender, profile);
    let inserted = sqlx::query(
        "INSERT INTO contacts_addresses (organization_id, address, wa_id, profile_name, search_name, \
         user_id, parent_user_id, username) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (organization_id, address) DO NOTHING RETURNING 1",
    )
    .bind(org.0)
    .bind(key)
    .bind(&new.wa_id)
    .bind(&new.profile_name)
    .bind(&new.search_name)
    .bind(&new.user_id)
    .bind(&new.parent_user_id)
    .bind(&new.username)
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .is_some();

    if inserted {
        let contact = ContactId::new();
        sqlx::query(
            "INSERT INTO contacts (id, organization_id, name, name_folded) VALUES ($1, $2, $3, $4)",
        )
        .bind(contact.0)
        .bind(org.0)
        .bind(profile)
        .bind(profile.map(fold))
        .execute(&mut *conn)
        .await
        .db()?;
        sqlx::query("UPDATE contacts_addresses SET contact_id = $3 WHERE organization_id = $1 AND address = $2")
            .bind(org.0)
            .bind(key)
            .bind(contact.0)
            .execute(&mut *conn)
            .await
            .db()?;
        append_event(&mut *conn, org, "contacts", "insert", contact.0).await?;
        return Ok(());
    }
    let Touch::Inbound { profile_name } = touch else {
        return Ok(());
    };
    let old = lock_address(conn, org, key).await?;
    let new = old.after_inbound(sender, profile_name);
    if new != old {
        write_address(conn, org, key, &new).await?;
    }
    Ok(())
}

fn address_fields(row: &PgRow) -> StoreResult<AddressFields> {
    Ok(AddressFields {
        wa_id: row.try_get("wa_id").db()?,
        profile_name: row.try_get("profile_name").db()?,
        search_name: row.try_get("search_name").db()?,
        contact_name: row.try_get("contact_name").db()?,
        user_id: row.try_get("user_id").db()?,
        parent_user_id: row.try_get("parent_user_id").db()?,
        username: row.try_get("username").db()?,
    })
}

const ADDRESS_COLUMNS: &str = "ca.organization_id, ca.address, ca.wa_id, ca.profile_name, \
     ca.search_name, c.name AS contact_name, ca.user_id, ca.parent_user_id, ca.username";

/// Reads an address and locks its row until the transaction ends (against other
/// writers of its fields; inserts referencing it are not blocked).
pub(crate) async fn lock_address(
    conn: &mut PgConnection,
    org: OrgId,
    key: &str,
) -> StoreResult<AddressFields> {
    let row = sqlx::query(&format!(
        "SELECT {ADDRESS_COLUMNS} FROM contacts_addresses ca LEFT JOIN contacts c ON c.id = ca.contact_id \
         WHERE ca.organization_id = $1 AND ca.address = $2 FOR NO KEY UPDATE OF ca"
    ))
    .bind(org.0)
    .bind(key)
    .fetch_one(&mut *conn)
    .await
    .db()?;
    address_fields(&row)
}

/// Reads the existing addresses among `keys`, without locking them: a batch locks only
/// the rows it changes (`ingest_write.rs`).
pub(crate) async fn read_addresses(
    conn: &mut PgConnection,
    keys: &BTreeSet<(OrgId, String)>,
) -> StoreResult<HashMap<(OrgId, String), AddressFields>> {
    let orgs: Vec<Uuid> = keys.iter().map(|(org, _)| org.0).collect();
    let addresses: Vec<&str> = keys.iter().map(|(_, key)| key.as_str()).collect();
    let rows = sqlx::query(&format!(
        "SELECT {ADDRESS_COLUMNS} FROM contacts_addresses ca \
         JOIN UNNEST($1::uuid[], $2::text[]) AS k(org, address) \
           ON ca.organization_id = k.org AND ca.address = k.address \
         LEFT JOIN contacts c ON c.id = ca.contact_id"
    ))
    .bind(&orgs)
    .bind(&addresses)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| {
            let org = OrgId(row.try_get("organization_id").db()?);
            let key: String = row.try_get("address").db()?;
            Ok(((org, key), address_fields(row)?))
        })
        .collect()
}

/// Writes `new` over the address (the caller holds its row lock).
pub(crate) async fn write_address(
    conn: &mut PgConnection,
    org: OrgId,
    key: &str,
    new: &AddressFields,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE contacts_addresses SET wa_id = $3, profile_name = $4, search_name = $5, \
         user_id = $6, parent_user_id = $7, username = $8, \
         updated_at = now() WHERE organization_id = $1 AND address = $2",
    )
    .bind(org.0)
    .bind(key)
    .bind(&new.wa_id)
    .bind(&new.profile_name)
    .bind(&new.search_name)
    .bind(&new.user_id)
    .bind(&new.parent_user_id)
    .bind(&new.username)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

#[async_trait]
impl ContactStore for PgStore {
    /// One query; the planner picks between the trigram GIN indexes (rare terms) and the
    /// name-ordered btree (common terms, no filter) from table statistics. Both start
    /// with the organization (the GIN ones through btree_gin, migration 0018), so a
    /// search reads only its own organization's index entries.
    async fn search_contacts(
        &self,
        org: OrgId,
        query: ContactQuery,
    ) -> StoreResult<Vec<ContactRef>> {
        if let Some(problem) = query.problem() {
            return Err(wakit_store::StoreError::other(problem));
        }
        let name = query.name.as_deref().map(fold).filter(|n| !n.is_empty());
        let digits: Option<String> = query
            .number
            .as_deref()
            .and_then(wakit_core::text::number_pattern);
        let pattern = |s: &str| format!("%{}%", escape_like(s));
        // `wakit_search_contacts` (migration 0007) runs the search as the tables' owner
        // so that the pg_trgm GIN indexes serve `LIKE '%part%'` (a policy would forbid
        // that), restricted to the scope's organization. `address` is the canonical key;
        // `wakit_core::text::number_pattern` maps a whole number typed in another form
        // (52… vs 521…) onto it.
        let mut tx = self.tenant(org).await?;
        crate::scope::bounded(&mut tx).await?;
        sqlx::query(
            "SELECT contact_id, contact_name, profile_name, wa_id, user_id, username \
             FROM wakit_search_contacts($1, $2, $3)",
        )
        .bind(name.as_deref().map(pattern))
        .bind(digits.as_deref().map(pattern))
        .bind(i64::from(query.limit))
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(rows::contact_ref)
        .collect()
    }
}
