//! Shared test helpers: a webhook receiver that verifies signatures, and sandbox setup.
#![allow(dead_code)]

pub mod emit;
pub mod external;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wakit_sim::{Number, NumberSpec, Quirks, RetryPolicy, Sim, SimConfig, SimHandle, StatusDelays};

pub const SECRET: &str = "test-app-secret";
pub const TOKEN: &str = "EAAG-test-token";
pub const PNID: &str = "106540352242922";
pub const WABA: &str = "102290129340398";
pub const BUSINESS: &str = "15550783881";
pub const CUSTOMER: &str = "16505551234";

/// One POST the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub raw: Bytes,
    pub json: Value,
    pub signature_ok: bool,
    /// The `X-Hub-Signature-256` header as sent.
    pub signature: Option<String>,
    pub status_answered: u16,
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer before answering 200.
    script: Arc<Mutex<VecDeque<u16>>>,
}

/// A webhook receiver on 127.0.0.1.
pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|h| h.to_str().ok());
    let signature_ok = wakit_meta::signature::verify(SECRET.as_bytes(), &body, sig);
    let status = s.script.lock().expect("lock").pop_front().unwrap_or(200);
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.got.lock().expect("lock").push(Received {
        raw: body,
        json,
        signature_ok,
        signature: sig.map(str::to_string),
        status_answered: status,
    });
    StatusCode::from_u16(status).expect("status")
}

/// Meta's verification GET: echoes the challenge when the token is `verify-me`.
async fn handshake(
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, String) {
    let ok = q.get("hub.mode").map(String::as_str) == Some("subscribe")
        && q.get("hub.verify_token").map(String::as_str) == Some("verify-me");
    match (ok, q.get("hub.challenge")) {
        (true, Some(c)) => (StatusCode::OK, c.clone()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}

impl Receiver {
    /// Starts a receiver answering `script` statuses first, then 200.
    pub async fn start(script: &[u16]) -> Receiver {
        let shared = Shared::default();
        shared
            .script
            .lock()
            .expect("lock")
            .extend(script.iter().copied());
        let app = Router::new()
            .route("/webhook", post(receive).get(handshake))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Receiver {
            url: format!("http://{addr}/webhook"),
            shared,
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.shared.got.lock().expect("lock").clone()
    }

    /// Bodies answered with 200.
    pub fn accepted(&self) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.status_answered == 200)
            .collect()
    }

    /// Waits (bounded) until `pred` holds over the accepted bodies.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if pred(&self.accepted()) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every `statuses[]` item for `wamid`, in arrival order (accepted bodies only).
    pub fn statuses_for(&self, wamid: &str) -> Vec<Value> {
        statuses(&self.accepted())
            .into_iter()
            .filter(|s| s["id"] == wamid)
            .collect()
    }

    /// Every inbound `messages[]` item (accepted bodies only).
    pub fn messages(&self) -> Vec<Value> {
        items(&self.accepted(), "messages")
    }
}

/// Every `value.<key>[]` item across bodies.
pub fn items(bodies: &[Received], key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for b in bodies {
        for entry in b.json["entry"].as_array().into_iter().flatten() {
            for change in entry["changes"].as_array().into_iter().flatten() {
                out.extend(
                    change["value"][key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
        }
    }
    out
}

pub fn statuses(bodies: &[Received]) -> Vec<Value> {
    items(bodies, "statuses")
}

/// Fast, quirk-free config pointed at `url`.
pub fn config(url: Option<&str>, quirks: Quirks) -> SimConfig {
    SimConfig {
        webhook_url: url.map(str::to_string),
        app_secret: SECRET.to_string(),
        quirks,
        seed: 42,
        webhook_retry: RetryPolicy {
            initial: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            give_up_after: Duration::from_secs(30),
        },
        webhook_timeout: Duration::from_secs(5),
        status_delays: StatusDelays {
            sent: Duration::ZERO,
            delivered: Duration::from_millis(20),
            read: Duration::from_millis(60),
        },
        ..SimConfig::default()
    }
}

/// A sandbox with the standard number, posting to `url`.
pub async fn sim_with(url: Option<&str>, quirks: Quirks) -> (SimHandle, Number) {
    let sim = Sim::start(config(url, quirks)).await.expect("sim starts");
    let number = sim
        .add_number(
            NumberSpec::new(BUSINESS)
                .id(PNID)
                .waba(WABA)
                .token(TOKEN)
                .name("Acme Support"),
        )
        .expect("number");
    (sim, number)
}

pub fn graph(sim: &SimHandle) -> wakit_meta::GraphClient {
    wakit_meta::GraphClient::new(sim.base_url()).expect("client")
}

pub const WAIT: Duration = Duration::from_secs(10);

/// POSTs `body` as JSON to `{base_url}{path}` with the standard token: (status, JSON).
pub async fn graph_post(sim: &SimHandle, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}
