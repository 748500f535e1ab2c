//! An independent parser in the loop: pywa (pinned in tests/pywa/requirements.txt)
//! parses every kind of webhook body the sandbox emits into its typed update, and its
//! Graph client runs its calls against the sandbox (tests/pywa/check_client.py).
//!
//! Without python3 or pywa 4.5.0 the checks are skipped with a loud NOTE, except under
//! `CI=true`, where that is a failure (.ci/run installs the requirements first).

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use wakit_sim::{
    Inbound, MessagingLimit, Quality, Quirks, STATUS_KINDS, Sender, SimHandle, TemplateSpec,
    webhook_kind, webhook_kinds,
};

const PYWA_VERSION: &str = "4.5.0";

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pywa")
        .join(name)
}

/// `Ok(())` when python3 with pywa 4.5.0 is there; otherwise why not.
fn pywa_available() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import pywa; print(pywa.__version__)"])
        .output()
        .map_err(|e| format!("python3 cannot run: {e}"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.trim().lines().last().unwrap_or_default().to_string();
        return Err(format!("python3 cannot import pywa: {last}"));
    }
    if version != PYWA_VERSION {
        return Err(format!("pywa {version} is installed, not {PYWA_VERSION}"));
    }
    Ok(())
}

/// Whether to go on; panics under `CI=true` when pywa is missing.
fn pywa_or_skip() -> bool {
    match pywa_available() {
        Ok(()) => true,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "pywa checks cannot run under CI=true: {why} (python3 -m pip install -r crates/wakit-sim/tests/pywa/requirements.txt)"
            )
        }
        Err(why) => {
            eprintln!(
                "\n*** NOTE: pywa checks SKIPPED ({why}); install with: python3 -m pip install -r crates/wakit-sim/tests/pywa/requirements.txt ***\n"
            );
            false
        }
    }
}

