//! The served OpenAPI document is valid for code generators: every operation has an
//! operation id, no two share one, and an independent validator (`openapi-spec-validator`
//! from PyPI, pinned in `tests/openapi/requirements.txt`) accepts the document.

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::sandbox::{fast_dispatch, world};
use serde_json::Value;
use std::collections::BTreeMap;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_passes_an_independent_validator() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let doc: Value = reqwest::get(format!("{}/openapi.json", w.server.base))
        .await
        .expect("GET openapi.json")
        .json()
        .await
        .expect("JSON");
    w.stop().await;

    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            ids.entry(id.to_string())
                .or_default()
                .push(format!("{method} {path}"));
        }
    }
    let shared: Vec<_> = ids.iter().filter(|(_, ops)| ops.len() > 1).collect();
    assert!(shared.is_empty(), "operation ids used twice: {shared:?}");

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi/validate.py");
    let install = "python3 -m pip install -r crates/wakit-server/tests/openapi/requirements.txt";
    let available =
        external::probe("python3", &["-c", "import openapi_spec_validator"]).map(|_| ());
    if !external::ready("openapi-spec-validator", install, available) {
        return;
    }
    let verdict = external::run_on("python3", &script, "openapi", &doc);
    assert_eq!(verdict["valid"], true, "{verdict}");
}
