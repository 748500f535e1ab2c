//! The Python client: unmodified supabase-py (pinned with everything it pulls in by
//! tests/supabase/requirements.txt, installed into target/py-supabase by .ci/run) signs
//! up, signs in (wrong and right password), reads the user, refreshes (and has a spent
//! refresh token refused), changes the password and signs out against the real server,
//! on both engines (tests/supabase/check_auth.py says what each step expects); and reads,
//! writes, sends and calls the RPC at /rest/v1 as a signed-in admin (check_rest.py).
//!
//! Without the virtualenv the check is skipped with a loud NOTE, except under `CI=true`.

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::auth::{client_check, rest_fixture};
use external::exactly;
use std::path::{Path, PathBuf};
use wakit_store_tests::{Backend, TestStore};

const VERSION: &str = "2.34.1";

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py-supabase/bin/python")
}

fn supabase_py_ready() -> bool {
    let python = python();
    let probe = external::probe(
        python.to_str().expect("path"),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('supabase'))",
        ],
    );
    let found = exactly("supabase", probe, VERSION);
    external::ready(
        "supabase-py",
        "python3 -m venv target/py-supabase && target/py-supabase/bin/pip install -r crates/wakit-server/tests/supabase/requirements.txt",
        found,
    )
}

async fn supabase_py_signs_in_refreshes_and_signs_out(backend: Backend) {
    if !supabase_py_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/supabase/check_auth.py");
    client_check(&ts, python().to_str().expect("path"), &script, 11).await;
}

/// The data API as a signed-in admin (tests/supabase/check_rest.py).
async fn supabase_py_reads_and_writes_an_orgs_tables(backend: Backend) {
    if !supabase_py_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    rest_fixture(&ts).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/supabase/check_rest.py");
    client_check(&ts, python().to_str().expect("path"), &script, 12).await;
}

on_both_backends!(
    supabase_py_signs_in_refreshes_and_signs_out,
    supabase_py_reads_and_writes_an_orgs_tables
);
