//! `GET /templates` (the number's templates) and `GET /templates?template_id=` (one, with
//! its components). The list comes from a per-number cache of Meta's templates, fetched
//! on first use, refreshed when older than [`TEMPLATE_TTL_MINUTES`] and at once when a
//! template status webhook arrives.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{TemplateDetail, TemplateItem, TemplatesResponse};
use wakit_meta::MetaError;
use wakit_store::{Account, TemplateRecord};

use super::params::{Params, select_account};
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;
use crate::{AppState, graph};

/// Age after which the cache is refreshed from Meta on the next read.
pub const TEMPLATE_TTL_MINUTES: i64 = 15;

/// The template routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(templates))
}

/// The number's templates (cached from Meta), or one with its components.
#[utoipa::path(get, path = "/templates", tag = "templates", security(("api_key" = [])),
    params(wakit_api::TemplatesQuery), responses(
        (status = 200, description = "The list, or one template's details with `template_id`", body = wakit_api::TemplatesAnswer),
        (status = 400, description = "Invalid parameter, or account_required when the org has several numbers", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = wakit_api::ErrorBody),
        (status = 404, description = "Unknown account_phone, contact, conversation or template", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 502, description = "Meta could not be asked", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn templates(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    params: Params,
) -> Result<Response, ApiError> {
    let account = select_account(&state, auth.org_id, params.get("account_phone")).await?;
    let list = number_templates(&state, &account).await?;
    if let Some(id) = params.get("template_id") {
        let Some(t) = list.into_iter().find(|t| t.id == id) else {
            return Err(ApiError::not_found(format!("Template {id} not found")));
        };
        let detail = TemplateDetail {
            id: t.id,
            name: t.name,
            status: t.status,
            category: t.category,
            language: t.language,
            components: t.components,
        };
        return Ok(Json(detail).into_response());
    }
    let templates = list
        .into_iter()
        .map(|t| TemplateItem {
            id: t.id,
            name: t.name,
            status: t.status,
            category: t.category,
            language: t.language,
        })
        .collect();
    Ok(Json(TemplatesResponse { templates }).into_response())
}

/// The number's templates: the cache, fetched from Meta first when it never was or is
/// stale. A failed refresh of a stale cache serves the cache (and logs); a failed first
/// fetch is Meta's error.
pub async fn number_templates(
    state: &AppState,
    account: &Account,
) -> Result<Vec<TemplateRecord>, ApiError> {
    let store = &state.store;
    let (cached, fetched_at) = store.list_templates(account.org_id, account.id).await?;
    let fresh =
        fetched_at.is_some_and(|at| Utc::now() - at < Duration::minutes(TEMPLATE_TTL_MINUTES));
    let Some(meta) = state.meta.as_ref().filter(|_| !fresh) else {
        return Ok(cached);
    };
    let token = graph::open_token(&**store, &meta.secrets, account).await?;
    match meta.graph.list_templates(&account.waba_id, &token).await {
        Ok(list) => {
            let records: Vec<TemplateRecord> =
                list.into_iter().map(graph::template_record).collect();
            store
                .replace_templates(account.org_id, account.id, records)
                .await?;
            Ok(store.list_templates(account.org_id, account.id).await?.0)
        }
        Err(e) if fetched_at.is_some() => {
            tracing::warn!(number = %account.phone_number_id, error = %e, "template refresh failed; serving the cache");
            Ok(cached)
        }
        Err(e) => Err(upstream(&e)),
    }
}

/// Meta could not answer (or refused): 502 with Meta's message and code.
pub fn upstream(e: &MetaError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_error",
        format!("Meta API error: {}", e.message),
    )
    .with(|b| {
        b.meta = e.code.map(|code| wakit_api::MetaErrorBody {
            code,
            message: e.message.clone(),
        })
    })
}
