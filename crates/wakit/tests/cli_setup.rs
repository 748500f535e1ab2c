//! The client CLI's setup commands through the built binary against a running
//! `wakit demo`: init (flags, terminal prompts, no terminal), status, switch, the
//! config file, errors, exit codes, colour and completions.

mod cli_support;
mod procs;

use cli_support::{Cli, Demo, NUMBER};

#[test]
fn init_with_flags_saves_a_private_config_in_the_hosted_shape() {
    let demo = Demo::start();
    let cli = Cli::new();
    // The API base URL as the demo prints it is accepted too.
    let out = cli.ok(&["init", "--base-url", &demo.api, "--api-key", &demo.key]);
    assert!(out.contains("Saved"), "{out}");
    assert!(out.contains("Mirlo (+5215588392274)"), "{out}");
    let config = cli.config();
    assert_eq!(config["base_url"], demo.base.as_str());
    assert_eq!(config["api_key"], demo.key.as_str());
    assert_eq!(config["organization_id"], "");
    assert_eq!(config["default_account"], NUMBER);
    assert_eq!(
        config["accounts"],
        serde_json::json!([{"phone": NUMBER, "name": "Mirlo"}])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.config_path())
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the config holds a key: owner only");
    }
}

#[test]
fn init_without_a_terminal_or_flags_is_a_usage_error() {
    let cli = Cli::new();
    let err = cli.fails(&["init"], 2);
    assert!(err.contains("--api-key"), "{err}");
    assert!(!cli.config_path().exists(), "nothing saved");
}

#[test]
fn init_on_a_terminal_prompts_for_the_url_and_the_key() {
    let demo = Demo::start();
    let cli = Cli::new();
    let input = format!("{}\n{}\n", demo.base, demo.key);
    let (screen, code) = cli.on_terminal(&["init"], &input, &[]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Base URL [http://127.0.0.1:8080]"),
        "{screen}"
    );
    assert!(screen.contains("API key"), "{screen}");
    assert!(screen.contains("Saved"), "{screen}");
    assert_eq!(cli.config()["base_url"], demo.base.as_str());
    assert_eq!(cli.config()["default_account"], NUMBER);
}

#[test]
fn a_bad_key_is_refused_with_the_servers_message() {
    let demo = Demo::start();
    let cli = Cli::new();
    let bad = "sk_thisKeyDoesNotExist0000000000000000000";
    let err = cli.fails(&["init", "--base-url", &demo.base, "--api-key", bad], 1);
    assert!(err.starts_with("Error: Invalid API key"), "{err}");
    assert!(!cli.config_path().exists(), "nothing saved for a bad key");

    // A key that stops working after init: every command says so.
    let cli = demo.configured_cli();
    let mut config = cli.config();
    config["api_key"] = bad.into();
    std::fs::write(cli.config_path(), config.to_string()).expect("rewrite");
    let err = cli.fails(&["templates"], 1);
    assert!(err.starts_with("Error: Invalid API key"), "{err}");
}

#[test]
fn commands_without_a_config_say_how_to_set_up() {
    let cli = Cli::new();
    for args in [
        &["status"][..],
        &["conversations"],
        &["send", "5215551234567", "hola"],
    ] {
        let err = cli.fails(args, 1);
        assert_eq!(
            err.trim(),
            "Error: Not configured. Run: wakit init",
            "{args:?}"
        );
    }
}

#[test]
fn status_shows_the_server_the_masked_key_and_the_default_account() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    let out = cli.ok(&["status"]);
    assert!(out.contains(&demo.base), "{out}");
    assert!(out.contains("reachable (database connected)"), "{out}");
    let masked = format!("{}...{}", &demo.key[..8], &demo.key[demo.key.len() - 4..]);
    assert!(out.contains(&masked), "{out}");
    assert!(
        !out.contains(&demo.key),
        "the key is never printed whole: {out}"
    );
    assert!(
        out.contains("Default account  Mirlo (+5215588392274)"),
        "{out}"
    );
    assert!(out.contains("*  1  Mirlo  +5215588392274"), "{out}");
}

#[test]
fn status_reports_an_unreachable_server() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    drop(demo);
    let out = cli.run(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("unreachable"), "{stdout}");
    assert!(stderr.starts_with("Error: cannot reach"), "{stderr}");
}

