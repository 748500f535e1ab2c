//! A flood of refused requests does not become a flood of log lines (issue 21, point
//! 4): bad-signature webhooks and invalid API keys are logged at most once a second
//! per kind, with a count. The log is captured by a subscriber installed for this test
//! program alone.

mod common;

use common::start;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wakit_store_tests::{Backend, TestStore};

/// The captured log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines_with(&self, text: &str) -> usize {
        let log = self.0.lock().expect("lock");
        String::from_utf8_lossy(&log)
            .lines()
            .filter(|l| l.contains(text))
            .count()
    }
}

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
