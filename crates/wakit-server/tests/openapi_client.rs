//! A client generated from the served OpenAPI document (openapi-python-client, pinned in
//! `tests/openapi/generator-requirements.txt`, installed into `target/py-openapi` by
//! `.ci/run`) builds without warnings and talks to the real server: its typed answers
//! parse, and an error comes back as the documented error body.

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::sandbox::{fast_dispatch, world};
use std::path::{Path, PathBuf};
use std::process::Command;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

/// The virtualenv `.ci/run` installs the generator into.
fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-openapi/bin")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_client_builds_and_talks_to_the_server() {
    let bin = venv();
    let python = bin.join("python");
    let generator = bin.join("openapi-python-client");
    let install = "python3 -m venv target/py-openapi && target/py-openapi/bin/pip install -r crates/wakit-server/tests/openapi/generator-requirements.txt";
    let available = external::probe(generator.to_str().expect("path"), &["--version"]).map(|_| ());
    if !external::ready("openapi-python-client", install, available) {
        return;
    }
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes("5215551234567", "hola").await;
    let key = w.api_key().await;
    let doc = reqwest::get(format!("{}/openapi.json", w.server.base))
        .await
        .expect("GET openapi.json")
        .bytes()
        .await
        .expect("body");
    let dir = tempfile::tempdir().expect("tmp");
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, &doc).expect("write spec");
    let out_dir = dir.path().join("client");
    // The generator formats with ruff from the same virtualenv.
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let generated = Command::new(&generator)
        .args(["generate", "--path"])
        .arg(&spec)
        .arg("--output-path")
        .arg(&out_dir)
        .env("PATH", &path)
        .output()
        .expect("run openapi-python-client");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&generated.stdout),
        String::from_utf8_lossy(&generated.stderr)
    );
    assert!(generated.status.success(), "generation failed: {report}");
    assert!(
        !report.contains("Warning"),
        "the generator warned: {report}"
    );
    let compiled = Command::new(&python)
        .args(["-m", "compileall", "-q"])
        .arg(&out_dir)
        .output()
        .expect("compileall");
    assert!(compiled.status.success(), "{compiled:?}");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/use_client.py");
    let used = tokio::task::spawn_blocking({
        let (python, base) = (python.clone(), w.server.base.clone());
        move || {
            Command::new(python)
                .arg(script)
                .arg(&out_dir)
                .arg(base)
                .arg(key)
                .output()
                .expect("run the generated client")
        }
    })
    .await
    .expect("join");
    assert!(
        used.status.success(),
        "{}",
        String::from_utf8_lossy(&used.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&used.stdout).expect("JSON");
    assert_eq!(
        answer["accounts"],
        serde_json::json!(["5215588392274"]),
        "{answer}"
    );
    assert_eq!(answer["conversations"], 1, "{answer}");
    assert_eq!(answer["first_contact"], "5215551234567", "{answer}");
    assert_eq!(answer["ping"], "ok", "{answer}");
    assert_eq!(answer["refused"], "unauthorized", "{answer}");
    w.stop().await;
}
