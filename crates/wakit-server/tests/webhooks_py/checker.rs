//! The `standardwebhooks` package (the reference Python implementation of Standard
//! Webhooks, pinned by requirements.txt, installed into target/py-webhooks by .ci/run)
//! as a judge of signatures: `verify.py` says per delivery whether
//! `Webhook(secret).verify` accepts it. Without the virtualenv the checks are skipped
//! with a loud NOTE, except under `CI=true`.

use serde_json::Value;
use std::path::{Path, PathBuf};

use super::external::{self, exactly};

/// The pinned version.
const VERSION: &str = "1.1.0";

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-webhooks/bin/python")
}

/// Whether the package is installed (else a NOTE, or a panic under `CI=true`).
pub fn ready() -> bool {
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

/// The verdicts on `cases` (`[{"secret", "id", "timestamp", "body", "signature"}]`):
/// `true` when accepted, else the error. `tag` names the input file (unique per test).
pub fn verdicts(cases: &Value, tag: &str) -> Vec<Value> {
    // From wakit-server's tests and the binary's (crates/wakit) alike.
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../wakit-server/tests/webhooks_py/verify.py");
    let got = external::run_on(python().to_str().expect("path"), &script, tag, cases);
    got.as_array().expect("one verdict per case").clone()
}
