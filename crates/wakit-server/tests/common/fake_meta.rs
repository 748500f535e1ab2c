//! A stand-in for Meta's Graph API on 127.0.0.1 that counts the calls it gets and can be
//! told to hang (accept, never answer), and a server whose Meta it is.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use wakit_server::workers::dispatch::DispatchConfig;
use wakit_server::{ApiConfig, AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_store::Account;
use wakit_store_tests::TestStore;
use wakit_store_tests::fixture::{new_account, secret_box};

use super::{APP_SECRET, Running};

/// The fake's switches and counters.
#[derive(Default)]
pub struct FakeMeta {
    /// Calls received (any path).
    pub calls: AtomicUsize,
    /// While set, calls are accepted and never answered.
    pub hang: AtomicBool,
}

impl FakeMeta {
    /// Calls received so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A template body `Hola {{1}}` named `hello` (es), as Meta lists it.
fn templates() -> serde_json::Value {
    json!({"data": [{"id": "1001", "name": "hello", "language": "es", "status": "APPROVED",
        "category": "UTILITY", "components": [{"type": "BODY", "text": "Hola {{1}}"}]}]})
}

async fn answer(State(fake): State<Arc<FakeMeta>>, Path(path): Path<String>) -> Response {
    fake.calls.fetch_add(1, Ordering::SeqCst);
    if fake.hang.load(Ordering::SeqCst) {
        // Longer than any test waits; the server's own timeouts must end the call.
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    if path.ends_with("message_templates") {
        axum::Json(templates()).into_response()
    } else {
        axum::Json(
            json!({"id": path, "quality_rating": "GREEN", "messaging_limit_tier": "TIER_1K"}),
        )
        .into_response()
    }
}

/// Starts the fake; returns its switches and its base URL.
pub async fn start_fake() -> (Arc<FakeMeta>, String) {
    let fake = Arc::new(FakeMeta::default());
    let app = Router::new()
        .route("/{*path}", get(answer))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, base)
}

/// Starts the server over `ts` with `graph_url` as Meta and `api` settings (workers
/// off), with one connected number. Returns the server, the number and an API key.
pub async fn start_with_meta(
    ts: &TestStore,
    graph_url: &str,
    api: ApiConfig,
) -> (Running, Account, String) {
    let org = ts.store.create_org("Org", "UTC").await.expect("org");
    let account = ts
        .store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .expect("account");
    let key = super::sandbox::new_key(&*ts.store, org.id).await;
    let state = AppState {
        api,
        store: ts.store.clone(),
        webhook: WebhookConfig {
            app_secret: Some(APP_SECRET.to_vec()),
            verify_token: Some("verify-me".into()),
        },
        meta: Some(MetaConfig {
            graph: wakit_meta::GraphClient::new(graph_url.to_string()).expect("graph"),
            secrets: secret_box(),
            dispatch: DispatchConfig::default(),
        }),
    };
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        workers: false,
        ..ServeOptions::default()
    };
    (super::serve_state(state, options).await, account, key)
}
