//! `wakit agents list|add|set|pause|resume` through the built binary against a running
//! `wakit demo` (whose key is an owner key).

mod cli_support;
mod procs;

use cli_support::{Demo, MARIA};

#[test]
fn agents_are_added_listed_changed_and_paused_from_the_cli() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    assert!(cli.ok(&["agents", "list"]).starts_with("No AI agents."));

    let model_url = demo.control.trim_end_matches("/_sim").to_string() + "/v1";
    let add = [
        "agents",
        "add",
        "Sofía",
        "--api-url",
        &model_url,
        "--model",
        "sim",
        "--instructions",
        "Answer briefly.",
        "--api-key-env",
        "SOFIA_KEY",
    ];
    let out = cli
        .command(&add)
        .env("SOFIA_KEY", "sk-cli-secret")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Sofía (active, sim at") && stdout.contains("key sealed"),
        "{stdout}"
    );
    assert!(!stdout.contains("sk-cli-secret"));

    let listed = cli.ok(&["agents", "list"]);
    assert!(
        listed.contains("Sofía") && listed.contains("sealed"),
        "{listed}"
    );
    let json = cli.json(&["agents", "list", "--json"]);
    assert!(!json.to_string().contains("sk-cli-secret"), "{json}");
    assert_eq!(
        json["agents"][0]["extra"]["instructions"],
        "Answer briefly."
    );

    let set = cli.ok(&[
        "agents",
        "set",
        "Sofía",
        "--mode",
        "inactive",
        "--clear-api-key",
    ]);
    assert!(
        set.contains("Sofía (inactive, sim at") && !set.contains("key sealed"),
        "{set}"
    );
    let bad = cli.fails(&["agents", "add", "X", "--extra", "[1]"], 2);
    assert!(bad.contains("--extra must be a JSON object"), "{bad}");
    let unknown = cli.fails(&["agents", "set", "Nadie", "--mode", "active"], 2);
    assert!(unknown.contains("No AI agent"), "{unknown}");
    let missing = cli.fails(
        &["agents", "add", "Y", "--api-key-env", "WAKIT_NO_SUCH_VAR"],
        2,
    );
    assert!(
        missing.contains("WAKIT_NO_SUCH_VAR is not set"),
        "{missing}"
    );

    assert!(cli.ok(&["agents", "pause", MARIA]).contains("paused"));
    assert!(cli.ok(&["agents", "resume", MARIA]).contains("again"));
}
