//! Outbound webhooks survive `kill -9`: the real `wakit serve` process, the sandbox as
//! Meta, a receiver on 127.0.0.1, on both backends. A storm of inbound messages; the
//! server is killed while it delivers them and restarted: the receiver gets every
//! message's `messages.insert`, each signed with the endpoint's secret; a message that
//! arrives twice (at least once) carries the same `webhook-id` and body, so it can be
//! deduplicated.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{HashMap, HashSet};
use wakit_server::deliveries::signature::{new_secret, sign};
use wakit_store::NewWebhook;
use wakit_store_tests::fixture::secret_box;
use wakit_store_tests::{Backend, TestStore};

mod common;
mod procs;
#[path = "../../wakit-server/tests/common/receiver.rs"]
mod receiver;

use common::rig::{Rig, kill9, until};
use receiver::Receiver;

/// Messages in the storm.
const STORM: usize = 500;

async fn deliveries_survive_kill_9(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let r = Receiver::start().await;
    let id = uuid::Uuid::new_v4();
    let secret = new_secret();
    let endpoint = NewWebhook {
        id,
        account_id: None,
        table_name: "messages".into(),
        operations: vec!["insert".into()],
        url: r.url("/hook"),
        token: None,
        secret: secret_box().seal(&secret, &id.to_string()),
    };
    let org = rig.account.org_id;
    rig.ts
        .store
        .create_webhook(org, endpoint, 20)
        .await
        .unwrap()
        .unwrap();
    // Attempts of at most 2 s, so a killed process's claims come back after 12 s.
    let env = [
        "--webhook-allow-private",
        "on",
        "--webhook-timeout-ms",
        "2000",
        "--webhook-retry-scale",
        "0.001",
    ];
    let mut server = rig.serve_with(&env).await;
    rig.sim
        .storm(&rig.account.phone_number_id, STORM, 4, 20)
        .unwrap();
    until("part of the deliveries", || async { r.hits().len() >= 50 }).await;
    kill9(&mut server);
    let restarted = std::time::Instant::now();
    let _server = rig.serve_with(&env).await;
    let hits = r
        .until("/hook", |h| {
            let ids: HashSet<String> = h
                .iter()
                .map(|h| h.json()["data"]["external_id"].to_string())
                .collect();
            ids.len() >= STORM
        })
        .await;
    eprintln!(
        "{backend:?}: {} deliveries of {STORM} messages, all in {:.1} s after the restart",
        hits.len(),
        restarted.elapsed().as_secs_f64()
    );
    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for h in &hits {
        let (msg, ts) = (h.header("webhook-id"), h.header("webhook-timestamp"));
        let signed = sign(&[&secret], msg, ts.parse().unwrap(), h.body.as_bytes()).unwrap();
        assert_eq!(
            h.header("webhook-signature"),
            signed,
            "every delivery verifies"
        );
        assert_eq!(h.json()["type"], "messages.insert");
        let body = by_id.entry(msg).or_insert(&h.body);
        assert_eq!(*body, h.body, "a repeated webhook-id repeats its body");
    }
    let messages: HashSet<String> = hits
        .iter()
        .map(|h| h.json()["data"]["external_id"].to_string())
        .collect();
    assert_eq!(messages.len(), STORM, "every message once at least");
    assert_eq!(by_id.len(), STORM, "one webhook-id per message");
}

on_both_backends!(deliveries_survive_kill_9);
