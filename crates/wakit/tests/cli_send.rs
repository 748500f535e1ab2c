//! `wakit send` through the built binary against a running `wakit demo`: texts in and
//! out of the service window, templates with positional and named variables, and the
//! errors a person can make.

mod cli_support;
mod procs;

use cli_support::{Cli, Demo, MARIA, eventually};
use serde_json::Value;

/// A number that never wrote in.
const STRANGER: &str = "5215500009999";
const JUAN: &str = "5215559876543";

/// The message id in `✓ Sent (id X, wamid Y)` or `… Queued, still sending (id X)`.
fn sent_id(out: &str) -> String {
    assert!(
        out.starts_with("✓ Sent (id ") || out.starts_with("… Queued, still sending (id "),
        "{out}"
    );
    let start = out.find("(id ").expect("id") + 4;
    out[start..]
        .split([',', ')'])
        .next()
        .expect("id")
        .to_string()
}

/// Polls `chat --json` until the message `id` has one of `statuses`; returns it.
fn wait_for_status(cli: &Cli, phone: &str, id: &str, statuses: &[&str]) -> Value {
    eventually(&format!("message {id} to be {statuses:?}"), || {
        let chat = cli.json(&["chat", phone, "--json"]);
        chat["messages"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["id"] == id).cloned())
            .filter(|m| statuses.iter().any(|s| m["status"] == *s))
    })
}

#[test]
fn a_text_in_an_open_window_is_sent_and_shows_in_chat() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let out = cli.ok(&["send", "Juan", "Claro, ¿cuál es tu número de pedido?"]);
    let id = sent_id(&out);
    if out.starts_with("✓") {
        assert!(out.contains(", wamid wamid."), "{out}");
    }
    let message = wait_for_status(&cli, JUAN, &id, &["delivered", "read"]);
    assert_eq!(message["direction"], "outgoing");
    assert_eq!(
        message["content"]["text"],
        "Claro, ¿cuál es tu número de pedido?"
    );
    let chat = cli.ok(&["chat", JUAN]);
    let line = chat
        .lines()
        .find(|l| l.contains("→  Claro, ¿cuál es tu número de pedido?"))
        .expect("the sent text is in the chat");
    assert!(
        line.ends_with("delivered") || line.ends_with("read"),
        "{chat}"
    );
}

#[test]
fn send_json_prints_the_apis_answer() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let answer = cli.json(&["send", MARIA, "¿Algo más?", "--json"]);
    let status = answer["status"].as_str().expect("status");
    assert!(["sent", "pending"].contains(&status), "{answer}");
    let id = answer["id"].as_str().expect("id");
    wait_for_status(&cli, MARIA, id, &["sent", "delivered", "read"]);
}

#[test]
fn a_text_outside_the_window_fails_with_a_template_hint() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    // A template opens a conversation with someone who never wrote...
    let out = cli.ok(&["send", STRANGER, "--template", "hello_world"]);
    sent_id(&out);
    // ...but a text still needs their message within 24 h.
    let err = cli.fails(&["send", STRANGER, "¿Sigues ahí?"], 1);
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.to_lowercase().contains("service window"), "{err}");
    assert!(
        err.contains("Hint:") && err.contains("--template hello_world"),
        "{err}"
    );
    let chat = cli.ok(&["chat", STRANGER]);
    assert!(chat.contains("Service window: closed"), "{chat}");
    assert!(!chat.contains("¿Sigues ahí?"), "nothing stored: {chat}");
}

