//! Attacks on the connection layer with the default settings (issue 21, point 1): slow
//! headers, one IP holding connections, and uploads the server reads before it knows
//! who is asking. Each test reproduces the attack over plain sockets on 127.0.0.1.

mod common;

use common::raw::{Seen, head, seen, send_raw};
use common::{APP_SECRET, start};
use std::time::{Duration, Instant};
use wakit_store_tests::{Backend, TestStore};

/// Longest any test here waits for the server to act (the defaults act within 10 s).
const BOUND: Duration = Duration::from_secs(25);

async fn server() -> (TestStore, common::Running) {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let srv = start(&ts, false).await;
    (ts, srv)
}

/// Connections that never finish their headers are closed (header-read timeout), so a
/// few hundred of them cannot hold the server's file descriptors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_headers_are_cut_off() {
    let (_ts, srv) = server().await;
    let partial = "GET /functions/v1/api/ping HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n";
    let mut conns = Vec::new();
    for _ in 0..40 {
        conns.push(send_raw(&srv.base, partial.as_bytes()).await);
    }
    let start = Instant::now();
    for conn in &mut conns {
        let left = BOUND.saturating_sub(start.elapsed());
        match seen(conn, left).await {
            Seen::Open => panic!("a connection with unfinished headers stayed open {BOUND:?}"),
            // hyper may answer 408 before closing; either way the connection ends.
            Seen::Closed | Seen::Answered(_) => {}
        }
    }
    // The server still answers.
    let ping = reqwest::get(format!("{}/ping", srv.base))
        .await
        .expect("ping");
    assert_eq!(ping.status(), 200);
}

/// One IP opening more than its share of idle connections gets the excess closed at
/// once (per-IP cap, 256 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ip_cannot_hold_every_connection() {
    let (_ts, srv) = server().await;
    let mut conns = Vec::new();
    for _ in 0..300 {
        conns.push(send_raw(&srv.base, b"").await);
    }
    let mut closed = 0;
    for conn in &mut conns {
        if seen(conn, Duration::from_millis(20)).await == Seen::Closed {
            closed += 1;
        }
    }
    assert!(
        closed >= 300 - 256,
        "only {closed} of 300 idle connections from one IP were refused"
    );
    drop(conns);
}

/// An unauthenticated chunked upload that never ends is not read: a 404 path and an
/// API route without a key answer at once, with the body still coming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_not_read_before_the_key_check() {
    let (_ts, srv) = server().await;
    let root = srv.root();
    for (url, status) in [
        (format!("{root}/no/such/path"), "404"),
        (format!("{}/messages", srv.base), "401"),
    ] {
        let mut req = head(
            "POST",
            &url,
            &[
                "Content-Type: application/json",
                "Transfer-Encoding: chunked",
            ],
        )
        .into_bytes();
        let chunk = vec![b'x'; 64 * 1024];
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
        let mut conn = send_raw(&url, &req).await;
        match seen(&mut conn, Duration::from_secs(5)).await {
            Seen::Answered(answer) => assert!(
                answer.starts_with(&format!("HTTP/1.1 {status}")),
                "{url}: {answer}"
            ),
            other => panic!("{url}: no answer while the upload stalls ({other:?})"),
        }
    }
}

/// A webhook POST whose body stalls is answered 408 after the body timeout instead of
/// holding the connection (and its buffer) as long as the client likes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_webhook_body_times_out() {
    let (_ts, srv) = server().await;
    let signature = wakit_meta::signature::sign(APP_SECRET, b"{}");
    let sig = format!("X-Hub-Signature-256: {signature}");
    let mut req = head(
        "POST",
        &srv.webhook,
        &[
            "Content-Type: application/json",
            "Content-Length: 100000",
            &sig,
        ],
    )
    .into_bytes();
    req.extend_from_slice(b"{\"object\":");
    let mut conn = send_raw(&srv.webhook, &req).await;
    match seen(&mut conn, BOUND).await {
        Seen::Answered(answer) => {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(answer.contains("request_timeout"), "{answer}");
        }
        other => panic!("a stalled webhook body was not cut off: {other:?}"),
    }
}

/// An authenticated upload that stalls is answered 408 after the body timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_api_body_times_out() {
    let (ts, srv) = server().await;
    let org = ts.store.create_org("Org", "UTC").await.expect("org");
    let key = common::sandbox::new_key(&*ts.store, org.id).await;
    let auth = format!("Authorization: Bearer {key}");
    let url = format!("{}/messages", srv.base);
    let mut req = head(
        "POST",
        &url,
        &[
            "Content-Type: application/json",
            "Content-Length: 5000",
            &auth,
        ],
    )
    .into_bytes();
    req.extend_from_slice(b"{\"text\":");
    let mut conn = send_raw(&url, &req).await;
    match seen(&mut conn, BOUND).await {
        Seen::Answered(answer) => assert!(answer.starts_with("HTTP/1.1 408"), "{answer}"),
        other => panic!("a stalled API body was not cut off: {other:?}"),
    }
}
