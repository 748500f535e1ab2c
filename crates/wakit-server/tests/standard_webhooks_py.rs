//! wakit's webhook signatures (`deliveries::signature`) checked by the reference Python
//! implementation: the `standardwebhooks` package (pinned by
//! tests/webhooks_py/requirements.txt, installed into target/py-webhooks by .ci/run)
//! accepts what wakit signs — with a new secret, and with either secret while one
//! rotates — and refuses a changed body or another secret.
//!
//! Without the virtualenv the check is skipped with a loud NOTE, except under `CI=true`.

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::auth::exactly;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use wakit_server::deliveries::signature::{new_secret, sign};

const VERSION: &str = "1.1.0";

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-webhooks/bin/python")
}

fn standardwebhooks_ready() -> bool {
    let python = python();
    let probe = external::probe(
        python.to_str().expect("path"),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('standardwebhooks'))",
        ],
    );
    external::ready(
        "standardwebhooks",
        "python3 -m venv target/py-webhooks && target/py-webhooks/bin/pip install -r crates/wakit-server/tests/webhooks_py/requirements.txt",
        exactly("standardwebhooks", probe, VERSION),
    )
}

#[test]
fn the_reference_implementation_accepts_wakits_signatures() {
    if !standardwebhooks_ready() {
        return;
    }
    let (old, new, other) = (new_secret(), new_secret(), new_secret());
    let at = chrono::Utc::now().timestamp();
    let body = r#"{"seq":7,"type":"messages.insert","entity":"messages","action":"insert","data":{"text":"¿Siguen abiertos?"}}"#;
    let id = "evt_7";
    let one = sign(&[&new], id, at, body.as_bytes()).expect("signed");
    let both = sign(&[&new, &old], id, at, body.as_bytes()).expect("signed");
    let case = |secret: &str, body: &str, signature: &str| json!({"secret": secret, "id": id, "timestamp": at, "body": body, "signature": signature});
    let cases = json!([
        case(&new, body, &one),
        case(&new, body, &both),
        case(&old, body, &both),
        case(&other, body, &both),
        case(&new, &body.replace('7', "8"), &one),
    ]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhooks_py/verify.py");
    let got = external::run_on(
        python().to_str().expect("path"),
        &script,
        "webhooks",
        &cases,
    );
    let verdicts = got.as_array().expect("one verdict per case");
    let accepted: Vec<bool> = verdicts.iter().map(|v| *v == Value::Bool(true)).collect();
    assert_eq!(accepted, [true, true, true, false, false], "{got}");
}
