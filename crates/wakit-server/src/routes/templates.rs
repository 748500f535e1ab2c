//! `GET /templates` (the number's templates) and `GET /templates?template_id=` (one, with
//! its components). The list comes from a per-number cache of Meta's templates, fetched
//! on first use, refreshed when older than [`crate::ApiConfig::template_ttl`] (15 min) and
//! at once when a template status webhook arrives. When Meta cannot be asked, a stale
//! cache is served with a `warning`; without one the answer is 502 saying so.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::{TemplateDetail, TemplateItem, TemplatesAnswer, TemplatesResponse};
use wakit_core::OrgId;
use wakit_meta::MetaError;
use wakit_store::{Account, StoreError, TemplateRecord};

use super::params::{Params, select_account};
use crate::caller::OrgCaller;
use crate::error::ApiError;
use crate::{AppState, graph};

/// The template routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(templates))
}

/// The number's templates (cached from Meta), or one with its components.
#[utoipa::path(get, path = "/templates", operation_id = "listTemplates", tag = "templates", security(("api_key" = []), ("user_jwt" = [])),
    params(wakit_api::TemplatesQuery, ("organization_id" = Option<String>, Query, description = "With a person's access token (user_jwt): the organization to act in; required when they belong to several")), responses(
        (status = 200, description = "The list, or one template's details with `template_id`", body = wakit_api::TemplatesAnswer),
        (status = 400, description = "Invalid parameter, or account_required when the org has several numbers", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = wakit_api::ErrorBody),
        (status = 404, description = "Unknown account_phone, contact, conversation or template", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 502, description = "Meta could not be asked", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn templates(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    params: Params,
) -> Result<Json<TemplatesAnswer>, ApiError> {
    Ok(Json(templates_answer(&state, auth.org_id, &params).await?))
}

/// `GET /templates` (`account_phone`, `template_id`), shared with the MCP tools.
pub(crate) async fn templates_answer(
    state: &AppState,
    org: OrgId,
    params: &Params,
) -> Result<TemplatesAnswer, ApiError> {
    let account = select_account(state, org, params.get("account_phone")).await?;
    let (list, warning) = number_templates_or_stale(state, &account).await?;
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
        return Ok(TemplatesAnswer::Detail(detail));
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
    if let Some(warning) = &warning {
        tracing::warn!(number = %account.phone_number_id, "{warning}");
    }
    Ok(TemplatesAnswer::List(TemplatesResponse {
        templates,
        warning,
    }))
}

/// The number's templates: the cache, refreshed from Meta first when it never was or is
/// stale (see [`number_templates_or_stale`]).
pub async fn number_templates(
    state: &AppState,
    account: &Account,
) -> Result<Vec<TemplateRecord>, ApiError> {
    Ok(number_templates_or_stale(state, account).await?.0)
}

/// The number's templates, and a warning when they are a stale cache served because
/// Meta could not be asked. A refresh is shared by concurrent requests (single-flight)
/// and bounded by [`FETCH_TIMEOUT`]; a failed one is remembered for [`FAILED_FETCH_TTL`]
/// so a burst of requests does not hammer Meta. Without any cache, the failure is a 502.
pub async fn number_templates_or_stale(
    state: &AppState,
    account: &Account,
) -> Result<(Vec<TemplateRecord>, Option<String>), ApiError> {
    let store = &state.store;
    let (cached, fetched_at) = store.list_templates(account.org_id, account.id).await?;
    let fresh = fetched_at
        .is_some_and(|at| (Utc::now() - at).to_std().unwrap_or_default() < state.api.template_ttl);
    if fresh || state.meta.is_none() {
        return Ok((cached, None));
    }
    let work = || refresh(state.clone(), account.clone());
    let keep = |r: &Result<(), FetchError>| match r {
        Ok(()) => std::time::Duration::ZERO,
        Err(_) => FAILED_FETCH_TTL,
    };
    match state.api.probes.templates.run(account.id, keep, work).await {
        Ok(()) => Ok((
            store.list_templates(account.org_id, account.id).await?.0,
            None,
        )),
        Err(e) => match fetched_at {
            Some(at) => {
                let warning = format!(
                    "{} These templates are the copy fetched at {}.",
                    e.sentence(),
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                Ok((cached, Some(warning)))
            }
            None => Err(e.into()),
        },
    }
}

/// How long a template fetch from Meta may take.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a failed fetch is remembered (no new one for that number meanwhile).
pub const FAILED_FETCH_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the templates could not be refreshed (shared by every request that waited).
#[derive(Clone, Debug)]
pub enum FetchError {
    /// Meta answered with an error, or could not be reached.
    Meta(Arc<MetaError>),
    /// Meta did not answer within [`FETCH_TIMEOUT`].
    TimedOut,
    /// The token could not be read or the cache not written.
    Store(Arc<StoreError>),
}

impl FetchError {
    fn sentence(&self) -> String {
        match self {
            FetchError::Meta(e) if e.http_status.is_none() => {
                "Meta could not be reached; try again shortly.".into()
            }
            FetchError::Meta(e) => format!("Meta API error: {}", e.message),
            FetchError::TimedOut => format!(
                "Meta did not answer within {}s; try again shortly.",
                FETCH_TIMEOUT.as_secs()
            ),
            FetchError::Store(_) => "The templates could not be refreshed.".into(),
        }
    }
}

impl From<FetchError> for ApiError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Store(e) => match &*e {
                e @ StoreError::Unavailable(_) => e.into(),
                other => ApiError::internal(other),
            },
            FetchError::Meta(ref meta) if meta.http_status.is_some() => upstream(meta),
            other => ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", other.sentence())
                .retry_after(FAILED_FETCH_TTL.as_secs()),
        }
    }
}

/// Fetches the number's templates from Meta into the cache.
async fn refresh(state: AppState, account: Account) -> Result<(), FetchError> {
    let Some(meta) = &state.meta else {
        return Ok(());
    };
    let store = |e: StoreError| FetchError::Store(Arc::new(e));
    let token = graph::open_token(&*state.store, &meta.secrets, &account)
        .await
        .map_err(store)?;
    let number = &account.phone_number_id;
    let call = meta.graph.list_templates(&account.waba_id, &token);
    let list = match tokio::time::timeout(FETCH_TIMEOUT, call).await {
        Ok(Ok(list)) => list,
        Ok(Err(e)) => {
            tracing::warn!(%number, error = %e, "template fetch from Meta failed");
            return Err(FetchError::Meta(Arc::new(e)));
        }
        Err(_) => {
            tracing::warn!(%number, timeout = ?FETCH_TIMEOUT, "template fetch from Meta timed out");
            return Err(FetchError::TimedOut);
        }
    };
    let records = list.into_iter().map(graph::template_record).collect();
    state
        .store
        .replace_templates(account.org_id, account.id, records)
        .await
        .map_err(store)
}

/// Meta refused: 502 with Meta's message and code.
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
