//! `GET /accounts`: the org's connected numbers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use wakit_api::{AccountRef, AccountsResponse};
use wakit_store::AccountStatus;

use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;

/// The accounts route.
pub fn router() -> Router<AppState> {
    Router::new().route("/accounts", get(list))
}

async fn list(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
) -> Result<Json<AccountsResponse>, ApiError> {
    let accounts = state
        .store
        .list_accounts(auth.org_id)
        .await?
        .into_iter()
        .filter(|a| a.status == AccountStatus::Connected)
        .map(|a| AccountRef {
            phone: a.phone.digits().to_string(),
            name: a.name,
        })
        .collect();
    Ok(Json(AccountsResponse { accounts }))
}
