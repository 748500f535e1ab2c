//! Worker replicas on one database with the sandbox as Meta: a number's configured rate
//! is the total over all replicas, and every message is sent exactly once. Several
//! replicas share a database on PostgreSQL only (pacing shared through the database);
//! SQLite runs one worker per database file, pacing in memory, which is what its test
//! runs: one server holds the rate alone.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{STORE_WAIT, fast_dispatch, world};
use std::collections::HashMap;
use tokio_util::sync::CancellationToken;
use wakit_core::{MessageContent, Phone};
use wakit_server::{AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_sim::Quirks;
use wakit_store::{NewOutgoing, Priority};
use wakit_store_tests::fixture::secret_box;
use wakit_store_tests::{Backend, TestStore};

const MESSAGES: usize = 120;

async fn one_server_holds_the_rate(backend: Backend) {
    rate_held_by(backend, 0).await;
}

async fn three_replicas_hold_the_total_rate(backend: Backend) {
    rate_held_by(backend, 2).await;
}

/// The world's server and `more` worker replicas send 120 messages from a number
/// wakit is told takes 30/s (Meta takes 40/s).
async fn rate_held_by(backend: Backend, more: usize) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let (org, acct) = (w.account.org_id, w.account.id);
    // Meta takes 40/s from this number; wakit is told 30/s.
    w.sim
        .set_throughput(&w.account.phone_number_id, 40)
        .unwrap();
    w.ts.store
        .set_account_max_mps(org, acct, Some(30))
        .await
        .unwrap();

    let stop = CancellationToken::new();
    let mut replicas = Vec::new();
    for _ in 0..more {
        let state = AppState {
            store: w.ts.store.clone(),
            webhook: WebhookConfig::default(),
            meta: Some(MetaConfig {
                graph: wakit_meta::GraphClient::new(w.sim.base_url()).unwrap(),
                secrets: secret_box(),
                dispatch: fast_dispatch(),
            }),
            api: Default::default(),
        };
        replicas.push(tokio::spawn(wakit_server::work(
            state,
            stop.clone(),
            ServeOptions::default(),
        )));
    }
    let mut ids = Vec::new();
    for i in 0..MESSAGES {
        let out = NewOutgoing {
            account_id: acct,
            to: Phone::parse(&format!("52155500{i:05}")).unwrap().into(),
            content: MessageContent::text("aviso"),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        ids.push(
            w.ts.store
                .enqueue_outgoing(org, out)
                .await
                .unwrap()
                .message
                .id,
        );
    }
    let done = w
        .wait_all(&ids, STORE_WAIT, |m| m.external_id.is_some())
        .await;
    assert!(
        done.iter().all(|m| m.external_id.is_some()),
        "every message sent"
    );
    assert_eq!(
        w.sim.stats().rejected_with(130429),
        0,
        "the replicas together stayed under Meta's throughput"
    );
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for m in w.sim.sent_messages() {
        *per_message
            .entry(m.biz_opaque_callback_data.unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(per_message.len(), MESSAGES);
    assert!(per_message.values().all(|n| *n == 1), "none sent twice");
    stop.cancel();
    for r in replicas {
        r.await.unwrap().unwrap();
    }
    w.stop().await;
}

on_both_backends!(
    one_server_holds_the_rate;
    postgres_only: three_replicas_hold_the_total_rate
);
