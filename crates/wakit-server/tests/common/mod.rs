//! Starting the real server for tests.
#![allow(dead_code)]

pub mod agents;
pub mod api;
pub mod auth;
pub mod fake_meta;
pub mod log;
pub mod media;
pub mod meta;
pub mod outbound;
pub mod raw;
pub mod receiver;
pub mod sandbox;
pub mod sse;

use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;
use wakit_server::{AppState, ServeOptions, WebhookConfig};
use wakit_store::Store;
use wakit_store_tests::TestStore;

/// The app secret the test server verifies webhook signatures with.
pub const APP_SECRET: &[u8] = b"test-app-secret";

/// A server running on 127.0.0.1:0. Its errors and panics fail the test: [`stop`]
/// panics with them, and dropping it without stopping panics if the server already
/// ended with one (a test that never stops its server still notices it died).
///
/// [`stop`]: Running::stop
pub struct Running {
    /// `http://127.0.0.1:PORT/functions/v1/api`
    pub base: String,
    /// `http://127.0.0.1:PORT/functions/v1/whatsapp-webhook`
    pub webhook: String,
    /// Fires shutdown (graceful: [`Running::stop`] waits for it to complete).
    pub shutdown: CancellationToken,
    /// The serve task; None once stopped.
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Fails the test with what the server's task ended with, unless it ended cleanly.
fn surface(ended: Result<std::io::Result<()>, JoinError>) {
    match ended {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("the server failed: {e}"),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the server task was cancelled: {e}"),
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let Some(task) = self.task.take() else {
            return;
        };
        // A second panic while unwinding would abort the whole test binary.
        if task.is_finished()
            && !std::thread::panicking()
            && let Some(ended) = task.now_or_never()
        {
            surface(ended);
        }
    }
}

impl Running {
    /// Serves the task's server: `task` is `wakit_server::serve` spawned on `addr`.
    pub fn new(
        addr: std::net::SocketAddr,
        shutdown: CancellationToken,
        task: JoinHandle<std::io::Result<()>>,
    ) -> Running {
        Running {
            base: format!("http://{addr}/functions/v1/api"),
            webhook: format!("http://{addr}/functions/v1/whatsapp-webhook"),
            shutdown,
            task: Some(task),
        }
    }

    /// Whether the server's task has ended (by itself, unless stopped).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Shuts the server down and waits for it; panics if it failed or panicked.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            surface(task.await);
        }
    }

    /// `http://127.0.0.1:PORT` (the API client's base URL).
    pub fn root(&self) -> String {
        self.base
            .trim_end_matches(wakit_api::API_PREFIX)
            .to_string()
    }
}

/// Starts the server over `ts`, with or without its workers.
pub async fn start(ts: &TestStore, workers: bool) -> Running {
    start_with(ts.store.clone(), workers).await
}

/// Starts the server over `store` (a second handle on a test database, for tests that
/// break it), with or without its workers.
pub async fn start_with(store: Arc<dyn Store>, workers: bool) -> Running {
    let state = AppState {
        api: Default::default(),
        store,
        webhook: WebhookConfig {
            app_secret: Some(APP_SECRET.to_vec()),
            verify_token: Some("verify-me".into()),
        },
        meta: None,
    };
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        workers,
        ..ServeOptions::default()
    };
    serve_state(state, options).await
}

/// Starts the server over `ts` with `api` settings, without workers nor Meta.
pub async fn serve_api(ts: &TestStore, api: wakit_server::ApiConfig) -> Running {
    let state = AppState {
        api,
        store: ts.store.clone(),
        webhook: WebhookConfig::default(),
        meta: None,
    };
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        workers: false,
        ..ServeOptions::default()
    };
    serve_state(state, options).await
}

/// Serves `state` with `options` on 127.0.0.1:0.
pub async fn serve_state(state: AppState, options: ServeOptions) -> Running {
    let mut state = state;
    state.api = with_secret_key(state.api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        options,
    ));
    Running::new(addr, shutdown, task)
}

/// The shared [`wakit_store_tests::on_both_backends`], under the name the tests use.
#[macro_export]
macro_rules! on_both_backends {
    ($($tokens:tt)*) => { wakit_store_tests::on_both_backends! { $($tokens)* } };
}

/// `api` with the secret box a server always has (`wakit serve` loads or generates its
/// secret key), which seals webhook endpoints' secrets, when the test set none.
pub fn with_secret_key(mut api: wakit_server::ApiConfig) -> wakit_server::ApiConfig {
    if api.webhooks.secrets.is_none() {
        api.webhooks.secrets = Some(wakit_store_tests::fixture::secret_box());
    }
    api
}
