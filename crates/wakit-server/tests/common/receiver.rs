//! A webhook receiver on 127.0.0.1:0 for the outbound webhook tests (here and, by path,
//! the binary's crash test): it records every POST (path, headers, body) and answers per
//! path from a script of statuses (then 200); a path starting with `/hang` never answers.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long [`Receiver::until`] waits.
const STORE_WAIT: Duration = Duration::from_secs(180);

/// One request received.
#[derive(Clone, Debug)]
pub struct Hit {
    /// `/ok`, ...
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
}

impl Hit {
    /// A header's value ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// Per path, the answers still to give: status and `Retry-After`.
type Script = HashMap<String, VecDeque<(u16, Option<String>)>>;

#[derive(Clone, Default)]
struct Shared {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<Script>>,
}

/// The running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(s): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, &'static str) {
    let path = format!("/{path}");
    s.hits.lock().expect("hits").push(Hit {
        path: path.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if path.starts_with("/hang") {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let next = s
        .script
        .lock()
        .expect("script")
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let (status, retry_after) = next.unwrap_or((200, None));
    let mut out = HeaderMap::new();
    if let Some(r) = retry_after {
        out.insert("retry-after", r.parse().expect("header"));
    }
    (StatusCode::from_u16(status).expect("status"), out, "thanks")
}

impl Receiver {
    /// Starts a receiver.
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{*path}", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, shared, task }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers the next requests to `path` with these statuses (and `Retry-After`).
    pub fn script(&self, path: &str, answers: &[(u16, Option<&str>)]) {
        self.shared.script.lock().expect("script").insert(
            path.to_string(),
            answers
                .iter()
                .map(|(s, r)| (*s, r.map(str::to_string)))
                .collect(),
        );
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().expect("hits").clone()
    }

    /// The requests to `path` once `done` holds for them; panics after the wait.
    pub async fn until(&self, path: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let start = Instant::now();
        loop {
            let hits: Vec<Hit> = self.hits().into_iter().filter(|h| h.path == path).collect();
            if done(&hits) {
                return hits;
            }
            assert!(
                start.elapsed() < STORE_WAIT,
                "{path}: not there within {STORE_WAIT:?}; got {hits:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
