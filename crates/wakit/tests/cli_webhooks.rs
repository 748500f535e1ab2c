//! `wakit webhooks list|add|rm|deliveries|retry|test` through the built binary against
//! a running `wakit demo` (whose key is an owner key).

mod cli_support;
mod procs;

use cli_support::Demo;

#[test]
fn webhooks_are_added_tested_listed_and_removed_from_the_cli() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    assert!(cli.ok(&["webhooks", "list"]).starts_with("No webhooks."));

    // Nothing listens on port 9: the deliveries fail and wait for their retries.
    let url = "http://127.0.0.1:9/hook";
    let out = cli
        .command(&[
            "webhooks",
            "add",
            url,
            "--op",
            "insert",
            "--token-env",
            "HOOK_TOKEN",
        ])
        .env("HOOK_TOKEN", "tok-cli-secret")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Signing secret (shown once, keep it): whsec_"),
        "{stdout}"
    );
    assert!(!stdout.contains("tok-cli-secret"));

    let json = cli.json(&["webhooks", "list", "--json"]);
    let hook = &json["webhooks"][0];
    assert_eq!(
        (hook["url"].as_str(), hook["has_token"].as_bool()),
        (Some(url), Some(true))
    );
    assert!(hook.get("secret").is_none(), "{json}");
    let id = hook["id"].as_str().expect("an id").to_string();
    assert!(cli.ok(&["webhooks", "list"]).contains(&id));

    let queued = cli.ok(&["webhooks", "test", &id]);
    assert!(
        queued.contains("webhook.test") && queued.contains("msg_"),
        "{queued}"
    );
    let log = cli.json(&["webhooks", "deliveries", &id, "--json"]);
    let delivery = log["deliveries"][0]["id"]
        .as_str()
        .expect("a delivery")
        .to_string();
    assert!(
        cli.ok(&["webhooks", "deliveries", &id])
            .contains("webhook.test")
    );
    assert!(
        cli.ok(&["webhooks", "retry", &delivery])
            .contains(&delivery)
    );

    let bad = cli.fails(
        &["webhooks", "add", url, "--token-env", "WAKIT_NO_SUCH_VAR"],
        2,
    );
    assert!(bad.contains("WAKIT_NO_SUCH_VAR is not set"), "{bad}");
    assert!(cli.ok(&["webhooks", "rm", &id]).contains("Deleted"));
    assert!(cli.ok(&["webhooks", "list"]).starts_with("No webhooks."));
}
