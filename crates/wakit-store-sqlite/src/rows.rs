//! Column encodings (times as unix microseconds, UUIDs as text, JSON as text) and
//! row → record mapping.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;
use wakit_core::{CustomerRef, MessageStatus, Phone, Role};
use wakit_store::{
    Account, AccountStatus, ApiKeyRecord, ContactRef, Event, Job, JobState, StoreResult,
};

use crate::error::{DbResultExt, corrupt};

/// Account columns, from `organizations_addresses`.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, organization_id, phone_number, verified_name, address, waba_id, status, created_at, extra";

/// API key columns.
pub(crate) const KEY_COLUMNS: &str =
    "id, organization_id, name, role, prefix, created_at, revoked_at";

/// Job columns.
pub(crate) const JOB_COLUMNS: &str = "id, organization_id, kind, payload, state, priority, attempts, \
     run_at, lease_until, lease_token, last_error";

/// Now, truncated to the microseconds the database keeps.
pub(crate) fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// A time as stored.
pub(crate) fn us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A stored time.
pub(crate) fn time(v: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt("timestamp out of range", v))
}

/// A JSON value as stored.
pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v)
        .map_err(|e| wakit_store::StoreError::other(format!("cannot encode JSON: {e}")))
}

/// Reads a column.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).db()
}

/// Reads a UUID column.
pub(crate) fn get_uuid(row: &SqliteRow, col: &str) -> StoreResult<Uuid> {
    let s: String = get(row, col)?;
    Uuid::parse_str(&s).map_err(|e| corrupt(col, e))
}

/// Reads a nullable UUID column.
pub(crate) fn get_opt_uuid(row: &SqliteRow, col: &str) -> StoreResult<Option<Uuid>> {
    let s: Option<String> = get(row, col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| corrupt(col, e)))
        .transpose()
}

/// Reads a time column.
pub(crate) fn get_time(row: &SqliteRow, col: &str) -> StoreResult<DateTime<Utc>> {
    time(get(row, col)?)
}

/// Reads a nullable time column.
pub(crate) fn get_opt_time(row: &SqliteRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let v: Option<i64> = get(row, col)?;
    v.map(time).transpose()
}

/// Reads a JSON column.
pub(crate) fn get_json<T: DeserializeOwned>(row: &SqliteRow, col: &str) -> StoreResult<T> {
    let s: String = get(row, col)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

/// Reads a nullable JSON column.
pub(crate) fn get_opt_json<T: DeserializeOwned>(
    row: &SqliteRow,
    col: &str,
) -> StoreResult<Option<T>> {
    let s: Option<String> = get(row, col)?;
    s.map(|s| serde_json::from_str(&s).map_err(|e| corrupt(col, e)))
        .transpose()
}

/// Reads a phone column.
pub(crate) fn get_phone(row: &SqliteRow, col: &str) -> StoreResult<Phone> {
    let s: String = get(row, col)?;
    Phone::parse(&s).map_err(|e| corrupt(col, e))
}

/// Reads a status word column.
pub(crate) fn get_status(row: &SqliteRow, col: &str) -> StoreResult<MessageStatus> {
    let s: String = get(row, col)?;
    s.parse().map_err(|e| corrupt(col, e))
}

/// An account selected with [`ACCOUNT_COLUMNS`].
pub(crate) fn account(row: &SqliteRow) -> StoreResult<Account> {
    let status: String = get(row, "status")?;
    Ok(Account {
        id: get_uuid(row, "id")?.into(),
        org_id: get_uuid(row, "organization_id")?.into(),
        phone: get_phone(row, "phone_number")?,
        name: get(row, "verified_name")?,
        phone_number_id: get(row, "address")?,
        waba_id: get(row, "waba_id")?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("account status", &status))?,
        created_at: get_time(row, "created_at")?,
        max_mps: None,
        health: Default::default(),
    }
    .with_extra(&get_json::<serde_json::Value>(row, "extra")?))
}

/// An API key selected with [`KEY_COLUMNS`].
pub(crate) fn api_key(row: &SqliteRow) -> StoreResult<ApiKeyRecord> {
    let role: String = get(row, "role")?;
    Ok(ApiKeyRecord {
        id: get_uuid(row, "id")?.into(),
        org_id: get_uuid(row, "organization_id")?.into(),
        name: get(row, "name")?,
        role: role.parse::<Role>().map_err(|e| corrupt("role", e))?,
        prefix: get(row, "prefix")?,
        created_at: get_time(row, "created_at")?,
        revoked_at: get_opt_time(row, "revoked_at")?,
    })
}

/// A job selected with [`JOB_COLUMNS`].
pub(crate) fn job(row: &SqliteRow) -> StoreResult<Job> {
    let state: String = get(row, "state")?;
    let attempts: i64 = get(row, "attempts")?;
    Ok(Job {
        id: get_uuid(row, "id")?.into(),
        org_id: get_opt_uuid(row, "organization_id")?.map(Into::into),
        kind: get(row, "kind")?,
        payload: get_json(row, "payload")?,
        state: JobState::parse(&state).ok_or_else(|| corrupt("job state", &state))?,
        priority: get(row, "priority")?,
        attempts: u32::try_from(attempts).map_err(|e| corrupt("attempts", e))?,
        run_at: get_time(row, "run_at")?,
        lease_until: get_opt_time(row, "lease_until")?,
        lease_token: get_opt_uuid(row, "lease_token")?,
        last_error: get(row, "last_error")?,
    })
}

/// An event row.
pub(crate) fn event(row: &SqliteRow) -> StoreResult<Event> {
    Ok(Event {
        seq: get(row, "seq")?,
        org_id: get_uuid(row, "organization_id")?.into(),
        entity: get(row, "entity")?,
        action: get(row, "action")?,
        row_id: get_uuid(row, "row_id")?,
        created_at: get_time(row, "created_at")?,
    })
}

/// A contact selected as `contact_id`, `display_name` (contact name else profile name),
/// `wa_id`, `user_id` and `username`.
pub(crate) fn contact_ref(row: &SqliteRow) -> StoreResult<ContactRef> {
    let wa_id: String = get(row, "wa_id")?;
    Ok(ContactRef {
        contact_id: get_opt_uuid(row, "contact_id")?.map(Into::into),
        name: get(row, "display_name")?,
        phone: CustomerRef::parse(&wa_id).map_err(|e| corrupt("wa_id", e))?,
        user_id: get(row, "user_id")?,
        username: get(row, "username")?,
    })
}
