//! An outgoing message inserted through `/rest/v1/messages` is a send: the row goes
//! through the same checks, storage and dispatch as `POST /messages`
//! ([`crate::outgoing`]) — unlike the hosted product, whose direct inserts skip the
//! service-window check and fail later at Meta. A refusal answers 400 (`P0001`) with the
//! send path's sentence as `message`; the stored rows come back, as PostgREST would
//! return them, with `Prefer: return=representation`.
//!
//! A row names its recipient by `contact_address` (a phone or BSUID) or by
//! `conversation_id`, the number by `account_id`, `organization_address` (Meta's
//! phone-number id or the phone) or not at all when the org has one, and its `content`
//! in wakit's parts format (`{"type":"text","text":"Hola"}`, a template as
//! `{"type":"data","kind":"template","data":{...}}`, a document as a `file` part) or
//! as the hosted product documents it (`{"type":"text","text":{"body":"Hola"}}`,
//! `{"type":"data","kind":"template","template":{...}}`,
//! `{"type":"document","document":{"link":..}}`).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use uuid::Uuid;
use wakit_api::SendRequest;
use wakit_core::{MessageId, OrgId};
use wakit_rest::{Auth, ErrorCode, Method, OrgRole, RestError};
use wakit_store::Priority;

use super::row::{org_of, raise, rows, text, uuid};
use super::{answer, rest_error, run};
use crate::AppState;
use crate::error::ApiError;
use crate::outgoing::{Submit, submit};

/// Columns a caller may set; wakit sets every other one.
const WRITABLE: [&str; 8] = [
    "organization_id",
    "conversation_id",
    "account_id",
    "organization_address",
    "contact_address",
    "direction",
    "content",
    "service",
];

/// Sends each row of `body` (an object or an array of them) and answers as PostgREST
/// answers an insert.
pub(super) async fn insert(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Response {
    let authenticated = auth.is_authenticated();
    let rows = match rows(body, "messages", &WRITABLE) {
        Ok(rows) => rows,
        Err(e) => return rest_error(&e, authenticated),
    };
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        match send_row(state, auth, row).await {
            Ok(id) => ids.push(id),
            Err(Refused::Rest(e)) => return rest_error(&e, authenticated),
            Err(Refused::Api(e)) => return refused(e),
        }
    }
    let wants_rows = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("return=representation"));
    if !wants_rows {
        return StatusCode::CREATED.into_response();
    }
    read_back(state, auth, headers, query, &ids).await
}

enum Refused {
    Rest(RestError),
    Api(ApiError),
}

