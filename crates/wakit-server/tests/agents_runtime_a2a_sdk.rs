//! wakit's A2A client against a real A2A agent built with the official Python SDK
//! (`a2a-sdk`, pinned in tests/a2a/requirements.txt, installed into target/py-a2a by
//! .ci/run): an echo agent that counts each context's messages. Served with the SDK's
//! v0.3 compatibility, wakit's `message/send` is answered directly; served as A2A 1.0
//! only, wakit is told "Method not found" and asks again with `SendMessage`. Either way
//! the customer gets the answers, in one context (the count goes on) with the agent's
//! key and the turn's metadata. On both engines. Without the virtualenv the check is
//! skipped with a loud NOTE, except under `CI=true`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::agents::{
    CUSTOMER, MODEL_KEY, agent_world, change_config, conversation, settings, wait_texts,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wakit_store_tests::Backend;

const VERSION: &str = "1.3.0";

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-a2a/bin/python")
}

fn ready() -> bool {
    let probe = external::probe(
        python().to_str().unwrap(),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('a2a-sdk'))",
        ],
    );
    external::ready(
        "a2a-sdk",
        "python3 -m venv target/py-a2a && target/py-a2a/bin/pip install -r crates/wakit-server/tests/a2a/requirements.txt",
        external::exactly("a2a-sdk", probe, VERSION),
    )
}

/// The SDK's agent, killed when dropped (also when the test panics).
struct Agent {
    child: Child,
    url: String,
    /// Every request it logged (method, context_id, metadata, authorization, version).
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Agent {
    fn start(mode: &str) -> Agent {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a2a/server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The agent binds its own port before it says where: nothing else can take it.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        let url = first["ready"].as_str().unwrap().to_string();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    log.lock().unwrap().push(v);
                }
            }
        });
        let start = Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the A2A agent did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Agent {
            child,
            url,
            requests,
        }
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn answers_from(backend: Backend, mode: &str, methods: &[&str]) {
    if !ready() {
        return;
    }
    let Some((w, agent_id)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let agent = Agent::start(mode);
    let config = json!({"protocol": "a2a", "api_url": agent.url});
    change_config(&w, agent_id, config).await;

    w.customer_writes(CUSTOMER, "hola").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 1).await, ["Echo #1: hola"]);
    w.customer_writes(CUSTOMER, "¿y mañana?").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert_eq!(
        texts[1], "Echo #2: ¿y mañana?",
        "the agent kept the context"
    );

    let conv = conversation(&w, CUSTOMER).await.to_string();
    let requests = agent.requests();
    let got: Vec<&str> = requests
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(got, methods);
    for r in &requests {
        assert_eq!(r["context_id"], conv);
        assert_eq!(r["authorization"], format!("Bearer {MODEL_KEY}"));
        assert_eq!(r["metadata"]["contact_phone"], CUSTOMER);
        if r["method"] == "SendMessage" {
            assert_eq!(r["version"], "1.0");
        }
    }
    w.stop().await;
}

async fn an_sdk_agent_with_0_3_compatibility_answers(backend: Backend) {
    answers_from(backend, "compat", &["message/send", "message/send"]).await;
}

async fn an_sdk_agent_of_a2a_1_0_answers(backend: Backend) {
    let methods = ["message/send", "SendMessage", "message/send", "SendMessage"];
    answers_from(backend, "v1", &methods).await;
}

on_both_backends!(
    an_sdk_agent_with_0_3_compatibility_answers,
    an_sdk_agent_of_a2a_1_0_answers
);
