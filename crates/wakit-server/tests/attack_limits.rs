//! The connection limits as settings (`ServeOptions::connections`): the global cap holds
//! whoever opens the connections, and the timeouts are the configured ones.

mod common;

use common::Running;
use common::raw::{Seen, head, seen, send_raw};
use std::time::Duration;
use wakit_server::conn::ConnLimits;
use wakit_server::{AppState, ServeOptions};
use wakit_store_tests::{Backend, TestStore};

async fn start_limited(ts: &TestStore, connections: ConnLimits) -> Running {
    let state = AppState {
        api: Default::default(),
        store: ts.store.clone(),
        webhook: Default::default(),
        meta: None,
    };
    let options = ServeOptions {
        workers: false,
        connections,
        ..ServeOptions::default()
    };
    common::serve_state(state, options).await
}

/// With the global cap reached by idle connections, the next request is not served
/// until the header timeout frees a place; then it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_cap_holds_and_frees_up() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let limits = ConnLimits {
        max_connections: 5,
        max_connections_per_ip: 0,
        header_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(60),
    };
    let srv = start_limited(&ts, limits).await;
    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(send_raw(&srv.base, b"GET /functions/v1/api/ping HTTP/1.1\r\n").await);
    }
    let ping = head("GET", &format!("{}/ping", srv.base), &["Connection: close"]);
    let mut late = send_raw(&srv.base, ping.as_bytes()).await;
    assert_eq!(
        seen(&mut late, Duration::from_millis(500)).await,
        Seen::Open,
        "served past the cap"
    );
    match seen(&mut late, Duration::from_secs(15)).await {
        Seen::Answered(a) => assert!(a.starts_with("HTTP/1.1 200"), "{a}"),
        other => panic!("never served once the idle connections timed out: {other:?}"),
    }
    for conn in &mut idle {
        assert_ne!(seen(conn, Duration::from_secs(5)).await, Seen::Open);
    }
}

/// A client that stops reading its answers is cut off after the idle timeout: its
/// pipelined requests do not pin the connection forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_off() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let limits = ConnLimits {
        idle_timeout: Duration::from_secs(1),
        ..ConnLimits::default()
    };
    let srv = start_limited(&ts, limits).await;
    let one = head("GET", &format!("{}/openapi.json", srv.base), &[]);
    // Enough pipelined requests that the answers fill both socket buffers.
    let mut conn = send_raw(&srv.base, b"").await;
    let writer = async {
        use tokio::io::AsyncWriteExt;
        for _ in 0..1_000_000 {
            if conn.write_all(one.as_bytes()).await.is_err() {
                return true;
            }
        }
        false
    };
    let cut = tokio::time::timeout(Duration::from_secs(20), writer).await;
    assert_eq!(cut.ok(), Some(true), "the connection was not closed");
}
