//! The event stream (`GET /functions/v1/api/events`, Server-Sent Events), over HTTP
//! against the real server with the sandbox as Meta, on both engines: events arrive
//! live with their seq as `id:`; a client that drops the connection and comes back with
//! `Last-Event-ID` gets what it missed, nothing twice; a key sees only its organization.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{connect_number, fast_dispatch, new_key, world, world_with};
use common::sse::{Received, STREAM_WAIT, Stream, inserted};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wakit_server::ApiConfig;
use wakit_server::routes::events::EventsConfig;
use wakit_sim::Quirks;
use wakit_store_tests::fixture::Fixture;
use wakit_store_tests::{Backend, TestStore};

fn seqs(events: &[Received]) -> Vec<i64> {
    events.iter().map(|e| e.0).collect()
}

async fn resume_after_a_dropped_connection(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    let mut first = Stream::open(&w, &key, None, "after=0").await;
    let one = w.customer_writes("5215551234567", "uno").await;
    let before = first.until(|e| inserted(e, &one)).await;
    let message = &before.last().unwrap().2;
    assert_eq!(message["data"]["direction"], "incoming");
    assert_eq!(message["data"]["content"]["text"], "uno");
    assert_eq!(message["entity"], "messages");
    assert!(message["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(before.iter().any(|e| e.1 == "conversations.insert"));
    let last = before.last().unwrap().0;
    drop(first);

    let two = w.customer_writes("5215551234567", "dos").await;
    let three = w.customer_writes("5215557654321", "tres").await;
    let mut resumed = Stream::open(&w, &key, Some(last), "").await;
    let after = resumed.until(|e| inserted(e, &three)).await;
    assert!(after.iter().any(|e| inserted(e, &two)), "{after:?}");
    assert!(after.iter().all(|e| e.0 > last), "nothing twice");
    assert!(seqs(&after).windows(2).all(|p| p[0] < p[1]), "in order");

    // Nothing missed: the two connections together are the log up to the same event.
    let mut whole = Stream::open(&w, &key, None, "after=0").await;
    let log = whole.until(|e| inserted(e, &three)).await;
    let joined: Vec<i64> = seqs(&before).into_iter().chain(seqs(&after)).collect();
    assert_eq!(joined, seqs(&log));

    // Filters: only the types asked for; a stream without a start begins at the end.
    let mut typed = Stream::open(&w, &key, None, "types=messages.insert&after=0").await;
    let only = typed.until(|e| inserted(e, &three)).await;
    assert_eq!(only.len(), 3, "{only:?}");
    let mut live = Stream::open(&w, &key, None, "types=messages.insert").await;
    let four = w.customer_writes("5215551234567", "cuatro").await;
    let fresh = live.until(|e| inserted(e, &four)).await;
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    // It announced where it started: the log's end when it connected.
    let newest = *seqs(&log).last().unwrap();
    assert!(
        live.start.is_some_and(|s| s >= newest && s < fresh[0].0),
        "{:?}",
        live.start
    );
    w.stop().await;
}

/// Two servers on one database (a second store, as another replica opens it): a stream
/// on the second wakes for what the first commits, and a client switching replicas
/// resumes where it was.
async fn resume_on_another_replica(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let other = common::start_with(w.ts.open_again().await, false).await;
    let key = w.api_key().await;
    let mut on_other = Stream::open_at(&other, &key, None, "").await;
    let one = w.customer_writes("5215551234567", "uno").await;
    let before = on_other.until(|e| inserted(e, &one)).await;
    let last = before.last().unwrap().0;
    drop(on_other);
    let two = w.customer_writes("5215551234567", "dos").await;
    let mut back = Stream::open(&w, &key, Some(last), "").await;
    let after = back.until(|e| inserted(e, &two)).await;
    assert!(after.iter().all(|e| e.0 > last), "nothing twice: {after:?}");
    let mut whole = Stream::open_at(&other, &key, None, "after=0").await;
    let log = whole.until(|e| inserted(e, &two)).await;
    let tail: Vec<i64> = seqs(&log).into_iter().filter(|s| *s > last).collect();
    assert_eq!(seqs(&after), tail, "nothing missed");
    other.stop().await;
    w.stop().await;
}

/// A client that stops reading is cut once the server has waited `slow_client` for it
/// (its socket and the stream's queue full), and gets the rest when it resumes.
async fn a_client_too_slow_is_cut_and_resumes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let api = ApiConfig {
        events: EventsConfig {
            slow_client: Duration::from_millis(200),
            ..EventsConfig::default()
        },
        rate_limit: None,
        ..ApiConfig::default()
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), api).await;
    let key = w.api_key().await;
    // A reader with a small socket buffer that sends its request and reads nothing.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let addr = w.server.base.trim_start_matches("http://");
    let (host, _) = addr.split_once('/').unwrap();
    let mut conn = socket.connect(host.parse().unwrap()).await.unwrap();
    let request = format!(
        "GET /functions/v1/api/events?after=0 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    // ~9 MB of events: more than the socket buffers and the stream's queue hold.
    let text = "x".repeat(3000);
    let (org, acct) = (w.account.org_id, w.account.id);
    for b in 0..30 {
        let batch = (0..100)
            .map(|i| {
                let from = format!("52155510{:05}", b * 100 + i);
                let wamid = format!("wamid.slow.{b}.{i}");
                (org, Fixture::inbound(acct, &from, &wamid, 0, &text))
            })
            .collect();
        w.ts.store.ingest_inbound_batch(batch).await.unwrap();
    }
    // Now read: the server must have given up on this connection and closed it.
    let mut received = Vec::new();
    let read_all = tokio::time::timeout(STREAM_WAIT, conn.read_to_end(&mut received)).await;
    assert!(read_all.is_ok(), "the slow client's stream was not cut");
    let text = String::from_utf8_lossy(&received);
    let got: Vec<i64> = text
        .split("\n\n")
        .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("id:")))
        .map(|id| id.trim().parse().unwrap())
        .collect();
    let all = w.ts.store.events_after(org, 0, 100_000).await.unwrap();
    assert_eq!(
        all.len(),
        9000,
        "a contact, a conversation and a message each"
    );
    assert!(got.len() < all.len(), "cut before the end: {}", got.len());
    // The client comes back from its last event and gets the rest, nothing twice.
    let last = got.last().copied().unwrap_or(0);
    let final_seq = all.last().unwrap().seq;
    let mut resumed = Stream::open(&w, &key, Some(last), "").await;
    let rest = resumed.until(|e| e.0 == final_seq).await;
    let expected: Vec<i64> = all.iter().map(|e| e.seq).filter(|s| *s > last).collect();
    assert_eq!(seqs(&rest), expected);
    w.stop().await;
}

