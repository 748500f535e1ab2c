//! `POST /conversation/read`: marks the contact's newest incoming message read — queues
//! the read receipt for Meta (the dispatcher sends it; the message then shows `read`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{ReadRequest, ReadResponse};
use wakit_core::{Direction, OrgId};
use wakit_store::{JobArgs, Priority, ReadReceipt};

use super::body::JsonBody;
use super::params::{customer, select_account};
use crate::AppState;
use crate::caller::OrgCaller;
use crate::error::ApiError;

/// Messages looked through for the newest incoming one.
const WINDOW: u32 = 50;

/// The read route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mark_read))
}

/// Marks the contact's newest incoming message read (blue ticks on the customer's phone).
#[utoipa::path(post, path = "/conversation/read", operation_id = "markRead", tag = "conversations", security(("api_key" = []), ("user_jwt" = [])),
    params(("organization_id" = Option<String>, Query, description = "With a person's access token (user_jwt): the organization to act in; required when they belong to several")),
    request_body = ReadRequest, responses(
        (status = 202, description = "The read receipt is queued for Meta", body = ReadResponse),
        super::openapi::ReadErrors))]
async fn mark_read(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<ReadResponse>), ApiError> {
    let request: ReadRequest = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::bad_request(format!("Invalid request: {e}")))?;
    let answer = queue_receipt(&state, auth.org_id, &request).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Queues the read receipt of the contact's newest incoming message; shared with the MCP
/// tools.
pub(crate) async fn queue_receipt(
    state: &AppState,
    org: OrgId,
    request: &ReadRequest,
) -> Result<ReadResponse, ApiError> {
    let contact = customer("contact_phone", &request.contact_phone)?;
    let account = select_account(state, org, request.account_phone.as_deref()).await?;
    let not_found = || {
        ApiError::not_found(format!(
            "No incoming message from {} to mark read",
            contact.as_str()
        ))
    };
    let read = state
        .store
        .read_conversation(org, account.id, &contact, WINDOW)
        .await?
        .ok_or_else(not_found)?;
    let wamid = read
        .page
        .messages
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::Incoming)
        .find_map(|m| m.external_id.clone())
        .ok_or_else(not_found)?;
    let receipt = ReadReceipt {
        account_id: account.id,
        wamid: wamid.clone(),
        typing: false,
    };
    let job = receipt.job(Some(org), Utc::now(), Priority::Interactive.value());
    state.store.enqueue_job(job).await?;
    Ok(ReadResponse {
        status: "queued".into(),
        wamid,
    })
}
