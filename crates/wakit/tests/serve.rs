//! `wakit serve` as a real process: it answers ping, exits cleanly on SIGTERM, and stops
//! by itself when the process that started it dies (`WAKIT_EXIT_WITH_PARENT`).

mod procs;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Starts `wakit serve --listen 127.0.0.1:0` on the default database under `data` with
/// `envs`, and reads its banner; returns the process and its base URL.
async fn serve(data: &std::path::Path, envs: &[(&str, &str)]) -> (procs::Proc, String) {
    let mut cmd = procs::wakit();
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("WAKIT_DATA_DIR", data)
        .env_remove("WAKIT_DATABASE_URL")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = procs::Proc::spawn(&mut cmd);
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
    (child, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_ping_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut child, base) = serve(dir.path(), &[]).await;

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

/// A parent killed with SIGKILL cannot stop its children; `WAKIT_EXIT_WITH_PARENT=1` (set
/// for every process the tests start) makes the orphaned server stop by itself.
#[test]
fn serve_stops_when_its_parent_is_killed() {
    let dir = tempfile::tempdir().expect("tmp");
    // sh starts wakit serve in the background, prints its pid, and waits.
    let mut shell = procs::Proc::spawn(
        Command::new("sh")
            .args(["-c", "\"$0\" serve --listen 127.0.0.1:0 & echo $!; wait"])
            .arg(env!("CARGO_BIN_EXE_wakit"))
            .env(procs::MARKER, std::process::id().to_string())
            .env("WAKIT_EXIT_WITH_PARENT", "1")
            .env("WAKIT_DATA_DIR", dir.path())
            .env_remove("WAKIT_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let stdout = shell.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let pid: u32 = lines
        .next()
        .expect("a line")
        .expect("read")
        .trim()
        .parse()
        .expect("pid");
    // The banner: the server is up.
    let banner = lines.next().expect("banner").expect("read");
    assert!(banner.contains("wakit listening"), "{banner}");
    assert!(procs::alive(pid));

    shell.kill().expect("SIGKILL the parent");
    let _ = shell.wait();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while procs::alive(pid) {
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("wakit serve (pid {pid}) kept running 30 s after its parent died");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Meta secrets shorter than the minimum stop the start with a sentence naming the
/// setting; an empty app secret counts as unset (the server starts, warns, and refuses
/// webhook POSTs as it does without one).
#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_short_secrets_and_treats_an_empty_one_as_unset() {
    for (name, value) in [("WAKIT_APP_SECRET", "short"), ("WAKIT_VERIFY_TOKEN", "abc")] {
        let dir = tempfile::tempdir().expect("tmp");
        let err = dir.path().join("stderr");
        let mut child = procs::Proc::spawn(
            procs::wakit()
                .args(["serve", "--listen", "127.0.0.1:0"])
                .env("WAKIT_DATA_DIR", dir.path())
                .env_remove("WAKIT_DATABASE_URL")
                .env(name, value)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&err).expect("stderr file")),
        );
        // Bounded: a server that accepts the secret keeps running and fails the test.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name}={value} was accepted: the server is running"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert!(!status.success());
        let stderr = std::fs::read_to_string(&err).expect("stderr");
        assert!(
            stderr.contains(name) && stderr.contains("at least 16"),
            "{stderr}"
        );
    }

    let dir = tempfile::tempdir().expect("tmp");
    let (_child, base) = serve(dir.path(), &[("WAKIT_APP_SECRET", "")]).await;
    let body = b"{\"object\":\"whatsapp_business_account\",\"entry\":[]}".to_vec();
    let forged = wakit_meta::signature::sign(b"", &body);
    let r = reqwest::Client::new()
        .post(format!("{base}/functions/v1/whatsapp-webhook"))
        .header("X-Hub-Signature-256", forged)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 503, "signed with an empty key, yet not refused");
}
