//! The client CLI's read commands through the built binary against a running
//! `wakit demo`: health, conversations, chat, contacts, templates, and `--json`.

mod cli_support;
mod procs;

use cli_support::{Demo, EMILY, MARIA, NUMBER, PHONE_NUMBER_ID, eventually};
use serde_json::json;

#[test]
fn health_shows_quality_and_limit_then_an_expired_token() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    let out = cli.ok(&["health"]);
    let line = out.lines().next().expect("one line per number");
    assert!(line.starts_with("✓  Mirlo  +5215588392274"), "{out}");
    assert!(
        line.contains("Quality: ") && line.contains("Messaging limit: "),
        "{out}"
    );

    demo.sim(
        &format!("/numbers/{PHONE_NUMBER_ID}/expire-token"),
        json!({}),
    );
    let out = eventually("health to see the expired token", || {
        let out = cli.ok(&["health"]);
        out.starts_with("✗").then_some(out)
    });
    assert!(out.contains("← CHECK TOKEN"), "{out}");
    assert!(out.contains("Mirlo  +5215588392274"), "{out}");

    let json = cli.json(&["health", "--json"]);
    assert_eq!(json["accounts"][0]["status"], "error");
    assert_eq!(json["accounts"][0]["phone"], NUMBER);
}

#[test]
fn conversations_list_previews_and_json_is_the_apis() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let out = cli.ok(&["conversations", "--limit", "50"]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("Mirlo (+5215588392274)"), "{out}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{out}");
    let juan = rows
        .iter()
        .find(|r| r.starts_with("Juan Pérez"))
        .expect("Juan is listed");
    assert!(juan.contains("+5215559876543"), "{juan}");
    assert!(
        juan.contains("←  Buenos días, quiero cambiar mi pedido"),
        "{juan}"
    );
    // Columns line up: every row's phone starts at the same display column.
    let column = |r: &str| r.split("  +").next().map(|s| s.chars().count());
    let first = column(rows[0]);
    assert!(rows.iter().all(|r| column(r) == first), "{out}");

    let limited = cli.ok(&["convs", "-l", "2"]);
    assert_eq!(limited.lines().count(), 3, "{limited}");

    // --json prints exactly what the API answers (retried only if a status webhook
    // changed the data between the two calls).
    eventually("--json to equal the API's answer", || {
        let cli_json = cli.json(&["conversations", "--json", "--limit", "50"]);
        let (status, api) = demo.get(&format!("/conversations?limit=50&account_phone={NUMBER}"));
        (status == 200 && cli_json == api).then_some(())
    });
}

#[test]
fn chat_by_phone_and_by_name_shows_the_window_and_messages() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let by_phone = cli.ok(&["chat", "+52 1 55 5987 6543"]);
    assert!(
        by_phone.starts_with("Juan Pérez (+5215559876543)"),
        "{by_phone}"
    );
    assert!(
        by_phone.contains("Service window: open (closes at "),
        "{by_phone}"
    );
    assert!(
        by_phone.contains("←  Buenos días, quiero cambiar mi pedido"),
        "{by_phone}"
    );

    let by_name = cli.ok(&["chat", "juan"]);
    assert_eq!(by_name, by_phone);

    // Maria got a reply from the business: it shows as outgoing with its status.
    let maria = eventually("the demo's reply to Maria to be sent", || {
        let out = cli.ok(&["chat", "Maria"]);
        out.lines()
            .any(|l| l.contains("→  ¡Hola María!") && !l.ends_with("pending"))
            .then_some(out)
    });
    let reply = maria
        .lines()
        .find(|l| l.contains("→  ¡Hola María!"))
        .expect("reply");
    assert!(
        ["sent", "delivered", "read"]
            .iter()
            .any(|s| reply.ends_with(s)),
        "{maria}"
    );

    let json = cli.json(&["chat", MARIA, "--json", "--limit", "1"]);
    assert_eq!(json["contact"]["phone"], MARIA);
    assert_eq!(json["messages"].as_array().map(Vec::len), Some(1));
}

