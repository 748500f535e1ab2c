//! Rows of the conversation reads ([`crate::readers`] connections) → records, read by
//! position and borrowed where they can be (no copy of a column before it is parsed).

use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use wakit_core::{CustomerRef, Direction};
use wakit_store::{ContactRef, MessageRecord, StoreResult};

use crate::error::{DbResultExt, corrupt};
use crate::rows::time;

/// Message columns, in the order [`message`] reads them; needs [`MESSAGE_FROM`] (or
/// the same `m`/`ca` aliases).
pub(crate) const MESSAGE_COLUMNS: &str = "m.id AS m_id, m.conversation_id AS m_conversation_id, \
     m.account_id AS m_account_id, ca.wa_id AS m_phone, m.direction AS m_direction, \
     m.content AS m_content, m.status AS m_status, m.status_history AS m_history, \
     m.external_id AS m_external_id, m.error AS m_error, m.timestamp AS m_timestamp, \
     m.created_at AS m_created_at, m.agent_id AS m_agent_id";

/// Messages joined to their contact address (for the phone).
pub(crate) const MESSAGE_FROM: &str = "messages m JOIN contacts_addresses ca \
     ON ca.organization_id = m.organization_id AND ca.address = m.contact_address";

/// Contact columns, in the order [`contact`] reads them; needs the `ca` (address) and
/// `ct` (contact, LEFT JOIN) aliases.
pub(crate) const CONTACT_COLUMNS: &str = "ca.contact_id, ca.wa_id, \
     COALESCE(ct.name, ca.profile_name) AS display_name, ca.user_id, ca.username";

/// A text column, borrowed (`None` for NULL).
fn text<'r>(row: &'r Row<'_>, i: usize) -> StoreResult<Option<&'r str>> {
    match row.get_ref(i).db()? {
        ValueRef::Null => Ok(None),
        v => v.as_str().map(Some).map_err(|e| corrupt(column(row, i), e)),
    }
}

/// A NOT NULL text column, borrowed.
fn required<'r>(row: &'r Row<'_>, i: usize) -> StoreResult<&'r str> {
    text(row, i)?.ok_or_else(|| corrupt(column(row, i), "NULL"))
}

fn column<'r>(row: &'r Row<'_>, i: usize) -> &'r str {
    row.as_ref().column_name(i).unwrap_or("column")
}

/// An integer column.
pub(crate) fn int(row: &Row<'_>, i: usize) -> StoreResult<i64> {
    row.get(i).db()
}

/// A UUID column.
pub(crate) fn uuid(row: &Row<'_>, i: usize) -> StoreResult<Uuid> {
    Uuid::parse_str(required(row, i)?).map_err(|e| corrupt(column(row, i), e))
}

/// A nullable UUID column.
fn opt_uuid(row: &Row<'_>, i: usize) -> StoreResult<Option<Uuid>> {
    text(row, i)?
        .map(|s| Uuid::parse_str(s).map_err(|e| corrupt(column(row, i), e)))
        .transpose()
}

/// A parsed text column (phone, status word, direction).
fn parsed<T: std::str::FromStr>(row: &Row<'_>, i: usize) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    required(row, i)?
        .parse()
        .map_err(|e| corrupt(column(row, i), e))
}

/// A JSON text column.
fn json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> StoreResult<T> {
    serde_json::from_str(required(row, i)?).map_err(|e| corrupt(column(row, i), e))
}

/// A nullable JSON text column.
fn opt_json<T: DeserializeOwned>(row: &Row<'_>, i: usize) -> StoreResult<Option<T>> {
    text(row, i)?
        .map(|s| serde_json::from_str(s).map_err(|e| corrupt(column(row, i), e)))
        .transpose()
}

/// A time column (unix microseconds).
pub(crate) fn at(row: &Row<'_>, i: usize) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    time(int(row, i)?)
}

/// Whether column `i` is NULL.
pub(crate) fn is_null(row: &Row<'_>, i: usize) -> StoreResult<bool> {
    Ok(matches!(row.get_ref(i).db()?, ValueRef::Null))
}

/// The message whose [`MESSAGE_COLUMNS`] start at column `first`.
pub(crate) fn message(row: &Row<'_>, first: usize) -> StoreResult<MessageRecord> {
    let c = |n: usize| first + n;
    Ok(MessageRecord {
        id: uuid(row, c(0))?.into(),
        conversation_id: uuid(row, c(1))?.into(),
        account_id: uuid(row, c(2))?.into(),
        contact_phone: phone(row, c(3))?,
        direction: parsed::<Direction>(row, c(4))?,
        content: json(row, c(5))?,
        status: parsed(row, c(6))?,
        status_history: json(row, c(7))?,
        external_id: text(row, c(8))?.map(str::to_owned),
        error: opt_json(row, c(9))?,
        timestamp: at(row, c(10))?,
        created_at: at(row, c(11))?,
        agent_id: opt_uuid(row, c(12))?.map(Into::into),
    })
}

/// The contact whose [`CONTACT_COLUMNS`] start at column `first`.
pub(crate) fn contact(row: &Row<'_>, first: usize) -> StoreResult<ContactRef> {
    Ok(ContactRef {
        contact_id: opt_uuid(row, first)?.map(Into::into),
        phone: phone(row, first + 1)?,
        name: text(row, first + 2)?.map(str::to_owned),
        user_id: text(row, first + 3)?.map(str::to_owned),
        username: text(row, first + 4)?.map(str::to_owned),
    })
}

fn phone(row: &Row<'_>, i: usize) -> StoreResult<CustomerRef> {
    CustomerRef::parse(required(row, i)?).map_err(|e| corrupt(column(row, i), e))
}
