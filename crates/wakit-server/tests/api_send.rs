//! `POST /messages` over HTTP on both backends with the sandbox as Meta: the window
//! (whole history), templates checked before Meta, documents, Meta's answer (sent,
//! refused, pending), and `Idempotency-Key`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::api::{conversation_until, expect_error};
use common::sandbox::{World, fast_dispatch, world, world_with};
use serde_json::json;
use wakit_api::{Client, DocumentRequest, SendRequest};
use wakit_core::{MessageContent, Phone};
use wakit_server::ApiConfig;
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store::{InboundMessage, TemplateRecord};
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";
const STRANGER: &str = "5215550001111";
const LAPSED: &str = "5215550002222";

fn text(to: &str, body: &str) -> SendRequest {
    SendRequest {
        contact_phone: Some(to.into()),
        text: Some(body.into()),
        ..Default::default()
    }
}

fn template(to: &str, name: &str, lang: &str, params: &[&str]) -> SendRequest {
    let parameters: Vec<_> = params
        .iter()
        .map(|p| json!({"type": "text", "text": p}))
        .collect();
    let components = if params.is_empty() {
        json!([])
    } else {
        json!([{"type": "body", "parameters": parameters}])
    };
    SendRequest {
        contact_phone: Some(to.into()),
        template: Some(json!({"name": name, "language": {"code": lang}, "components": components})),
        ..Default::default()
    }
}

/// How many sends the sandbox accepted for wakit's message `id`.
fn sends_of(w: &World, id: &str) -> usize {
    w.sim
        .sent_messages()
        .iter()
        .filter(|m| m.biz_opaque_callback_data.as_deref() == Some(id))
        .count()
}