/// An org with two numbers, made with the admin commands in the demo's database.
fn two_number_org(demo: &Demo) -> String {
    let admin = |args: &[&str]| -> serde_json::Value {
        let out = procs::wakit()
            .args(["admin", "--json", "--database-url", &demo.database_url()])
            .args(args)
            .env("WAKIT_DATA_DIR", demo.data_dir())
            .env_remove("WAKIT_SECRET_KEY")
            .env_remove("WAKIT_DATABASE_URL")
            .output()
            .expect("wakit admin");
        assert!(
            out.status.success(),
            "admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("admin JSON")
    };
    let org = admin(&["org", "create", "--name", "Two Numbers"]);
    let org = org["id"].as_str().expect("org id").to_string();
    for (phone, name, id) in [
        ("5215500001111", "Norte", "1001"),
        ("15550002222", "Sur", "1002"),
    ] {
        admin(&[
            "account",
            "add",
            "--org",
            &org,
            "--phone",
            phone,
            "--name",
            name,
            "--phone-number-id",
            id,
            "--waba-id",
            "2001",
            "--access-token",
            "EAAG-test-token",
        ]);
    }
    let key = admin(&["key", "create", "--org", &org, "--name", "cli"]);
    key["key"].as_str().expect("key").to_string()
}

#[test]
fn switch_changes_the_default_by_index_phone_or_last_digits() {
    let demo = Demo::start();
    let key = two_number_org(&demo);
    let cli = Cli::new();
    let err = cli.fails(&["init", "--base-url", &demo.base, "--api-key", &key], 2);
    assert!(err.contains("--account"), "{err}");
    assert!(
        err.contains("+5215500001111") && err.contains("+15550002222"),
        "{err}"
    );

    cli.ok(&[
        "init",
        "--base-url",
        &demo.base,
        "--api-key",
        &key,
        "--account",
        "5215500001111",
    ]);
    assert_eq!(cli.config()["default_account"], "5215500001111");
    let (_, accounts) = demo_accounts(&demo, &key);
    let second = accounts
        .iter()
        .position(|p| p == "15550002222")
        .expect("listed")
        + 1;

    let out = cli.ok(&["switch", &second.to_string()]);
    assert!(out.contains("Default account: Sur (+15550002222)"), "{out}");
    assert_eq!(cli.config()["default_account"], "15550002222");
    let status = cli.ok(&["status"]);
    assert!(status.contains(&format!("*  {second}  Sur")), "{status}");

    cli.ok(&["switch", "+52 155 0000 1111"]);
    assert_eq!(cli.config()["default_account"], "5215500001111");
    cli.ok(&["switch", "2222"]);
    assert_eq!(cli.config()["default_account"], "15550002222");

    let err = cli.fails(&["switch", "9999"], 1);
    assert!(err.contains("No account matches"), "{err}");
    assert_eq!(cli.config()["default_account"], "15550002222", "unchanged");

    // On a terminal, init lists the numbers and asks for one (a wrong answer asks again).
    let fresh = Cli::new();
    let input = format!("{}\n{key}\n7\n{second}\n", demo.base);
    let (screen, code) = fresh.on_terminal(&["init"], &input, &[]);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Default account [1-2]"), "{screen}");
    assert!(screen.contains("No account matches \"7\""), "{screen}");
    assert_eq!(fresh.config()["default_account"], "15550002222");
}

fn demo_accounts(demo: &Demo, key: &str) -> (u16, Vec<String>) {
    cli_support::block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}/accounts", demo.api))
            .bearer_auth(key)
            .send()
            .await
            .expect("accounts");
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.expect("JSON");
        let phones = body["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| a["phone"].as_str().expect("phone").to_string())
            .collect();
        (status, phones)
    })
}

#[test]
fn usage_errors_exit_2() {
    let cli = Cli::new();
    for args in [
        &["send"][..],
        &["send", "5215551234567"],
        &["send", "5215551234567", "hola", "--template", "hello_world"],
        &["send", "5215551234567", "hola", "--vars", "a"],
        &["chat"],
        &["conversations", "--limit", "many"],
        &["completions", "tcsh"],
        &["no-such-command"],
    ] {
        cli.fails(args, 2);
    }
}

#[test]
fn completions_print_a_shell_script() {
    let cli = Cli::new();
    let bash = cli.ok(&["completions", "bash"]);
    assert!(bash.contains("_wakit()"), "{bash}");
    for word in ["conversations", "templates", "--template", "--from"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    assert!(cli.ok(&["completions", "zsh"]).contains("#compdef wakit"));
    assert!(
        cli.ok(&["completions", "fish"])
            .contains("complete -c wakit")
    );
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    for args in [&["status"][..], &["templates"], &["switch", "1"]] {
        let out = cli.ok(args);
        assert!(
            !out.contains('\x1b'),
            "escape codes in piped output: {out:?}"
        );
    }
    let (screen, code) = cli.on_terminal(&["switch", "1"], "", &[]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("\x1b[32m✓"),
        "a terminal gets colour: {screen:?}"
    );
    let (screen, code) = cli.on_terminal(&["switch", "1"], "", &[("NO_COLOR", "1")]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains('✓') && !screen.contains('\x1b'),
        "{screen:?}"
    );
}
