//! AI agent turns with several worker replicas on one database: ten customers write at
//! once and each gets exactly one answer. Replicas share a database on PostgreSQL only,
//! so there the world's server runs with a second worker process; SQLite (one worker per
//! database file) runs the same load on its one server.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::agents::{agent_world, settings, texts_to, turns_settled, wait_texts};
use tokio_util::sync::CancellationToken;
use wakit_server::{AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_store_tests::Backend;
use wakit_store_tests::fixture::secret_box;

const CUSTOMERS: usize = 10;

async fn one_server_answers_each_customer_once(backend: Backend) {
    each_customer_answered_once(backend, 0).await;
}

async fn two_replicas_answer_each_customer_once(backend: Backend) {
    each_customer_answered_once(backend, 1).await;
}

async fn each_customer_answered_once(backend: Backend, more: usize) {
    let Some((w, _)) = agent_world(backend, settings(1, None)).await else {
        return;
    };
    let stop = CancellationToken::new();
    let mut replicas = Vec::new();
    for _ in 0..more {
        let state = AppState {
            store: w.ts.store.clone(),
            webhook: WebhookConfig::default(),
            meta: Some(MetaConfig {
                graph: wakit_meta::GraphClient::new(w.sim.base_url()).unwrap(),
                secrets: secret_box(),
                dispatch: common::sandbox::fast_dispatch(),
            }),
            api: Default::default(),
        };
        replicas.push(tokio::spawn(wakit_server::work(
            state,
            stop.clone(),
            ServeOptions::default(),
        )));
    }
    let customers: Vec<String> = (0..CUSTOMERS).map(|i| format!("52155577{i:05}")).collect();
    for (i, c) in customers.iter().enumerate() {
        w.customer_writes(c, &format!("question {i}")).await;
    }
    for (i, c) in customers.iter().enumerate() {
        assert_eq!(
            wait_texts(&w, c, 1).await,
            [format!("You said: question {i}")]
        );
    }
    turns_settled(&w).await;
    for c in &customers {
        assert_eq!(texts_to(&w, c).len(), 1, "{c} answered once");
    }
    assert_eq!(w.sim.model_requests().len(), CUSTOMERS);
    stop.cancel();
    for r in replicas {
        r.await.unwrap().unwrap();
    }
    w.stop().await;
}

on_both_backends!(
    one_server_answers_each_customer_once;
    postgres_only: two_replicas_answer_each_customer_once
);
