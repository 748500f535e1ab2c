//! Crash safety with `kill -9`: the real `wakit serve` process, the sandbox as Meta
//! (retrying unacknowledged webhooks like Meta does), on both backends.
//!
//! * A storm of 2,000 signed inbound messages; the server is killed mid-storm and
//!   restarted: every message ends up stored exactly once. On SQLite the restarted
//!   process resumes the dead one's leases at once (the leases here last an hour).
//! * A bulk send; the server is killed mid-send and restarted: no message reaches Meta
//!   twice, every message Meta took has its wamid, and the rest were sent after the
//!   restart or failed as "outcome unknown".
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{HashMap, HashSet};
use wakit_core::{MessageContent, MessageStatus, Phone};
use wakit_sim::Inbound;
use wakit_store::{NewOutgoing, Priority};
use wakit_store_tests::{Backend, TestStore};

mod common;
mod procs;

use common::rig::{Rig, WAIT, kill9, until};

async fn inbound_storm_survives_kill_9(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    // SQLite: an hour-long lease, so the messages the killed process had leased only
    // appear in time if the restarted one resumes them at once. PostgreSQL: replicas'
    // leases run out (3 s here).
    let lease: &[&str] = match backend {
        Backend::Sqlite => &["--job-lease-seconds", "3600"],
        Backend::Postgres => &[],
    };
    let mut server = rig.serve_with(lease).await;
    let storm = rig
        .sim
        .storm(&rig.account.phone_number_id, 2000, 4, 20)
        .unwrap();
    until("part of the storm to be acknowledged", || async {
        rig.sim.stats().webhooks.delivered >= 100
    })
    .await;
    kill9(&mut server);
    let restarted = std::time::Instant::now();
    let mut server = rig.serve_with(lease).await;
    assert!(
        rig.sim.wait_webhooks_idle(WAIT).await,
        "the sandbox delivered every body"
    );
    until("every message to be processed", || async {
        rig.messages().await.len() >= 2000
    })
    .await;
    eprintln!(
        "{backend:?}: every message stored {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    let stored = rig.messages().await;
    let wamids: Vec<_> = stored
        .iter()
        .filter_map(|m| m.external_id.clone())
        .collect();
    let unique: HashSet<_> = wamids.iter().cloned().collect();
    assert_eq!(stored.len(), 2000, "each message stored once");
    assert_eq!(unique.len(), 2000);
    assert_eq!(unique, storm.wamids.iter().cloned().collect::<HashSet<_>>());
    kill9(&mut server);
    rig.sim.shutdown().await;
}

async fn bulk_send_survives_kill_9_without_duplicates(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let mut server = rig.serve().await;
    let customer = "5215551234567";
    rig.sim
        .customer_writes(
            &rig.account.phone_number_id,
            customer,
            Some("Ana"),
            Inbound::text("hola"),
        )
        .unwrap();
    until("the customer's message", || async {
        !rig.messages().await.is_empty()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..400 {
        let out = NewOutgoing {
            account_id: rig.account.id,
            to: Phone::parse(customer).unwrap().into(),
            content: MessageContent::text(format!("promo {i}")),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        ids.push(
            rig.ts
                .store
                .enqueue_outgoing(rig.account.org_id, out)
                .await
                .unwrap()
                .message
                .id,
        );
    }
    until("part of the bulk send", || async {
        rig.sim.stats().accepted >= 60
    })
    .await;
    kill9(&mut server);
    let mut server = rig.serve().await;
    let (org, store) = (rig.account.org_id, rig.ts.store.clone());
    until("every message to settle", || {
        let (store, ids) = (store.clone(), ids.clone());
        async move {
            for id in ids {
                if store.get_message(org, id).await.unwrap().status == MessageStatus::Pending {
                    return false;
                }
            }
            true
        }
    })
    .await;

    let mut sends: HashMap<String, Vec<String>> = HashMap::new();
    for s in rig.sim.sent_messages() {
        if let Some(id) = s.biz_opaque_callback_data {
            sends.entry(id).or_default().push(s.wamid);
        }
    }
    let mut unknown = 0;
    for id in &ids {
        let m = store.get_message(org, *id).await.unwrap();
        match sends.get(&id.to_string()) {
            Some(wamids) => {
                assert_eq!(
                    wamids.len(),
                    1,
                    "message {id} reached Meta {} times",
                    wamids.len()
                );
                assert_eq!(m.external_id.as_deref(), Some(wamids[0].as_str()), "{m:?}");
            }
            None => {
                assert_eq!(
                    m.status,
                    MessageStatus::Failed,
                    "never sent, so failed: {m:?}"
                );
                assert_eq!(m.error.as_ref().unwrap()[0]["code"], "send_outcome_unknown");
                unknown += 1;
            }
        }
    }
    eprintln!(
        "bulk crash: {} sent once, {unknown} failed as outcome unknown",
        ids.len() - unknown
    );
    kill9(&mut server);
    rig.sim.shutdown().await;
}

on_both_backends!(
    inbound_storm_survives_kill_9,
    bulk_send_survives_kill_9_without_duplicates
);
