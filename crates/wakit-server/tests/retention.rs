//! The retention worker, started with the server's workers, prunes at its interval: a
//! webhook body processed longer ago than the policy keeps disappears on its own, a
//! recent one stays, and the deletion is counted in the metrics.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::Utc;
use std::time::Duration;
use wakit_server::workers::retention::RetentionConfig;
use wakit_server::{AppState, ServeOptions, WebhookConfig};
use wakit_store::{InboxOutcome, PROCESS_WEBHOOK, StoreError};
use wakit_store_tests::{Backend, TestStore};

async fn old_rows_are_pruned_while_the_server_runs(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let store = ts.store.clone();
    // Two bodies processed before the server starts: one 8 days ago (past the 7 days
    // kept by default), one now.
    let now = Utc::now();
    let eight_days_ago = now - chrono::Duration::days(8);
    let old = store
        .inbox_put(b"{\"old\":true}", None, eight_days_ago)
        .await
        .unwrap();
    let new = store.inbox_put(b"{\"new\":true}", None, now).await.unwrap();
    let jobs = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, chrono::Duration::seconds(30), now)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    let leases: Vec<_> = jobs
        .iter()
        .map(|j| (j.id, j.lease_token.unwrap()))
        .collect();
    store
        .inbox_finish_batch(&[(old.id, InboxOutcome::Done)], &leases, eight_days_ago)
        .await
        .unwrap();
    store.inbox_finish(new.id, None, now).await.unwrap();

    let metrics = wakit_server::metrics::handle().expect("recorder");
    let state = AppState {
        api: Default::default(),
        store: store.clone(),
        webhook: WebhookConfig::default(),
        meta: None,
    };
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        workers: true,
        retention: RetentionConfig {
            interval: Duration::from_millis(100),
            ..RetentionConfig::default()
        },
        ..ServeOptions::default()
    };
    let srv = common::serve_state(state, options).await;
    let mut gone = false;
    for _ in 0..200 {
        match store.inbox_get(old.id).await {
            Err(StoreError::NotFound(_)) => {
                gone = true;
                break;
            }
            other => {
                other.unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the old body was not pruned");
    assert_eq!(store.inbox_get(new.id).await.unwrap().state, "done");

    // Both backends' tests share the process's counter: at least this one deletion.
    let rendered = metrics.render();
    let counted = rendered
        .lines()
        .find_map(|l| l.strip_prefix("wakit_retention_deleted_total{table=\"inbox_done\"} "))
        .and_then(|n| n.trim().parse::<f64>().ok());
    assert!(counted.is_some_and(|n| n >= 1.0), "{rendered}");

    srv.stop().await;
}

on_both_backends!(old_rows_are_pruned_while_the_server_runs);
