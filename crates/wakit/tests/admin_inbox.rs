//! `wakit admin inbox retry`: failed bodies by default, and with `--ignored` the bodies
//! kept because they held items wakit did not handle, queued for the worker again.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
mod procs;

use chrono::Utc;
use wakit_store::{InboxOutcome, PROCESS_WEBHOOK};
use wakit_store_tests::{Backend, TestStore};

/// `wakit admin inbox retry <extra> --json` on the test database; its `queued` count.
fn retry(ts: &TestStore, extra: &[&str]) -> u64 {
    let data_dir = tempfile::tempdir().unwrap();
    let out = procs::wakit()
        .args(["admin", "inbox", "retry", "--json"])
        .args(extra)
        .env("WAKIT_DATA_DIR", data_dir.path())
        .env("WAKIT_DATABASE_URL", &ts.url)
        .env("WAKIT_SECRET_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{extra:?}: {stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    answer["queued"].as_u64().unwrap()
}

async fn retry_ignored_replays_ignored_bodies(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let store = &ts.store;
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":{}}]}]}"#;
    let item = store.inbox_put(body, None, Utc::now()).await.unwrap();
    // Processed as the worker does when it meets a field it does not handle.
    let job = store
        .claim_jobs(
            &[PROCESS_WEBHOOK],
            1,
            chrono::Duration::seconds(30),
            Utc::now(),
        )
        .await
        .unwrap()
        .remove(0);
    let outcome = InboxOutcome::Ignored("ignored: field calls".into());
    let lease = (job.id, job.lease_token.unwrap());
    store
        .inbox_finish_batch(&[(item.id, outcome)], &[lease], Utc::now())
        .await
        .unwrap();

    let cli_ts = &ts;
    let failed = tokio::task::block_in_place(|| retry(cli_ts, &[]));
    assert_eq!(failed, 0, "a plain retry leaves ignored bodies alone");
    assert_eq!(store.inbox_get(item.id).await.unwrap().state, "ignored");
    let ignored = tokio::task::block_in_place(|| retry(cli_ts, &["--ignored"]));
    assert_eq!(ignored, 1);
    assert_eq!(store.inbox_get(item.id).await.unwrap().state, "pending");
    let queued = store
        .claim_jobs(
            &[PROCESS_WEBHOOK],
            10,
            chrono::Duration::seconds(30),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "the worker has it to process again");
}

on_both_backends!(retry_ignored_replays_ignored_bodies);