impl From<RestError> for Refused {
    fn from(e: RestError) -> Self {
        Refused::Rest(e)
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

/// The send path's verdict on one row, or its message id.
async fn send_row(
    state: &AppState,
    auth: &Auth,
    row: &Map<String, Value>,
) -> Result<MessageId, Refused> {
    let org = org_of(auth, row, "messages", OrgRole::Member)?;
    match text(row, "direction")? {
        None | Some("outgoing") => {}
        Some(other) => {
            return Err(raise(format!(
                "Only outgoing messages can be inserted (direction {other}); incoming ones come from WhatsApp"
            ))
            .into());
        }
    }
    if let Some(service) = text(row, "service")?
        && service != "whatsapp"
    {
        return Err(raise(format!("Unknown service {service}; wakit sends whatsapp")).into());
    }
    let (mut account_phone, mut contact) = (None, text(row, "contact_address")?.map(String::from));
    if let Some(id) = uuid(row, "conversation_id")? {
        let (account, address) = conversation(state, auth, org, id).await?;
        account_phone.get_or_insert(account);
        contact.get_or_insert(address);
    }
    if let Some(id) = uuid(row, "account_id")? {
        account_phone = Some(number_by(state, org, |a| a.id.0 == id, &id.to_string()).await?);
    } else if let Some(address) = text(row, "organization_address")? {
        let digits: String = address.chars().filter(char::is_ascii_digit).collect();
        let same = |a: &wakit_store::Account| {
            a.phone_number_id == address || (!digits.is_empty() && a.phone.digits() == digits)
        };
        account_phone = Some(number_by(state, org, same, address).await?);
    }
    let mut request = content(row.get("content"))?;
    request.contact_phone = Some(contact.ok_or_else(|| {
        raise("contact_address (or conversation_id) is required: whom to send to")
    })?);
    request.account_phone = account_phone;
    let send = Submit {
        request: &request,
        idempotency: None,
        agent_id: None,
        priority: Priority::Interactive,
    };
    Ok(submit(state, org, send).await?)
}

/// The number and recipient of a conversation the caller can read.
async fn conversation(
    state: &AppState,
    auth: &Auth,
    org: OrgId,
    id: Uuid,
) -> Result<(String, String), Refused> {
    let query = format!("select=account_id,contact_address&id=eq.{id}&organization_id=eq.{org}");
    let plan = wakit_rest::plan(Method::Get, "conversations", &query, &[], b"", auth)?;
    let outcome = run_read(state, &plan).await?;
    let found: Vec<Value> = serde_json::from_slice(&outcome).unwrap_or_default();
    let row = found
        .first()
        .ok_or_else(|| raise(format!("Conversation {id} not found")))?;
    let account: Option<Uuid> = row["account_id"].as_str().and_then(|a| a.parse().ok());
    let account = account.ok_or_else(|| raise(format!("Conversation {id} has no number")))?;
    let phone = number_by(state, org, |a| a.id.0 == account, &account.to_string()).await?;
    let address = row["contact_address"].as_str().unwrap_or_default();
    Ok((phone, address.to_string()))
}

/// Runs a read plan and returns its body.
async fn run_read(state: &AppState, plan: &wakit_rest::Plan) -> Result<Vec<u8>, Refused> {
    match run(state, plan).await {
        Ok(Ok(resp)) => Ok(resp.body.unwrap_or_default().into_bytes()),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(ApiError::from(e).into()),
    }
}

/// The phone of the org's number matching `wanted`.
async fn number_by(
    state: &AppState,
    org: OrgId,
    wanted: impl Fn(&wakit_store::Account) -> bool,
    named: &str,
) -> Result<String, Refused> {
    let view = state
        .api
        .cache
        .org(state, org)
        .await
        .map_err(ApiError::from)?;
    let account = view.accounts.iter().find(|a| wanted(a));
    match account {
        Some(a) => Ok(a.phone.digits().to_string()),
        None => Err(raise(format!("No number {named} in this organization")).into()),
    }
}

/// The send request a row's `content` describes (recipient and number left empty).
fn content(content: Option<&Value>) -> Result<SendRequest, RestError> {
    let c = content.ok_or_else(|| raise("content is required"))?;
    crate::outgoing::from_part(c).map_err(raise)
}

/// The stored rows, read as the caller would read them (`select`, `Accept`), with 201.
async fn read_back(
    state: &AppState,
    auth: &Auth,
    headers: &HeaderMap,
    query: &str,
    ids: &[MessageId],
) -> Response {
    let select = query
        .split('&')
        .find_map(|p| p.strip_prefix("select="))
        .unwrap_or("*");
    let ids: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    let query = format!("select={select}&id=in.({})", ids.join(","));
    let accept: Vec<(&str, &str)> = headers
        .get_all("accept")
        .iter()
        .filter_map(|v| Some(("accept", v.to_str().ok()?)))
        .collect();
    let plan = match wakit_rest::plan(Method::Get, "messages", &query, &accept, b"", auth) {
        Ok(plan) => plan,
        Err(e) => return rest_error(&e, true),
    };
    match run(state, &plan).await {
        Ok(Ok(mut resp)) => {
            resp.status = 201;
            answer(resp)
        }
        Ok(Err(e)) => rest_error(&e, true),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The send path refused: its sentence as PostgREST's `message` (`P0001`, or the
/// API's own answer when the database or a limit failed).
fn refused(e: ApiError) -> Response {
    if e.status().is_server_error() || e.status() == StatusCode::TOO_MANY_REQUESTS {
        return e.into_response();
    }
    let rest = RestError::new(ErrorCode::RaiseException, e.message()).details(e.code());
    rest_error(&rest, true)
}