#[test]
fn templates_with_positional_and_named_variables_reach_meta() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    // appointment_reminder's body is "Hola {{1}}, te esperamos el {{2}}." (positional);
    // --lang defaults to es.
    let out = cli.ok(&[
        "send",
        "Maria",
        "-t",
        "appointment_reminder",
        "--vars",
        "María, lunes 10:00",
    ]);
    let id = sent_id(&out);
    wait_for_status(&cli, MARIA, &id, &["sent", "delivered", "read"]);
    // order_update's body uses {{name}} and {{order}}: named parameters.
    let out = cli.ok(&[
        "send",
        MARIA,
        "--template",
        "order_update",
        "--vars",
        "María, A-1042",
    ]);
    let id = sent_id(&out);
    wait_for_status(&cli, MARIA, &id, &["sent", "delivered", "read"]);
    // hello_world takes no variables: no components at all.
    let out = cli.ok(&["send", MARIA, "-t", "hello_world", "--lang", "en_US"]);
    let id = sent_id(&out);
    wait_for_status(&cli, MARIA, &id, &["sent", "delivered", "read"]);

    let sent = demo.sim_get(&format!("/sent?to={MARIA}"));
    let templates: Vec<&Value> = sent["data"]
        .as_array()
        .expect("sent")
        .iter()
        .filter(|m| m["type"] == "template")
        .map(|m| &m["request"]["template"])
        .collect();
    assert_eq!(templates.len(), 3, "{sent}");
    assert_eq!(templates[0]["name"], "appointment_reminder");
    assert_eq!(templates[0]["language"]["code"], "es");
    assert_eq!(
        templates[0]["components"][0]["parameters"],
        serde_json::json!([
            {"type": "text", "text": "María"},
            {"type": "text", "text": "lunes 10:00"},
        ])
    );
    assert_eq!(templates[1]["name"], "order_update");
    assert_eq!(
        templates[1]["components"][0]["parameters"],
        serde_json::json!([
            {"type": "text", "parameter_name": "name", "text": "María"},
            {"type": "text", "parameter_name": "order", "text": "A-1042"},
        ])
    );
    assert_eq!(templates[2]["name"], "hello_world");
    assert_eq!(templates[2]["language"]["code"], "en_US");
    assert!(
        templates[2]
            .get("components")
            .is_none_or(|c| c.as_array().is_some_and(Vec::is_empty)),
        "{sent}"
    );
}

#[test]
fn template_mistakes_are_caught_before_sending() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let err = cli.fails(&["send", MARIA, "-t", "order_update", "--vars", "María"], 1);
    assert!(
        err.contains("takes 2 variables (name, order), but --vars gave 1"),
        "{err}"
    );
    let err = cli.fails(&["send", MARIA, "-t", "appointment_reminder"], 1);
    assert!(
        err.contains("takes 2 variables ({{1}}, {{2}}), but --vars gave 0"),
        "{err}"
    );
    let err = cli.fails(&["send", MARIA, "-t", "hello_world", "--vars", "x"], 1);
    assert!(
        err.contains("takes no variables, but --vars gave 1"),
        "{err}"
    );
    let err = cli.fails(
        &[
            "send",
            MARIA,
            "-t",
            "hello_world",
            "--lang",
            "fr",
            "--vars",
            "x",
        ],
        1,
    );
    assert!(err.contains("Available languages: en_US, es"), "{err}");
    let err = cli.fails(&["send", MARIA, "-t", "no_such_template"], 1);
    assert!(err.contains("\"no_such_template\" not found"), "{err}");
    assert!(
        err.contains("hello_world") && err.contains("order_update"),
        "{err}"
    );
    let sent = demo.sim_get(&format!("/sent?to={MARIA}"));
    assert!(
        sent["data"]
            .as_array()
            .expect("sent")
            .iter()
            .all(|m| m["type"] != "template"),
        "nothing reached Meta: {sent}"
    );
}

#[test]
fn a_send_meta_fails_later_shows_metas_error_in_chat() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    let lucia = "5491155550123";
    // Meta's own clock says Lucía wrote 30 h ago: it accepts the send, then fails it
    // with 131047 in a status webhook.
    demo.sim(
        &format!("/customers/{lucia}/window"),
        serde_json::json!({"phone_number_id": cli_support::PHONE_NUMBER_ID, "hours_ago": 30.0}),
    );
    let out = cli.ok(&["send", "Lucía", "Abrimos a las 10"]);
    let id = sent_id(&out);
    let failed = wait_for_status(&cli, lucia, &id, &["failed"]);
    assert!(
        failed["errors"].as_array().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
    let chat = cli.ok(&["chat", lucia]);
    let line = chat
        .lines()
        .find(|l| l.contains("→  Abrimos a las 10"))
        .expect("the failed text is in the chat");
    assert!(line.contains("failed: "), "{chat}");
    assert!(line.ends_with("(Meta 131047)"), "{chat}");
}
