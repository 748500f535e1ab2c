//! A second independent parser: whatsapp-api-js (npm, pinned with package-lock.json in
//! tests/whatsapp-api-js/) verifies the signature of every kind of webhook body the
//! sandbox emits and hands messages and statuses to its callbacks, whose arguments are
//! checked against the JSON (tests/whatsapp-api-js/check_webhooks.mjs). It has no
//! callbacks for template or quality fields: those are checked to pass through silently.
//!
//! Without node or the installed package the check is skipped with a loud NOTE, except
//! under `CI=true` (.ci/run runs `npm ci` there first).

mod common;

use common::emit::capture_every_kind;
use common::external::{assert_every_kind_parsed, probe, ready, run_on, script, webhook_input};

const VERSION: &str = "6.3.0";

fn whatsapp_api_js_ready() -> bool {
    let dir = script("whatsapp-api-js", "");
    let package = dir.join("node_modules/whatsapp-api-js/package.json");
    let read = format!(
        "console.log(JSON.parse(require('fs').readFileSync({:?}, 'utf8')).version)",
        package.display().to_string()
    );
    let found = probe("node", &["-e", &read]).and_then(|version| {
        if version == VERSION {
            Ok(())
        } else {
            Err(format!(
                "whatsapp-api-js {version} is installed, not {VERSION}"
            ))
        }
    });
    ready(
        "whatsapp-api-js",
        "npm ci --prefix crates/wakit-sim/tests/whatsapp-api-js",
        found,
    )
}

#[tokio::test]
async fn whatsapp_api_js_parses_every_webhook_kind() {
    if !whatsapp_api_js_ready() {
        return;
    }
    let bodies = capture_every_kind().await;
    let out = run_on(
        "node",
        &script("whatsapp-api-js", "check_webhooks.mjs"),
        "whatsapp-api-js",
        &webhook_input(common::SECRET, bodies.clone()),
    );
    assert_every_kind_parsed("whatsapp-api-js", &bodies, &out);
}