#[test]
fn chat_with_an_ambiguous_or_unknown_name_fails_listing_matches() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    // "ar" is in Maria Garcia and Emily Carter.
    let err = cli.fails(&["chat", "ar"], 1);
    assert!(err.starts_with("Error: 2 contacts match \"ar\""), "{err}");
    assert!(
        err.contains("Maria Garcia") && err.contains("+5215551234567"),
        "{err}"
    );
    assert!(
        err.contains("Emily Carter") && err.contains(&format!("+{EMILY}")),
        "{err}"
    );
    let err = cli.fails(&["send", "ar", "hola"], 1);
    assert!(err.contains("2 contacts match"), "{err}");

    let err = cli.fails(&["chat", "Nadie Así"], 1);
    assert!(
        err.starts_with("Error: No contact matches \"Nadie Así\""),
        "{err}"
    );
}

#[test]
fn contacts_search_by_name_or_number() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let all = cli.ok(&["contacts"]);
    assert!(all.starts_with("NAME "), "{all}");
    assert_eq!(all.lines().count(), 5, "header and four customers: {all}");

    // Accent- and case-insensitive name search.
    let lucia = cli.ok(&["contacts", "lucia"]);
    assert_eq!(lucia.lines().count(), 2, "{lucia}");
    assert!(lucia.contains("Lucía Fernández  +5491155550123"), "{lucia}");

    // A numeric query searches numbers (any part of the digits).
    let by_number = cli.ok(&["contacts", "555 0405"]);
    assert!(by_number.contains("Emily Carter"), "{by_number}");
    assert_eq!(by_number.lines().count(), 2, "{by_number}");

    let limited = cli.json(&["contacts", "--limit", "2", "--json"]);
    assert_eq!(limited["contacts"].as_array().map(Vec::len), Some(2));

    assert_eq!(cli.ok(&["contacts", "zzz"]).trim(), "No contacts found.");
}

#[test]
fn templates_table_lists_names_statuses_categories_and_languages() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    let out = eventually("the templates to be fetched from the sandbox", || {
        let out = cli.ok(&["templates"]);
        (out.lines().count() >= 4).then_some(out)
    });
    let mut lines = out.lines();
    let header = lines.next().expect("header");
    let words: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(words, ["NAME", "STATUS", "CATEGORY", "LANG"], "{out}");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    for (name, lang) in [
        ("hello_world", "es"),
        ("hello_world", "en_US"),
        ("order_update", "es"),
    ] {
        assert!(
            rows.contains(&vec![name, "APPROVED", "UTILITY", lang]),
            "{name} {lang} missing: {out}"
        );
    }
    let status_col = header.find("STATUS").expect("STATUS");
    for line in out.lines().skip(1) {
        assert!(line[status_col..].starts_with("APPROVED"), "aligned: {out}");
    }

    let json = cli.json(&["templates", "--json", "--from", NUMBER]);
    let (_, api) = demo.get(&format!("/templates?account_phone={NUMBER}"));
    assert_eq!(json, api);
}

/// Meta 2026: a customer with only a username writes in through the sandbox; the CLI
/// lists them by BSUID (with their name), shows the chat, and answers them by BSUID.
#[test]
fn username_only_customer_in_the_cli() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let wrote = demo.sim(
        "/messages",
        json!({"phone_number_id": PHONE_NUMBER_ID, "username": "@anita", "country": "MX",
               "profile_name": "Anita Username", "text": "hola, soy Anita"}),
    );
    let bsuid = wrote["user_id"]
        .as_str()
        .expect("the sandbox names the BSUID")
        .to_string();
    let out = eventually("the username-only customer to be listed", || {
        let out = cli.ok(&["conversations", "--limit", "50"]);
        out.contains("Anita Username").then_some(out)
    });
    let row = out
        .lines()
        .find(|r| r.starts_with("Anita Username"))
        .expect("Anita's row");
    assert!(row.contains(&bsuid), "{row}");
    assert!(
        !row.contains(&format!("+{bsuid}")),
        "a BSUID is not a phone: {row}"
    );
    let chat = cli.ok(&["chat", &bsuid]);
    assert!(chat.contains("hola, soy Anita"), "{chat}");
    // By name too (the username is searchable).
    let chat = cli.ok(&["chat", "@anita"]);
    assert!(chat.contains("hola, soy Anita"), "{chat}");
    cli.ok(&["send", &bsuid, "¡Hola Anita!"]);
    let chat = eventually("the answer to show", || {
        let chat = cli.ok(&["chat", &bsuid]);
        chat.contains("¡Hola Anita!").then_some(chat)
    });
    assert!(chat.contains("hola, soy Anita"), "{chat}");
}
