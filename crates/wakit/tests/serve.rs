//! `wakit serve` as a real process: it answers ping and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_ping_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wakit"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("WAKIT_DATA_DIR", dir.path())
        .env_remove("WAKIT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn wakit serve");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("read banner");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("banner has the URL")
        .to_string();

    let ping: serde_json::Value = reqwest::get(format!("{base}/functions/v1/api/ping"))
        .await
        .expect("ping")
        .json()
        .await
        .expect("json");
    assert_eq!(ping["db"], "connected");
    assert_eq!(ping["backend"], "sqlite");
    assert!(
        dir.path().join("wakit.db").exists(),
        "the default database was created"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    // Bounded wait: a server that ignores SIGTERM fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("wakit serve did not exit within 20 s of SIGTERM");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit on SIGTERM, got {status:?}");
}
