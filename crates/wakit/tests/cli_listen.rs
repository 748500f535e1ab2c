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

/// One request a receiver got: its headers (lower-case names) and body.
type Request = (std::collections::HashMap<String, String>, String);

/// A local HTTP receiver answering 204 to everything; its requests arrive on the receiver.
fn receiver() -> (String, Receiver<Request>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let mut reader = BufReader::new(conn);
            let mut headers = std::collections::HashMap::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                }
                line.clear();
            }
            let len = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let answer =
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = reader.get_mut().write_all(answer);
            if tx
                .send((headers, String::from_utf8_lossy(&body).into_owned()))
                .is_err()
            {
                break;
            }
        }
    });
    (url, rx)
}

#[test]
fn listen_forwards_events_signed() {
    use wakit_server::deliveries::signature;
    let demo = Demo::start();
    demo.wait_for_seed();
    let (url, requests) = receiver();
    let secret = signature::new_secret();
    let args = [
        "--json",
        "--types",
        "messages.insert",
        "--forward-to",
        &url,
        "--secret",
        &secret,
    ];
    let (_child, lines, _cli) = listen(&demo, &args);
    let connected = (0..30).any(|n| {
        customer_writes(&demo, &format!("aviso {n}"));
        lines
            .recv_timeout(std::time::Duration::from_secs(1))
            .is_ok()
    });
    assert!(connected, "wakit listen printed nothing");
    customer_writes(&demo, "¿tienen envío a domicilio?");
    let end = std::time::Instant::now() + DEADLINE;
    let (headers, body) = loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let got = requests.recv_timeout(left).expect("the message forwarded");
        if got.1.contains("domicilio") {
            break got;
        }
    };
    let event: Value = serde_json::from_str(&body).expect("JSON body");
    assert_eq!(event["type"], "messages.insert");
    assert_eq!(event["data"]["contact_address"], MARIA);
    let id = &headers["webhook-id"];
    assert_eq!(*id, format!("evt_{}", event["seq"]));
    let at: i64 = headers["webhook-timestamp"].parse().expect("unix seconds");
    let expected = signature::sign(&[&secret], id, at, body.as_bytes());
    assert_eq!(headers.get("webhook-signature"), expected.as_ref());
}

#[test]
fn listen_refuses_an_unknown_type() {
    let demo = Demo::start();
    let cli = demo.configured_cli();
    let err = cli.fails(&["listen", "--types", "messages.deleted"], 1);
    assert!(err.contains("Unknown event type"), "{err}");
}
