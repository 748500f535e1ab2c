//! An independent parser in the loop: pywa (pinned in tests/pywa/requirements.txt)
//! parses every kind of webhook body the sandbox emits into its typed update, and its
//! Graph client runs its calls against the sandbox (tests/pywa/check_client.py).
//!
//! Without python3 or pywa 4.5.0 the checks are skipped with a loud NOTE, except under
//! `CI=true`, where that is a failure (.ci/run installs the requirements first).

mod common;

use common::emit::capture_every_kind;
use common::external::{assert_every_kind_parsed, probe, ready, run_on, script, webhook_input};
use common::*;
use serde_json::{Value, json};
use wakit_sim::{Inbound, Quirks, Sender, TemplateSpec};

const PYWA_VERSION: &str = "4.5.0";

/// Whether python3 with pywa 4.5.0 is there (see [`ready`]).
fn pywa_ready() -> bool {
    let found =
        probe("python3", &["-c", "import pywa; print(pywa.__version__)"]).and_then(|version| {
            if version == PYWA_VERSION {
                Ok(())
            } else {
                Err(format!("pywa {version} is installed, not {PYWA_VERSION}"))
            }
        });
    ready(
        "pywa",
        "python3 -m pip install -r crates/wakit-sim/tests/pywa/requirements.txt",
        found,
    )
}

#[tokio::test]
async fn pywa_parses_every_webhook_kind() {
    if !pywa_ready() {
        return;
    }
    let bodies = capture_every_kind().await;
    let input = webhook_input(common::SECRET, bodies.clone());
    let out = run_on(
        "python3",
        &script("pywa", "check_webhooks.py"),
        "pywa",
        &input,
    );
    assert_every_kind_parsed("pywa", &bodies, &out);
}

#[tokio::test]
async fn pywa_client_calls_behave_against_the_sandbox() {
    if !pywa_ready() {
        return;
    }
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    for (name, category, body) in [
        ("order_update", "UTILITY", "Hi {{1}}, order {{2}}"),
        ("login_code", "AUTHENTICATION", "Your code is {{1}}"),
    ] {
        sim.add_template(WABA, TemplateSpec::body(name, "en_US", category, body))
            .expect("template");
    }
    let inbound = sim
        .sender_writes(
            PNID,
            Sender::phone(CUSTOMER).with_username("@jane"),
            Inbound::text("hi"),
        )
        .expect("customer writes");
    let cfg = json!({"origin": sim.base_url().trim_end_matches(wakit_sim::GRAPH_VERSION)
                        .trim_end_matches('/'),
        "token": TOKEN, "phone_id": PNID, "waba_id": WABA, "customer": CUSTOMER,
        "customer_bsuid": sim.customer_bsuid(CUSTOMER), "inbound_wamid": inbound,
        "template": "order_update", "auth_template": "login_code"});
    // The client is synchronous: run it off the runtime the sandbox serves on.
    let out = tokio::task::spawn_blocking(move || {
        run_on(
            "python3",
            &script("pywa", "check_client.py"),
            "pywa-client",
            &cfg,
        )
    })
    .await
    .expect("python task");
    let results = out["results"].as_array().expect("results");
    let failures: Vec<&Value> = results.iter().filter(|r| r["ok"] != true).collect();
    eprintln!(
        "pywa {} client: {} of {} calls behave as Meta documents",
        out["version"],
        results.len() - failures.len(),
        results.len()
    );
    assert!(
        failures.is_empty(),
        "pywa client calls misbehaved: {failures:#?}"
    );
    assert!(
        results.len() >= 40,
        "the call list shrank: {}",
        results.len()
    );
}
