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
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("api-key"))),
        );
    }
}
