//! Three `wakit serve` replicas on one PostgreSQL database with the sandbox as Meta:
//!
//! * 1,000 template sends spread over the replicas' APIs, one replica killed with
//!   SIGKILL mid-run; clients retry a failed request on another replica with the same
//!   `Idempotency-Key`, as behind a load balancer → every request gets its answer, no
//!   message reaches Meta twice, the dead replica's leased work finishes on the others.
//!   On SQLite, where one process serves a database file, that process is killed and
//!   restarted mid-run, and the clients retry until it answers again, with the same
//!   outcome.
//! * 2,000 inbound messages delivered to the replicas in turn → each stored once
//!   (PostgreSQL only: one SQLite process taking a storm, killed too, is `crash.rs`).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
mod procs;

use common::rig::{Rig, WAIT, api_key, free_addr, kill9, until};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use wakit_api::{Client, SendRequest};
use wakit_core::MessageStatus;
use wakit_sim::TemplateSpec;
use wakit_store_tests::{Backend, TestStore};

const SENDS: usize = 1000;

fn replicas(backend: Backend) -> usize {
    if backend == Backend::Postgres { 3 } else { 1 }
}

async fn sends_spread_over_replicas_one_killed(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let (org, acct) = (rig.account.org_id, rig.account.id);
    rig.sim
        .set_throughput(&rig.account.phone_number_id, 1000)
        .unwrap();
    rig.ts
        .store
        .set_account_max_mps(org, acct, Some(400))
        .await
        .unwrap();
    let spec = TemplateSpec::body("aviso", "es", "UTILITY", "Aviso importante");
    rig.sim.add_template(&rig.account.waba_id, spec).unwrap();
    let n = replicas(backend);
    let addrs: Vec<String> = (0..n).map(|_| free_addr()).collect();
    let mut children = Vec::new();
    for a in &addrs {
        children.push(rig.serve_at(a, &[]).await);
    }
    // Status webhooks go to the last replica, which stays up.
    rig.sim.set_webhook_url(format!(
        "http://{}/functions/v1/whatsapp-webhook",
        addrs[n - 1]
    ));
    let key = api_key(&rig.ts, org).await;
    let clients: Vec<Client> = addrs
        .iter()
        .map(|a| Client::new(&format!("http://{a}"), &key).unwrap())
        .collect();

    let answered = futures::stream::iter(0..SENDS)
        .map(|i| {
            let clients = clients.clone();
            async move {
                let req = SendRequest {
                    contact_phone: Some(format!("5215570{i:06}")),
                    template: Some(
                        serde_json::json!({"name": "aviso", "language": {"code": "es"}}),
                    ),
                    ..Default::default()
                };
                let idem = format!("send-{i}");
                let start = Instant::now();
                let mut pick = i;
                loop {
                    let client = &clients[pick % clients.len()];
                    match client.send(&req, Some(&idem)).await {
                        Ok(a) => return a.value.id,
                        // The message exists and its fate is known: e.g. the killed
                        // replica was mid-call and Meta never confirmed it (failed as
                        // outcome unknown, never sent twice); retries answer the same.
                        Err(wakit_api::ClientError::Api { body, .. }) if body.id.is_some() => {
                            return body.id.clone().unwrap_or_default();
                        }
                        Err(e) => {
                            assert!(e.status().is_none_or(|s| s >= 500), "{e}");
                            assert!(start.elapsed() < WAIT, "send {i} never answered: {e}");
                            pick += 1; // the load balancer tries another replica
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    let killer = async {
        until("a third of the sends to reach Meta", || async {
            rig.sim.sent_messages().len() >= SENDS / 3
        })
        .await;
        kill9(&mut children[0]);
        if n == 1 {
            // SQLite: the one process comes back (the sends wait for it) and resumes the
            // work the killed one had leased.
            children[0] = rig.serve_at(&addrs[0], &[]).await;
        }
    };
    let (ids, ()) = tokio::join!(answered, killer);
    let ids: HashSet<String> = ids.into_iter().collect();
    assert_eq!(
        ids.len(),
        SENDS,
        "one message per request, retries included"
    );

    // Every message ends sent (or, if the killed replica was mid-call, failed as
    // outcome unknown); none reached Meta twice.
    until("every message to leave pending", || async {
        let mut pending = 0;
        for id in &ids {
            let m = rig
                .ts
                .store
                .get_message(org, id.parse::<uuid::Uuid>().unwrap().into())
                .await
                .unwrap();
            pending += usize::from(m.status == MessageStatus::Pending && m.external_id.is_none());
        }
        pending == 0
    })
    .await;
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for m in rig.sim.sent_messages() {
        *per_message
            .entry(m.biz_opaque_callback_data.unwrap_or_default())
            .or_default() += 1;
    }
    assert!(
        per_message.values().all(|c| *c == 1),
        "a message reached Meta twice"
    );
    assert!(per_message.keys().all(|k| ids.contains(k)));
    for id in &ids {
        let m = rig
            .ts
            .store
            .get_message(org, id.parse::<uuid::Uuid>().unwrap().into())
            .await
            .unwrap();
        assert_eq!(
            m.external_id.is_some(),
            per_message.contains_key(id),
            "{id}: {:?}",
            m.status
        );
    }
    // The killed replica was reaped by kill9 (on SQLite, the restarted one is live).
    let live = if n == 1 { 0 } else { 1 };
    for mut c in children.into_iter().skip(live) {
        kill9(&mut c);
    }
    rig.sim.shutdown().await;
}

async fn inbound_spread_over_replicas(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let n = replicas(backend);
    let addrs: Vec<String> = (0..n).map(|_| free_addr()).collect();
    let mut children = Vec::new();
    for a in &addrs {
        children.push(rig.serve_at(a, &[]).await);
    }
    let hook = |i: usize| format!("http://{}/functions/v1/whatsapp-webhook", addrs[i % n]);
    rig.sim.set_webhook_url(hook(0));
    let storm = rig
        .sim
        .storm(&rig.account.phone_number_id, 2000, 4, 50)
        .unwrap();
    // Meta's deliveries land on the replicas in turn.
    let mut turn = 0;
    let start = Instant::now();
    while !rig.sim.wait_webhooks_idle(Duration::from_millis(100)).await {
        assert!(
            start.elapsed() < WAIT,
            "the sandbox never delivered everything"
        );
        turn += 1;
        rig.sim.set_webhook_url(hook(turn));
    }
    until("every message to be stored", || async {
        rig.messages().await.len() >= 2000
    })
    .await;
    let stored = rig.messages().await;
    let wamids: HashSet<String> = stored
        .iter()
        .filter_map(|m| m.external_id.clone())
        .collect();
    assert_eq!(stored.len(), 2000, "each stored once");
    assert_eq!(wamids, storm.wamids.iter().cloned().collect::<HashSet<_>>());
    for mut c in children {
        kill9(&mut c);
    }
    rig.sim.shutdown().await;
}

on_both_backends!(
    sends_spread_over_replicas_one_killed;
    postgres_only: inbound_spread_over_replicas
);
