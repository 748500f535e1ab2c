//! A flood of refused requests does not become a flood of log lines (issue 21, point
//! 4): bad-signature webhooks and invalid API keys are logged at most once a second
//! per kind, with a count. The log is captured by a subscriber installed for this test
//! program alone.

mod common;

use common::log::Captured;
use common::start;
use std::time::Instant;
use wakit_store_tests::{Backend, TestStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_logged_by_sample() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let srv = start(&ts, false).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    for _ in 0..200 {
        let r = http
            .post(&srv.webhook)
            .header("X-Hub-Signature-256", "sha256=00")
            .body("{}")
            .send()
            .await
            .expect("post");
        assert!([401, 429].contains(&r.status().as_u16()), "{}", r.status());
    }
    let seconds = started.elapsed().as_secs() as usize;
    let lines = log.lines_with("bad signature");
    assert!(
        lines <= seconds + 2,
        "{lines} log lines for 200 bad signatures in {seconds} s"
    );
    assert!(lines >= 1, "the refusals are logged at all");
}
