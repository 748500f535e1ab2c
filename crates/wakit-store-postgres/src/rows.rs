//! Row → record mapping. Anything that does not parse is `Corrupt`.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{
    AccountId, AgentId, ApiKeyId, ContactId, ConversationId, CustomerRef, Direction, JobId,
    MessageContent, MessageId, MessageStatus, OrgId, Phone, Role, StatusHistory,
};
use wakit_store::{
    Account, AccountStatus, ApiKeyRecord, ContactRef, Event, Job, JobState, MessageRecord, Org,
    StoreResult, TemplateRecord,
};

use crate::error::{DbResultExt, corrupt};

/// Times as the database keeps them (microseconds), so what we return equals what we read.
/// The rows of a batch lookup whose `$1`, `$2` are pairs of ids, as
/// `UNNEST($1::uuid[], $2::uuid[])` takes them.
pub(crate) async fn fetch_pairs(
    conn: &mut PgConnection,
    sql: &str,
    pairs: impl IntoIterator<Item = (Uuid, Uuid)>,
) -> StoreResult<Vec<PgRow>> {
    let (firsts, seconds): (Vec<Uuid>, Vec<Uuid>) = pairs.into_iter().unzip();
    sqlx::query(sql)
        .bind(&firsts)
        .bind(&seconds)
        .fetch_all(conn)
        .await
        .db()
}

/// The rows of a batch lookup whose `$1`, `$2`, `$3` are (org, number, text) keys, as
/// `UNNEST($1::uuid[], $2::uuid[], $3::text[])` takes them.
pub(crate) async fn fetch_keyed<'a>(
    conn: &mut PgConnection,
    sql: &str,
    keys: impl IntoIterator<Item = (OrgId, AccountId, &'a str)>,
) -> StoreResult<Vec<PgRow>> {
    let (mut orgs, mut accounts, mut texts) = (Vec::new(), Vec::new(), Vec::new());
    for (org, account, text) in keys {
        orgs.push(org.0);
        accounts.push(account.0);
        texts.push(text);
    }
    sqlx::query(sql)
        .bind(&orgs)
        .bind(&accounts)
        .bind(&texts)
        .fetch_all(conn)
        .await
        .db()
}

pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// A stored contact address form: phone digits, or a BSUID.
pub(crate) fn customer(s: &str) -> StoreResult<CustomerRef> {
    CustomerRef::parse(s).map_err(|e| corrupt(format!("stored contact: {e}")))
}

pub(crate) fn phone(s: &str) -> StoreResult<Phone> {
    Phone::parse(s).map_err(|e| corrupt(format!("stored phone: {e}")))
}

pub(crate) fn status(s: &str) -> StoreResult<MessageStatus> {
    s.parse()
        .map_err(|_| corrupt(format!("unknown message status {s:?}")))
}

/// A parked status in a row with columns `status`, `at`, `error`.
pub(crate) fn parked(row: &PgRow) -> StoreResult<wakit_store::ParkedStatus> {
    let word = status(&row.try_get::<String, _>("status").db()?)?;
    Ok((word, row.try_get("at").db()?, row.try_get("error").db()?))
}

pub(crate) fn org(row: &PgRow) -> StoreResult<Org> {
    Ok(Org {
        id: OrgId(row.try_get("id").db()?),
        name: row.try_get("name").db()?,
        timezone: row.try_get("timezone").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

/// Columns read by [`account`].
pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, organization_id, phone_number, verified_name, address, waba_id, status, created_at, extra";

pub(crate) fn account(row: &PgRow) -> StoreResult<Account> {
    let st: String = row.try_get("status").db()?;
    Ok(Account {
        id: AccountId(row.try_get("id").db()?),
        org_id: OrgId(row.try_get("organization_id").db()?),
        phone: phone(&row.try_get::<String, _>("phone_number").db()?)?,
        name: row.try_get("verified_name").db()?,
        phone_number_id: row.try_get("address").db()?,
        waba_id: row.try_get("waba_id").db()?,
        status: AccountStatus::parse(&st)
            .ok_or_else(|| corrupt(format!("account status {st:?}")))?,
        created_at: row.try_get("created_at").db()?,
        max_mps: None,
        health: Default::default(),
    }
    .with_extra(&row.try_get::<serde_json::Value, _>("extra").db()?))
}

/// Columns read by [`api_key`].
pub(crate) const API_KEY_COLUMNS: &str =
    "id, organization_id, name, role, prefix, created_at, revoked_at";

pub(crate) fn role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| corrupt(format!("unknown role {s:?}")))
}

pub(crate) fn api_key(row: &PgRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: ApiKeyId(row.try_get("id").db()?),
        org_id: OrgId(row.try_get("organization_id").db()?),
        name: row.try_get("name").db()?,
        role: role(&row.try_get::<String, _>("role").db()?)?,
        prefix: row.try_get("prefix").db()?,
        created_at: row.try_get("created_at").db()?,
        revoked_at: row.try_get("revoked_at").db()?,
    })
}