async fn a_key_sees_only_its_organization(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap();
    let (b_acct, _) = connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    let b_key = new_key(&*w.ts.store, org_b.id).await;
    let mut b_stream = Stream::open(&w, &b_key, None, "after=0").await;
    let a_wamid = w.customer_writes("5215551234567", "para A").await;
    let b_wamid = w
        .sim
        .customer_writes(
            &b_acct.phone_number_id,
            "5215551234567",
            Some("Maria"),
            wakit_sim::Inbound::text("para B"),
        )
        .unwrap();
    let seen = b_stream.until(|e| inserted(e, &b_wamid)).await;
    let b_org = org_b.id.to_string();
    for (_, _, body) in &seen {
        assert_eq!(body["data"]["organization_id"], b_org.as_str(), "{body}");
        assert_ne!(body["data"]["external_id"], a_wamid.as_str());
    }
    // The number filter: org A's second number's stream has only its events.
    let (second, _) = connect_number(&w.ts, &w.sim, w.account.org_id, "15550001111").await;
    let a_key = w.api_key().await;
    let query = "after=0&account_phone=15550001111";
    let mut on_second = Stream::open(&w, &a_key, None, query).await;
    let first_number = w.customer_writes("5215551234567", "al primero").await;
    let second_wamid = w
        .sim
        .customer_writes(
            &second.phone_number_id,
            "5215551234567",
            Some("Maria"),
            wakit_sim::Inbound::text("al segundo"),
        )
        .unwrap();
    let only = on_second.until(|e| inserted(e, &second_wamid)).await;
    let second_id = second.id.to_string();
    for (_, _, body) in &only {
        assert_eq!(body["data"]["account_id"], second_id.as_str(), "{body}");
        assert_ne!(body["data"]["external_id"], first_number.as_str());
    }
    // The number filter of org A's key refuses org B's number.
    let refused = reqwest::Client::new()
        .get(format!(
            "{}/events?account_phone=15550405258",
            w.server.base
        ))
        .bearer_auth(&a_key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    w.stop().await;
}

async fn invalid_requests_are_refused(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let key = w.api_key().await;
    let http = reqwest::Client::new();
    let url = format!("{}/events", w.server.base);
    let cases = [
        ("types=messages.deleted", None, 400, "Unknown event type"),
        ("after=-1", None, 400, "after must be an event id"),
        ("", Some("abc"), 400, "Last-Event-ID must be an event id"),
    ];
    for (query, last, status, sentence) in cases {
        let mut req = http.get(format!("{url}?{query}")).bearer_auth(&key);
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), status, "{query}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "invalid_parameter");
        assert!(body["error"].as_str().unwrap().contains(sentence), "{body}");
    }
    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    w.stop().await;
}

on_both_backends!(
    resume_after_a_dropped_connection,
    a_client_too_slow_is_cut_and_resumes,
    resume_on_another_replica,
    a_key_sees_only_its_organization,
    invalid_requests_are_refused,
);
