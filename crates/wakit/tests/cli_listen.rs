//! `wakit listen` through the built binary against a running `wakit demo`: a customer's
//! message is printed as it arrives, filtered by type, as JSON or as a line.

mod cli_support;
mod procs;

use cli_support::{Cli, DEADLINE, Demo, MARIA, PHONE_NUMBER_ID};
use procs::Proc;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::{Receiver, channel};

/// Starts `wakit listen <args>`; its stdout lines arrive on the receiver.
fn listen(demo: &Demo, args: &[&str]) -> (Proc, Receiver<String>, Cli) {
    let cli = demo.configured_cli();
    let mut full = vec!["listen"];
    full.extend_from_slice(args);
    let mut child = Proc::spawn(
        cli.command(&full)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx, cli)
}

/// Lines until one contains `needle` (bounded by [`DEADLINE`]).
fn lines_until(rx: &Receiver<String>, needle: &str) -> Vec<String> {
    let end = std::time::Instant::now() + DEADLINE;
    let mut got = Vec::new();
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line with {needle:?} within {DEADLINE:?}: {got:?}"));
        let done = line.contains(needle);
        got.push(line);
        if done {
            return got;
        }
    }
}

fn customer_writes(demo: &Demo, text: &str) {
    demo.sim(
        &format!("/customers/{MARIA}/messages"),
        json!({"phone_number_id": PHONE_NUMBER_ID, "text": text}),
    );
}

#[test]
fn listen_prints_messages_as_they_arrive() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let (_json, json_lines, _c1) = listen(&demo, &["--json", "--types", "messages.insert"]);
    let (_text, text_lines, _c2) = listen(&demo, &[]);
    // Both listen from the moment they connect: wait for that with messages of our own.
    for (i, rx) in [&json_lines, &text_lines].into_iter().enumerate() {
        let connected = (0..30).any(|n| {
            customer_writes(&demo, &format!("aviso {i}.{n}"));
            rx.recv_timeout(std::time::Duration::from_secs(1)).is_ok()
        });
        assert!(connected, "wakit listen {i} printed nothing");
    }

    customer_writes(&demo, "¿tienen envío a domicilio?");
    let got = lines_until(&json_lines, "domicilio");
    let bodies: Vec<Value> = got
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert!(
        bodies.iter().all(|b| b["type"] == "messages.insert"),
        "{got:?}"
    );
    let body = bodies.last().expect("the awaited line");
    assert_eq!(body["data"]["direction"], "incoming");
    assert_eq!(body["data"]["contact_address"], MARIA);
    let line = lines_until(&text_lines, "domicilio")
        .pop()
        .expect("the awaited line");
    assert!(line.contains("messages.insert"), "{line}");
    assert!(line.contains(&format!("← +{MARIA}")), "{line}");
}

#[test]
fn listen_refuses_an_unknown_type() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    let err = cli.fails(&["listen", "--types", "messages.deleted"], 1);
    assert!(err.contains("Unknown event type"), "{err}");
}