/// Runs `python3 <script> <args>` and parses its stdout as JSON.
fn run_python(name: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg(script(name))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{name} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// One message of every inbound kind (interactive replies and button taps answer
/// `context`, as Meta always sends them).
fn every_inbound(context: &str) -> Vec<wakit_sim::CustomerMessage> {
    let cards = json!([{"name": {"formatted_name": "Ana López", "first_name": "Ana"},
                        "phones": [{"phone": "+1 650 555 0000", "wa_id": "16505550000", "type": "CELL"}]}]);
    vec![
        Inbound::text("Hola, ¿tienen envío? 😮").into(),
        Inbound::Image {
            caption: Some("this one".into()),
        }
        .into(),
        Inbound::Video { caption: None }.into(),
        Inbound::Audio { voice: true }.into(),
        Inbound::Audio { voice: false }.into(),
        Inbound::Document {
            filename: "invoice.pdf".into(),
            caption: Some("the invoice".into()),
        }
        .into(),
        Inbound::Sticker { animated: true }.into(),
        Inbound::Location {
            latitude: 19.43,
            longitude: -99.13,
            name: Some("Zócalo".into()),
            address: Some("Centro, CDMX".into()),
        }
        .into(),
        Inbound::Location {
            latitude: 37.46,
            longitude: -122.21,
            name: None,
            address: None,
        }
        .into(),
        Inbound::Contacts(cards).into(),
        Inbound::Reaction {
            message_id: context.into(),
            emoji: "👍".into(),
        }
        .into(),
        Inbound::Reaction {
            message_id: context.into(),
            emoji: String::new(),
        }
        .into(),
        wakit_sim::CustomerMessage::from(Inbound::Button {
            payload: "STOP".into(),
            text: "Stop promotions".into(),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::ButtonReply {
            id: "yes".into(),
            title: "Yes".into(),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::ListReply {
            id: "r1".into(),
            title: "Tomorrow".into(),
            description: Some("9-12 h".into()),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::text("a quoted reply")).replying_to(context),
        Inbound::Unsupported.into(),
    ]
}

async fn send(sim: &SimHandle, addr: Value, kind: &str, body: Value) -> String {
    let mut req = json!({"messaging_product": "whatsapp", "type": kind, kind: body,
                         "biz_opaque_callback_data": "tracker-1"});
    if let (Value::Object(r), Value::Object(a)) = (&mut req, addr) {
        r.extend(a);
    }
    let (status, answer) = graph_post(sim, &format!("/{PNID}/messages"), req).await;
    assert_eq!(status, 200, "{answer}");
    answer["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string()
}

/// Makes the sandbox emit every kind of webhook, from phone and username-only
/// customers, and sends to phones and BSUIDs.
async fn emit_everything(sim: &SimHandle) {
    let context = send(
        sim,
        json!({"to": "16505550111"}),
        "template",
        json!({"name": "hello", "language": {"code": "en_US"}}),
    )
    .await;
    let senders = [
        Sender::phone(CUSTOMER).named("Jane Phone"),
        Sender::username("@ana.username")
            .named("Ana Username")
            .country("MX"),
        Sender::phone("5215512345678").with_username("@ana.username"),
    ];
    for sender in &senders {
        for msg in every_inbound(&context) {
            sim.sender_writes(PNID, sender.clone(), msg)
                .expect("customer writes");
        }
    }
    let bsuid = sim.customer_bsuid("5215512345678").expect("bsuid");
    let text = json!({"body": "¡Hola!"});
    send(sim, json!({"to": CUSTOMER}), "text", text.clone()).await;
    send(sim, json!({"recipient": bsuid}), "text", text.clone()).await;
    // Never wrote: 131047. Unknown media id: 131053.
    send(sim, json!({"to": "16505550999"}), "text", text).await;
    send(
        sim,
        json!({"to": CUSTOMER}),
        "image",
        json!({"id": "999999999999999"}),
    )
    .await;

    let t = sim
        .add_template(
            WABA,
            TemplateSpec::body("order_update", "en_US", "UTILITY", "Hi {{1}}, order {{2}}")
                .status("PENDING"),
        )
        .expect("template");
    for status in wakit_sim::TEMPLATE_STATUSES {
        sim.set_template_status(&t.id, status).expect("status");
    }
    for q in wakit_sim::TEMPLATE_QUALITIES {
        sim.set_template_quality(&t.id, *q).expect("quality");
    }
    sim.set_quality(PNID, Quality::Red).expect("flagged");
    sim.set_quality(PNID, Quality::Green).expect("unflagged");
    sim.set_limit(PNID, MessagingLimit::Tier250)
        .expect("downgrade");
    sim.set_limit(PNID, MessagingLimit::Unlimited)
        .expect("upgrade");
    sim.set_throughput(PNID, 1000).expect("throughput");
}

#[tokio::test]
async fn pywa_parses_every_webhook_kind() {
    if !pywa_or_skip() {
        return;
    }
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    sim.add_template(
        WABA,
        TemplateSpec::body("hello", "en_US", "MARKETING", "Hello!"),
    )
    .expect("template");
    emit_everything(&sim).await;
    assert!(sim.wait_webhooks_idle(WAIT).await, "webhooks drain");

    let all_kinds = webhook_kinds();
    let mut bodies = Vec::new();
    for r in rx.accepted() {
        let kind = webhook_kind(&r.json).unwrap_or_else(|| panic!("unclassified body {}", r.json));
        assert!(
            all_kinds.contains(&kind),
            "{kind} is not in webhook_kinds()"
        );
        bodies.push(json!({"kind": kind,
            "body": String::from_utf8(r.raw.to_vec()).expect("ASCII body"),
            "signature": r.signature.clone().expect("signature header")}));
    }
    let statuses = statuses(&rx.accepted());
    assert!(
        STATUS_KINDS
            .iter()
            .all(|k| statuses.iter().any(|s| s["status"] == *k))
    );
    assert!(
        statuses.iter().any(|s| s.get("recipient_id").is_none()),
        "a status of a BSUID send is among the bodies"
    );
    assert!(
        rx.messages().iter().any(|m| m.get("from").is_none()),
        "a username-only message is among the bodies"
    );

    let input = std::env::temp_dir().join(format!("wakit-sim-pywa-{}.json", std::process::id()));
    std::fs::write(
        &input,
        serde_json::to_vec(&json!({"app_secret": SECRET, "bodies": bodies})).expect("json"),
    )
    .expect("write input");
    let out = run_python("check_webhooks.py", &[input.to_str().expect("path")]);
    let _ = std::fs::remove_file(&input);

    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), bodies.len());
    let failures: Vec<&Value> = results.iter().filter(|r| r["ok"] != true).collect();
    let mut per_kind: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for r in results.iter().filter(|r| r["ok"] == true) {
        let e = per_kind
            .entry(r["kind"].as_str().unwrap_or_default().to_string())
            .or_default();
        e.0 += 1;
        e.1 |= r["typed"] == true;
    }
    let missing: Vec<&String> = all_kinds
        .iter()
        .filter(|k| !per_kind.contains_key(*k))
        .collect();
    let typed = per_kind.values().filter(|(_, t)| *t).count();
    eprintln!(
        "pywa {}: {} bodies checked, {} of {} kinds parsed ({} into typed updates, {} raw-only: no pywa type)",
        out["pywa"],
        results.len() - failures.len(),
        per_kind.len(),
        all_kinds.len(),
        typed,
        per_kind.len() - typed
    );
    assert!(
        failures.is_empty(),
        "pywa could not parse {} bodies: {:#?}",
        failures.len(),
        failures
    );
    assert!(
        missing.is_empty(),
        "kinds never checked by pywa: {missing:?}"
    );
}

#[tokio::test]
async fn pywa_client_calls_behave_against_the_sandbox() {
    if !pywa_or_skip() {
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
    let input =
        std::env::temp_dir().join(format!("wakit-sim-pywa-client-{}.json", std::process::id()));
    std::fs::write(&input, serde_json::to_vec(&cfg).expect("json")).expect("write input");
    // The client is synchronous: run it off the runtime the sandbox serves on.
    let arg = input.to_str().expect("path").to_string();
    let out = tokio::task::spawn_blocking(move || run_python("check_client.py", &[&arg]))
        .await
        .expect("python task");
    let _ = std::fs::remove_file(&input);
    let results = out["results"].as_array().expect("results");
    let failures: Vec<&Value> = results.iter().filter(|r| r["ok"] != true).collect();
    eprintln!(
        "pywa {} client: {} of {} calls behave as Meta documents",
        out["pywa"],
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
