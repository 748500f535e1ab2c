//! Running an independent parser (pywa, whatsapp-api-js) from a test: skip with a loud
//! NOTE when it is not installed (a failure under `CI=true`), run its script with a JSON
//! input file, and judge its per-body results.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use wakit_sim::webhook_kinds;

/// `crates/wakit-sim/tests/<dir>/<name>`.
pub fn script(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir)
        .join(name)
}

/// Runs `program args` and returns its trimmed stdout, or why it failed (the last
/// line of stderr).
pub fn probe(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} cannot run: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.trim().lines().last().unwrap_or_default().to_string();
        return Err(format!("{program} failed: {last}"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Whether to go on: `Ok` goes on; `Err(why)` panics under `CI=true` and otherwise
/// prints `NOTE: <what> checks SKIPPED (why)`.
pub fn ready(what: &str, install: &str, availability: Result<(), String>) -> bool {
    match availability {
        Ok(()) => true,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{what} checks cannot run under CI=true: {why} ({install})")
        }
        Err(why) => {
            eprintln!("\n*** NOTE: {what} checks SKIPPED ({why}); install with: {install} ***\n");
            false
        }
    }
}

/// `Ok` when the probed version is `want`; why not otherwise (for [`ready`]).
pub fn exactly(what: &str, found: Result<String, String>, want: &str) -> Result<(), String> {
    found.and_then(|version| {
        if version == want {
            Ok(())
        } else {
            Err(format!("{what} {version} is installed, not {want}"))
        }
    })
}

/// Runs `program script args` and parses its stdout as JSON.
pub fn run_json(program: &str, script: &Path, args: &[&str]) -> Value {
    let out = Command::new(program)
        .arg(script)
        .args(args)
        .output()
        .expect("the checker runs");
    assert!(
        out.status.success(),
        "{} failed: {}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{} printed no JSON ({e}): {}",
            script.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Writes `input` to a temporary file, runs the checker on it, removes the file.
pub fn run_on(program: &str, script: &Path, tag: &str, input: &Value) -> Value {
    let path = std::env::temp_dir().join(format!("wakit-sim-{tag}-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(input).expect("json")).expect("write input");
    let out = run_json(program, script, &[path.to_str().expect("path")]);
    let _ = std::fs::remove_file(&path);
    out
}

/// Asserts a webhook checker parsed every body and covered every kind of
/// [`webhook_kinds`]; prints the counts.
pub fn assert_every_kind_parsed(label: &str, bodies: &[Value], out: &Value) {
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), bodies.len());
    let failures: Vec<&Value> = results.iter().filter(|r| r["ok"] != true).collect();
    let mut per_kind: BTreeMap<String, bool> = BTreeMap::new();
    for r in results.iter().filter(|r| r["ok"] == true) {
        let typed = per_kind
            .entry(r["kind"].as_str().unwrap_or_default().to_string())
            .or_default();
        *typed |= r["typed"] == true;
    }
    let all_kinds = webhook_kinds();
    let missing: Vec<&String> = all_kinds
        .iter()
        .filter(|k| !per_kind.contains_key(*k))
        .collect();
    let typed = per_kind.values().filter(|t| **t).count();
    eprintln!(
        "{label} {}: {} bodies checked, {} of {} kinds parsed ({} into typed updates, {} raw-only: no type in the library)",
        out["version"],
        results.len() - failures.len(),
        per_kind.len(),
        all_kinds.len(),
        typed,
        per_kind.len() - typed
    );
    assert!(
        failures.is_empty(),
        "{label} could not parse {} bodies: {:#?}",
        failures.len(),
        failures
    );
    assert!(
        missing.is_empty(),
        "kinds never checked by {label}: {missing:?}"
    );
}

/// The JSON a webhook checker reads: the app secret the bodies are signed with, and the
/// bodies.
pub fn webhook_input(app_secret: &str, bodies: Vec<Value>) -> Value {
    json!({"app_secret": app_secret, "bodies": bodies})
}
