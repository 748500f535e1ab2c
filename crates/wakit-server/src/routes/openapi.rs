//! The OpenAPI 3.1 document, generated from the handlers' annotations and the wire
//! types: the routes are registered through the same annotations, so the document
//! cannot list a route the server does not have (or miss one registered this way).

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The document's fixed parts; paths are added by the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "wakit REST API",
        description = "Conversations, messages, contacts and templates of an organization's \
                       WhatsApp Business numbers. Authenticate with `Authorization: Bearer sk_...` \
                       (or the `api-key` header). Errors are `{\"error\": sentence, \"code\": machine_code}`."
    ),
    servers((url = "/functions/v1/api")),
    modifiers(&Security),
    components(schemas(wakit_api::ErrorBody, wakit_api::MetaErrorBody))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk_...")
                    .build(),
            ),
        );
        // A signed-in person's `/auth/v1` access token, on the routes people use too
        // (the event stream, templates, read receipts); `organization_id` picks the org.
        components.add_security_scheme(
            "user_jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A signed-in person's access token from /auth/v1 (a member of the \
                         organization; `organization_id` names it when they are in several)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("api-key"))),
        );
    }
}

/// The error answers of the conversation reads, for their `responses(...)` (documentation
/// only: the handlers answer through `ApiError`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// Invalid parameter, or account_required when the org has several numbers.
    #[response(status = 400)]
    BadRequest(wakit_api::ErrorBody),
    /// Missing or invalid API key.
    #[response(status = 401)]
    Unauthorized(wakit_api::ErrorBody),
    /// Unknown account_phone, contact or conversation.
    #[response(status = 404)]
    NotFound(wakit_api::ErrorBody),
    /// Rate limit of the API key (Retry-After).
    #[response(status = 429)]
    RateLimited(wakit_api::ErrorBody),
    /// Database unavailable (Retry-After).
    #[response(status = 503)]
    Unavailable(wakit_api::ErrorBody),
}

/// The answer of admin-only routes to a member key (documentation only; the other
/// errors are [`ReadErrors`]).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum AdminOnly {
    /// A member key (agents are managed by admins and owners).
    #[response(status = 403)]
    Forbidden(wakit_api::ErrorBody),
}

/// The query parameter of the routes a signed-in person uses too (`user_jwt`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by crate::caller::OrgCaller; here for the document only
pub(crate) struct OrgParam {
    /// With a person's access token (user_jwt): the organization to act in; required when
    /// they belong to several.
    organization_id: Option<String>,
}
