//! `GET /ready` names a background worker that is down (between a panic and its
//! restart) and answers 503 meanwhile; once it runs again, 200.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio_util::task::TaskTracker;
use wakit_server::workers::supervisor::{Health, supervise};
use wakit_server::{ApiConfig, AppState, ServeOptions};
use wakit_store_tests::{Backend, TestStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_names_a_worker_that_is_down() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let health = Arc::new(Health::default());
    let state = AppState {
        api: ApiConfig {
            workers: health.clone(),
            ..ApiConfig::default()
        },
        store: ts.store.clone(),
        webhook: Default::default(),
        meta: None,
    };
    let options = ServeOptions {
        workers: false,
        ..ServeOptions::default()
    };
    let server = common::serve_state(state, options).await;
    let shutdown = server.shutdown.clone();
    let ready = format!("{}/ready", server.base);
    let get = || async {
        let r = reqwest::get(&ready).await.expect("GET /ready");
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.expect("json"))
    };
    assert_eq!(get().await.0, 200);

    // A worker that panics on its first two runs, then works.
    let (tracker, runs) = (TaskTracker::new(), Arc::new(AtomicU32::new(0)));
    let (r, cancel) = (runs.clone(), shutdown.clone());
    supervise(
        &tracker,
        health.clone(),
        "chaos".into(),
        shutdown.clone(),
        move || {
            let (r, cancel) = (r.clone(), cancel.clone());
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("injected failure");
                }
                cancel.cancelled().await;
            }
        },
    );
    let mut saw_down = false;
    for _ in 0..300 {
        let (status, body) = get().await;
        if status == 503 {
            assert_eq!(body["workers_down"], serde_json::json!(["chaos"]), "{body}");
            assert_eq!(body["status"], "unavailable");
            saw_down = true;
        } else if saw_down && runs.load(Ordering::SeqCst) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(saw_down, "the panicked worker was reported down");
    let (status, body) = get().await;
    assert_eq!(status, 200, "running again: {body}");
    assert!(body.get("workers_down").is_none(), "{body}");
    shutdown.cancel();
    tracker.close();
    server.stop().await;
}