async fn text_needs_an_open_window(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;

    let e = expect_error(
        api.send(&text(STRANGER, "hi"), None).await,
        400,
        "service_window_closed",
    );
    assert!(e.error.contains("no prior incoming message"), "{}", e.error);
    // The contact wrote 25 h ago (and once more before that: the newest counts).
    for (wamid, hours) in [("wamid.old-1", 30), ("wamid.old-2", 25)] {
        let old = InboundMessage {
            account_id: w.account.id,
            from: Phone::parse(LAPSED).unwrap().into(),
            profile_name: None,
            wamid: wamid.into(),
            timestamp: Utc::now() - Duration::hours(hours),
            content: MessageContent::text("old"),
        };
        w.ts.store
            .ingest_inbound(w.account.org_id, old)
            .await
            .unwrap();
    }
    let e = expect_error(
        api.send(&text(LAPSED, "hi"), None).await,
        400,
        "service_window_closed",
    );
    assert!(e.error.contains("24h+"), "{}", e.error);
    let doc = SendRequest {
        contact_phone: Some(LAPSED.into()),
        document: Some(DocumentRequest {
            id: None,
            link: "https://example.com/f.pdf".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    expect_error(api.send(&doc, None).await, 400, "service_window_closed");
    assert!(w.sim.sent_messages().is_empty(), "nothing reached Meta");

    w.customer_writes(CUSTOMER, "hola").await;
    let sent = api
        .send(&text(CUSTOMER, "¡Hola!"), None)
        .await
        .expect("send");
    assert_eq!((sent.status, sent.value.status.as_str()), (200, "sent"));
    let wamid = sent.value.wamid.clone().expect("wamid");
    let at_meta = w.sim.sent_messages();
    assert_eq!(at_meta.len(), 1);
    assert_eq!(at_meta[0].wamid, wamid);
    assert_eq!(sends_of(&w, &sent.value.id), 1);

    // Bad bodies never reach Meta.
    let long = "x".repeat(4097);
    for bad in [
        text(CUSTOMER, &long),
        text(CUSTOMER, "   "),
        SendRequest {
            contact_phone: Some(CUSTOMER.into()),
            ..Default::default()
        },
        SendRequest {
            template: Some(json!({"name": "hello_world", "language": {"code": "es"}})),
            ..text(CUSTOMER, "both")
        },
        SendRequest {
            text: Some("nobody".into()),
            ..Default::default()
        },
    ] {
        expect_error(api.send(&bad, None).await, 400, "invalid_parameter");
    }
    let r: Result<wakit_api::Answer<serde_json::Value>, _> = api
        .post(
            "/messages",
            &json!({"contact_phone": CUSTOMER, "txt": "typo"}),
            None,
        )
        .await;
    let e = expect_error(r, 400, "invalid_parameter");
    assert!(e.error.contains("txt"), "{}", e.error);
    assert_eq!(w.sim.sent_messages().len(), 1);
    w.stop().await;
}

async fn templates_are_checked_before_meta(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let spec = TemplateSpec::body("hello_world", "es", "UTILITY", "Hola {{1}}");
    w.sim
        .add_template(&w.account.waba_id, spec)
        .expect("template");

    let e = expect_error(
        api.send(&template(STRANGER, "nope", "es", &["a"]), None)
            .await,
        404,
        "not_found",
    );
    assert!(e.error.contains("nope"), "{}", e.error);
    let e = expect_error(
        api.send(&template(STRANGER, "hello_world", "fr", &["a"]), None)
            .await,
        404,
        "not_found",
    );
    assert!(e.error.contains("available: es"), "{}", e.error);
    expect_error(
        api.send(&template(STRANGER, "hello_world", "es", &[]), None)
            .await,
        400,
        "invalid_parameter",
    );
    expect_error(
        api.send(&template(STRANGER, "hello_world", "es", &["a", "b"]), None)
            .await,
        400,
        "invalid_parameter",
    );
    assert!(w.sim.sent_messages().is_empty());

    // Outside any window, a template goes out.
    let ok = api
        .send(&template(STRANGER, "hello_world", "es", &["Ana"]), None)
        .await
        .expect("template send");
    assert_eq!(ok.value.status, "sent");
    let at_meta = w.sim.sent_messages();
    assert_eq!((at_meta.len(), at_meta[0].kind.as_str()), (1, "template"));

    // A template wakit's cache knows but Meta does not: Meta's refusal, with its code.
    let mut cached = vec![TemplateRecord {
        id: "1".into(),
        name: "ghost".into(),
        language: "es".into(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        components: json!([{"type": "BODY", "text": "Boo"}]),
    }];
    let (org, acct) = (w.account.org_id, w.account.id);
    cached.extend(w.ts.store.list_templates(org, acct).await.unwrap().0);
    w.ts.store
        .replace_templates(org, acct, cached)
        .await
        .unwrap();
    let e = expect_error(
        api.send(&template(STRANGER, "ghost", "es", &[]), None)
            .await,
        400,
        "meta_rejected",
    );
    assert_eq!(e.meta.as_ref().map(|m| m.code), Some(132001), "{e:?}");
    let failed_id = e.id.expect("the stored message's id");
    let conv = conversation_until(&api, STRANGER, |_| true).await;
    let failed = conv
        .messages
        .iter()
        .find(|m| m.id == failed_id)
        .expect("stored");
    assert_eq!(failed.status, "failed");
    assert!(
        failed
            .errors
            .as_ref()
            .is_some_and(|e| e[0]["code"] == 132001)
    );
    w.stop().await;
}

async fn documents(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "mándame la factura").await;
    let doc = |link: &str| SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        document: Some(DocumentRequest {
            id: None,
            link: link.into(),
            filename: Some("factura.pdf".into()),
            caption: Some("Tu factura".into()),
            mime_type: None,
        }),
        ..Default::default()
    };
    let e = expect_error(api.send(&doc(""), None).await, 400, "invalid_parameter");
    assert_eq!(
        e.error,
        "document.id (an upload, POST /media) or document.link (public https URL) is required"
    );
    expect_error(
        api.send(&doc("http://example.com/f.pdf"), None).await,
        400,
        "invalid_parameter",
    );
    let ok = api
        .send(&doc("https://example.com/f.pdf"), None)
        .await
        .expect("document");
    assert_eq!(ok.value.status, "sent");
    let at_meta = w.sim.sent_messages();
    assert_eq!(at_meta.len(), 1);
    assert_eq!(at_meta[0].kind, "document");
    assert_eq!(
        at_meta[0].request["document"]["link"],
        "https://example.com/f.pdf"
    );
    assert_eq!(at_meta[0].request["document"]["filename"], "factura.pdf");
    let conv = conversation_until(&api, CUSTOMER, |_| true).await;
    let last = conv.messages.last().expect("document stored");
    assert_eq!(
        (last.content["kind"].as_str(), last.content["text"].as_str()),
        (Some("document"), Some("Tu factura"))
    );
    w.stop().await;
}

async fn idempotency_keys(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "hola").await;

    let req = text(CUSTOMER, "once");
    let first = api.send(&req, Some("order-17")).await.expect("first");
    let again = api.send(&req, Some("order-17")).await.expect("retry");
    assert_eq!(first.value, again.value, "same key → same answer");
    assert_eq!(sends_of(&w, &first.value.id), 1);
    let e = expect_error(
        api.send(&text(CUSTOMER, "different"), Some("order-17"))
            .await,
        422,
        "idempotency_key_reused",
    );
    assert!(e.error.contains("order-17"));
    let other = api.send(&req, Some("order-18")).await.expect("new key");
    assert_ne!(other.value.id, first.value.id);

    // Many clients retrying at once with one key: one message, one send.
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (api, req): (Client, SendRequest) = (api.clone(), text(CUSTOMER, "race"));
            tokio::spawn(async move { api.send(&req, Some("race-1")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for r in racers {
        ids.push(r.await.expect("join").expect("send").value.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every racer got the one message: {ids:?}");
    assert_eq!(sends_of(&w, &ids[0]), 1);
    // Another org may use the same key for its own message (checked in tenancy tests).
    w.stop().await;
}

async fn pending_and_upstream_errors(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let api_cfg = ApiConfig {
        send_wait: std::time::Duration::ZERO,
        ..ApiConfig::default()
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), api_cfg).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "hola").await;
    let queued = api
        .send(&text(CUSTOMER, "later"), None)
        .await
        .expect("queued");
    assert_eq!(
        (queued.status, queued.value.status.as_str()),
        (202, "pending")
    );
    assert_eq!(queued.value.wamid, None);
    let conv = conversation_until(&api, CUSTOMER, |c| {
        c.messages
            .iter()
            .any(|m| m.id == queued.value.id && m.wamid.is_some())
    })
    .await;
    assert!(
        conv.messages
            .iter()
            .any(|m| m.id == queued.value.id && m.wamid.is_some())
    );
    w.stop().await;

    // An expired token: Meta refuses the number, not the request → 502 with Meta's code.
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "hola").await;
    w.sim
        .expire_token(&w.account.phone_number_id)
        .expect("expire");
    let e = expect_error(
        api.send(&text(CUSTOMER, "hi"), None).await,
        502,
        "upstream_error",
    );
    assert_eq!(e.meta.map(|m| m.code), Some(190));
    assert!(e.id.is_some());
    w.stop().await;
}

on_both_backends!(
    text_needs_an_open_window,
    templates_are_checked_before_meta,
    documents,
    idempotency_keys,
    pending_and_upstream_errors,
);
