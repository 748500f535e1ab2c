//! The REST API and the Meta webhook, end to end in process: the real axum app over a
//! fresh SQLite database (an org, its number, an API key, an open service window, an
//! approved template), driven with `tower::ServiceExt::oneshot` (no sockets). Meta is
//! not configured, so nothing reaches the network.
//!
//! Properties: never a 500, never a panic; every error (4xx/5xx) body is JSON with
//! string `error` and `code`.

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use chrono::Utc;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use wakit_core::{MessageContent, Phone, Role};
use wakit_server::inbox_writer::{self, InboxWriter};
use wakit_server::{ApiConfig, AppState, WebhookConfig};
use wakit_store::{InboundMessage, NewApiKey, Store, TemplateRecord};
use wakit_store_tests::fixture::new_account;
use wakit_store_tests::{Backend, TestStore};

use crate::Target;
use crate::api_requests::{
    ACCOUNT_PHONE, KEY, OPEN_CONTACT, RequestSpec, Requests, SIGNED, TEMPLATE,
};

/// The app secret webhook bodies are signed with.
const APP_SECRET: &[u8] = b"fuzz-app-secret";
/// Largest response body read.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// The app, its database and the key requests use.
pub struct ApiTarget {
    rt: tokio::runtime::Runtime,
    app: Router,
    key: String,
    requests: Requests,
    // Keeps the database (a temporary directory) alive.
    _store: TestStore,
}

/// An org with a number, a member key, an inbound message from [`OPEN_CONTACT`] (the
/// window is open) and the approved [`TEMPLATE`]. Returns the key.
async fn seed(store: &dyn Store) -> anyhow::Result<String> {
    let org = store.create_org("Fuzz", "UTC").await?;
    let account = store
        .add_account(org.id, new_account(ACCOUNT_PHONE, "106540352242922"))
        .await?;
    let key = wakit_store::secrets::generate_api_key();
    let new = NewApiKey {
        name: "fuzz".into(),
        role: Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    store.create_api_key(org.id, new).await?;
    let inbound = InboundMessage {
        account_id: account.id,
        from: Phone::parse(OPEN_CONTACT)?.into(),
        profile_name: Some("Ana".into()),
        wamid: "wamid.FUZZ-SEED".into(),
        timestamp: Utc::now(),
        content: MessageContent::text("hola"),
    };
    store.ingest_inbound(org.id, inbound).await?;
    let template = TemplateRecord {
        id: "594425479261596".into(),
        name: TEMPLATE.0.into(),
        language: TEMPLATE.1.into(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        components: json!([{"type": "BODY", "text": "Hi {{1}}"}]),
    };
    store.upsert_template(org.id, account.id, template).await?;
    Ok(key.plain)
}

impl ApiTarget {
    /// Builds the app over a fresh SQLite database.
    pub fn new() -> anyhow::Result<ApiTarget> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("tokio runtime")?;
        let (app, key, store) = rt.block_on(async {
            let ts = TestStore::fresh(Backend::Sqlite)
                .await
                .context("SQLite test store")?;
            let key = seed(&*ts.store).await?;
            let (inbox, _writer) = InboxWriter::spawn(
                Arc::clone(&ts.store),
                Arc::default(),
                inbox_writer::MAX_GROUP,
                inbox_writer::QUEUE,
            );
            let state = AppState {
                store: Arc::clone(&ts.store),
                webhook: WebhookConfig {
                    app_secret: Some(APP_SECRET.to_vec()),
                    verify_token: Some("verify-me".into()),
                },
                meta: None,
                api: ApiConfig {
                    send_wait: Duration::ZERO,
                    rate_limit: None,
                    ..ApiConfig::default()
                },
            };
            anyhow::Ok((wakit_server::app(state, inbox), key, ts))
        })?;
        Ok(ApiTarget {
            rt,
            app,
            key,
            requests: Requests::default(),
            _store: store,
        })
    }

    /// The HTTP request for `spec`, with the key and the signature filled in; `None`
    /// when the generated URI is not one `http` accepts.
    fn request(&self, spec: &RequestSpec) -> Option<Request<Body>> {
        let mut uri = spec.path.clone();
        if !spec.query.is_empty() {
            let pairs: Vec<String> = spec.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            uri.push('?');
            uri.push_str(&pairs.join("&"));
        }
        let method = Method::from_bytes(spec.method.as_bytes()).ok()?;
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(spec.body.clone()))
            .ok()?;
        let signature = wakit_meta::signature::sign(APP_SECRET, &spec.body);
        for (name, value) in &spec.headers {
            let value = String::from_utf8_lossy(value)
                .replace(KEY, &self.key)
                .replace(SIGNED, &signature);
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) else {
                continue;
            };
            req.headers_mut().append(name, value);
        }
        Some(req)
    }
}

/// Whether an error body is the API's `{"error", "code"}`.
fn is_error_body(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| {
        v.get("error").is_some_and(Value::is_string) && v.get("code").is_some_and(Value::is_string)
    })
}

impl Target for ApiTarget {
    type Input = RequestSpec;
    fn name(&self) -> &'static str {
        "api"
    }
    fn generate(&mut self, rng: &mut StdRng) -> RequestSpec {
        self.requests.generate(rng)
    }
    fn check(&mut self, spec: &RequestSpec) -> Result<String, String> {
        let Some(req) = self.request(spec) else {
            return Ok("uri-refused".into());
        };
        let app = self.app.clone();
        let (status, body) = self.rt.block_on(async move {
            let resp = match app.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), MAX_RESPONSE).await;
            (status, body.map_err(|e| e.to_string()))
        });
        let body = body.map_err(|e| format!("{status}: unreadable body: {e}"))?;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return Err(format!("500: {}", String::from_utf8_lossy(&body)));
        }
        // A HEAD answer has no body by definition.
        let has_body = spec.method != "HEAD";
        if (status.is_client_error() || status.is_server_error())
            && has_body
            && !is_error_body(&body)
        {
            return Err(format!(
                "{status} without the JSON error body: {:?}",
                String::from_utf8_lossy(&body)
            ));
        }
        Ok(format!(
            "{} {} {}",
            spec.method,
            spec.route,
            status.as_u16()
        ))
    }
}