/// Message columns, aliased `m_*`, for a query that joins `messages m`.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id AS m_id, m.conversation_id AS m_conversation_id, \
     m.account_id AS m_account_id, m.direction AS m_direction, m.content AS m_content, \
     m.status AS m_status, m.status_history AS m_status_history, m.external_id AS m_external_id, \
     m.error AS m_error, m.\"timestamp\" AS m_timestamp, m.created_at AS m_created_at, \
     m.agent_id AS m_agent_id";

/// A message from [`MESSAGE_COLUMNS`]; `None` when `m_id` is NULL (an outer join missed).
pub(crate) fn message(
    row: &PgRow,
    contact_phone: &CustomerRef,
) -> StoreResult<Option<MessageRecord>> {
    let Some(id) = row.try_get::<Option<Uuid>, _>("m_id").db()? else {
        return Ok(None);
    };
    let direction: String = row.try_get("m_direction").db()?;
    let Json(content): Json<MessageContent> = row.try_get("m_content").db()?;
    let Json(history): Json<StatusHistory> = row.try_get("m_status_history").db()?;
    Ok(Some(MessageRecord {
        id: MessageId(id),
        conversation_id: ConversationId(row.try_get("m_conversation_id").db()?),
        account_id: AccountId(row.try_get("m_account_id").db()?),
        contact_phone: contact_phone.clone(),
        direction: direction
            .parse::<Direction>()
            .map_err(|_| corrupt(format!("direction {direction:?}")))?,
        content,
        status: status(&row.try_get::<String, _>("m_status").db()?)?,
        status_history: history,
        external_id: row.try_get("m_external_id").db()?,
        error: row.try_get::<Option<Value>, _>("m_error").db()?,
        timestamp: row.try_get("m_timestamp").db()?,
        created_at: row.try_get("m_created_at").db()?,
        agent_id: row
            .try_get::<Option<Uuid>, _>("m_agent_id")
            .db()?
            .map(AgentId),
    }))
}

/// A contact from columns `contact_id`, `contact_name`, `profile_name`, `wa_id`,
/// `user_id`, `username`.
pub(crate) fn contact_ref(row: &PgRow) -> StoreResult<ContactRef> {
    let name: Option<String> = row.try_get("contact_name").db()?;
    let profile: Option<String> = row.try_get("profile_name").db()?;
    Ok(ContactRef {
        contact_id: row
            .try_get::<Option<Uuid>, _>("contact_id")
            .db()?
            .map(ContactId),
        name: name.or(profile),
        phone: customer(&row.try_get::<String, _>("wa_id").db()?)?,
        user_id: row.try_get("user_id").db()?,
        username: row.try_get("username").db()?,
    })
}

pub(crate) fn event(row: &PgRow) -> StoreResult<Event> {
    Ok(Event {
        seq: row.try_get("seq").db()?,
        org_id: OrgId(row.try_get("organization_id").db()?),
        entity: row.try_get("entity").db()?,
        action: row.try_get("action").db()?,
        row_id: row.try_get("row_id").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

pub(crate) fn template(row: &PgRow) -> StoreResult<TemplateRecord> {
    Ok(TemplateRecord {
        id: row.try_get("id").db()?,
        name: row.try_get("name").db()?,
        language: row.try_get("language").db()?,
        status: row.try_get("status").db()?,
        category: row.try_get("category").db()?,
        components: row.try_get("components").db()?,
    })
}

/// Columns read by [`job`].
pub(crate) const JOB_COLUMNS: &str = "id, organization_id, kind, payload, state, priority, attempts, \
     run_at, lease_until, lease_token, last_error";

pub(crate) fn job(row: &PgRow) -> StoreResult<Job> {
    let state: String = row.try_get("state").db()?;
    let attempts: i32 = row.try_get("attempts").db()?;
    Ok(Job {
        id: JobId(row.try_get("id").db()?),
        org_id: row
            .try_get::<Option<Uuid>, _>("organization_id")
            .db()?
            .map(OrgId),
        kind: row.try_get("kind").db()?,
        payload: row.try_get("payload").db()?,
        state: JobState::parse(&state).ok_or_else(|| corrupt(format!("job state {state:?}")))?,
        priority: row.try_get("priority").db()?,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt(format!("job attempts {attempts}")))?,
        run_at: row.try_get("run_at").db()?,
        lease_until: row.try_get("lease_until").db()?,
        lease_token: row.try_get("lease_token").db()?,
        last_error: row.try_get("last_error").db()?,
    })
}
