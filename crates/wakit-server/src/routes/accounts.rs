//! `GET /accounts`: the org's connected numbers.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{AccountRef, AccountsResponse};
use wakit_core::OrgId;
use wakit_store::AccountStatus;

use crate::AppState;
use crate::caller::OrgCaller;
use crate::error::ApiError;

/// The accounts route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The org's connected WhatsApp numbers.
#[utoipa::path(get, path = "/accounts", operation_id = "listAccounts", tag = "accounts", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam), responses(
        (status = 200, description = "Connected numbers", body = AccountsResponse),
        (status = 401, description = "Missing or invalid API key or access token", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
) -> Result<Json<AccountsResponse>, ApiError> {
    Ok(Json(connected(&state, auth.org_id).await?))
}

/// `GET /accounts`, shared with the MCP tools.
pub(crate) async fn connected(state: &AppState, org: OrgId) -> Result<AccountsResponse, ApiError> {
    let accounts = state
        .store
        .list_accounts(org)
        .await?
        .into_iter()
        .filter(|a| a.status == AccountStatus::Connected)
        .map(|a| AccountRef {
            phone: a.phone.digits().to_string(),
            name: a.name,
        })
        .collect();
    Ok(AccountsResponse { accounts })
}
