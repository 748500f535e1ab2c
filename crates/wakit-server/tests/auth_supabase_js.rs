//! The real client: unmodified supabase-js (npm, pinned by tests/supabase/package-lock.json)
//! signs up, signs in (wrong and right password), reads the user, refreshes (and has a
//! spent refresh token refused), changes the password and signs out against the real
//! server, and reads and writes the tables at /rest/v1 as a signed-in member, on both
//! engines (tests/supabase/check_auth.mjs and check_rest.mjs say what each step expects).
//!
//! Without node or the installed package the check is skipped with a loud NOTE, except
//! under `CI=true` (.ci/run runs `npm ci` there first).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::auth::{client_check, rest_fixture};
use external::exactly;
use std::path::{Path, PathBuf};
use wakit_store_tests::{Backend, TestStore};

const VERSION: &str = "2.119.2";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/supabase")
}

fn supabase_js_ready() -> bool {
    let package = dir().join("node_modules/@supabase/supabase-js/package.json");
    let read = format!(
        "console.log(JSON.parse(require('fs').readFileSync({:?}, 'utf8')).version)",
        package.display().to_string()
    );
    let found = exactly(
        "supabase-js",
        external::probe("node", &["-e", &read]),
        VERSION,
    );
    external::ready(
        "supabase-js",
        "npm ci --prefix crates/wakit-server/tests/supabase",
        found,
    )
}

async fn supabase_js_signs_in_refreshes_and_signs_out(backend: Backend) {
    if !supabase_js_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    client_check(&ts, "node", &dir().join("check_auth.mjs"), 14).await;
}

/// The data API as a signed-in member: supabase-js signs up as an invited admin of one
/// organization, reads its conversations with embeds, writes a quick reply, counts, never
/// sees the other organization's rows, and creates an organization it then owns
/// (tests/supabase/check_rest.mjs).
async fn supabase_js_reads_and_writes_an_orgs_tables(backend: Backend) {
    if !supabase_js_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    rest_fixture(&ts).await;
    client_check(&ts, "node", &dir().join("check_rest.mjs"), 16).await;
}

on_both_backends!(
    supabase_js_signs_in_refreshes_and_signs_out,
    supabase_js_reads_and_writes_an_orgs_tables
);
