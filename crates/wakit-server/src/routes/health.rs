//! `GET /health`: every connected number checked against Meta at once, each with a
//! timeout; a token Meta refuses is reported with Meta's message, a timeout as a timeout.
//! Concurrent requests share one check per number (single-flight) and its result is
//! reused for [`CACHE_TTL`], so a burst of requests is one Meta call per number.

use axum::Json;
use axum::extract::State;
use futures::future::join_all;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{HealthItem, HealthResponse};
use wakit_store::Account;

use super::params::connected_accounts;
use crate::caller::OrgCaller;
use crate::error::ApiError;
use crate::{AppState, graph};

/// How long one number's check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(8);

/// How long a number's check is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(3);

/// The health route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

/// Every connected number checked against Meta (token, quality, messaging limit).
#[utoipa::path(get, path = "/health", operation_id = "checkHealth", tag = "accounts", security(("api_key" = []), ("user_jwt" = [])),
    params(super::openapi::OrgParam), responses(
        (status = 200, description = "One entry per number: active, or error with Meta's message", body = HealthResponse),
        (status = 401, description = "Missing or invalid API key or access token", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn health(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
) -> Result<Json<HealthResponse>, ApiError> {
    let accounts = connected_accounts(&state, auth.org_id).await?;
    let checks = accounts.iter().map(|a| {
        let work = || check(state.clone(), a.clone());
        state.api.probes.numbers.run(a.id, |_| CACHE_TTL, work)
    });
    Ok(Json(HealthResponse {
        accounts: join_all(checks).await,
    }))
}

async fn check(state: AppState, account: Account) -> HealthItem {
    let mut item = HealthItem {
        phone: account.phone.digits().to_string(),
        name: account.name.clone(),
        address: account.phone_number_id.clone(),
        status: "error".to_string(),
        quality: None,
        messaging_limit: None,
        error: None,
        error_code: None,
    };
    let Some(meta) = &state.meta else {
        item.error = Some("Meta is not configured on this server (WAKIT_GRAPH_URL)".into());
        return item;
    };
    let token = match graph::open_token(&*state.store, &meta.secrets, &account).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(number = %account.phone_number_id, error = %e, "health: cannot open token");
            item.error = Some("The number's access token cannot be read".into());
            return item;
        }
    };
    let call = meta.graph.phone_number(&account.phone_number_id, &token);
    match tokio::time::timeout(CHECK_TIMEOUT, call).await {
        Err(_) => {
            item.error = Some(format!(
                "timeout: Meta did not answer within {}s",
                CHECK_TIMEOUT.as_secs()
            ))
        }
        Ok(Err(e)) if e.http_status.is_none() => {
            // A transport failure: the detail (DNS, socket) is for the log only.
            tracing::warn!(number = %account.phone_number_id, error = %e, "health: Meta could not be reached");
            item.error = Some("Meta could not be reached".into());
        }
        Ok(Err(e)) => {
            item.error = Some(e.message.clone());
            item.error_code = e.code;
        }
        Ok(Ok(info)) => {
            item.status = "active".into();
            item.quality = info.quality_rating.clone();
            item.messaging_limit = info.messaging_limit.clone();
            let record = graph::number_health_record(&info);
            let recorded = state
                .store
                .record_account_health(account.org_id, account.id, "number", record)
                .await;
            if let Err(e) = recorded {
                tracing::warn!(error = %e, "health: could not record the number's health");
            }
        }
    }
    item
}
