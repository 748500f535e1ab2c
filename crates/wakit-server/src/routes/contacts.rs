//! `GET /contacts`: search by name (case- and accent-insensitive, any part), by number
//! (any part of the digits), both (AND) or neither (everyone, by name).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_api::ContactsResponse;
use wakit_core::OrgId;
use wakit_store::ContactQuery;

use super::conversations::contact_brief;
use super::params::Params;
use crate::AppState;
use crate::auth::ApiKeyAuth;
use crate::error::ApiError;

/// Default and largest `limit`.
const LIMIT: (u32, u32) = (10, 200);

/// The contacts route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Contacts by name or username (case- and accent-insensitive, at most 64 characters),
/// number (any part, at most 20 digits), both or neither.
#[utoipa::path(get, path = "/contacts", operation_id = "searchContacts", tag = "contacts", security(("api_key" = [])),
    params(wakit_api::ContactsQuery), responses(
        (status = 200, description = "Matching contacts, by name", body = ContactsResponse),
        (status = 400, description = "Invalid parameter, or account_required when the org has several numbers", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    ApiKeyAuth(auth): ApiKeyAuth,
    params: Params,
) -> Result<Json<ContactsResponse>, ApiError> {
    Ok(Json(search_contacts(&state, auth.org_id, &params).await?))
}

/// `GET /contacts` (`name`, `number`, `limit`), shared with the MCP tools.
pub(crate) async fn search_contacts(
    state: &AppState,
    org: OrgId,
    params: &Params,
) -> Result<ContactsResponse, ApiError> {
    let limit = params.limit(LIMIT.0, LIMIT.1)?;
    let number = params
        .get("number")
        .map(|n| n.chars().filter(char::is_ascii_digit).collect::<String>());
    if number.as_deref() == Some("") {
        return Err(ApiError::bad_request("number must contain digits"));
    }
    let query = ContactQuery {
        name: params.get("name").map(str::to_string),
        number,
        limit,
    };
    if let Some(problem) = query.problem() {
        return Err(ApiError::bad_request(problem));
    }
    let found = state.store.search_contacts(org, query).await?;
    Ok(ContactsResponse {
        contacts: found.iter().map(contact_brief).collect(),
    })
}
