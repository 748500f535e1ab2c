//! Status and inbound webhooks: signatures, escaping, quirks, the 24 h window, retries.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use wakit_meta::WebhookEvent;
use wakit_sim::{Inbound, Quirks, Sim};

fn text_to(customer: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": customer, "type": "text", "text": {"body": body}})
}

fn names(statuses: &[Value]) -> Vec<String> {
    statuses
        .iter()
        .map(|s| s["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn statuses_arrive_signed_escaped_and_in_order_without_quirks() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    sim.customer_writes(
        PNID,
        CUSTOMER,
        Some("José 😮 a/b"),
        Inbound::text("¿Hola? 👍 https://x.io/a"),
    )
    .expect("writes");
    let client = graph(&sim);
    let mut body = text_to(CUSTOMER, "hi");
    body["biz_opaque_callback_data"] = json!("wakit-msg-1");
    let sent = client.send(PNID, TOKEN, &body).await.expect("send");
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&sent.wamid).len() == 3)
            .await
    );
    assert!(sim.wait_webhooks_idle(WAIT).await);

    let st = rx.statuses_for(&sent.wamid);
    assert_eq!(names(&st), ["sent", "delivered", "read"]);
    for s in &st {
        assert_eq!(s["biz_opaque_callback_data"], "wakit-msg-1");
        assert_eq!(s["recipient_id"], CUSTOMER);
        assert!(
            s["timestamp"]
                .as_str()
                .is_some_and(|t| t.parse::<i64>().is_ok())
        );
    }
    assert_eq!(
        st[0]["pricing"],
        json!({"billable": false, "pricing_model": "PMP",
        "type": "free_customer_service", "category": "service"})
    );
    assert!(
        st[0].get("conversation").is_none(),
        "v24 omits conversation"
    );
    assert!(st[2].get("pricing").is_none());

    let all = rx.all();
    assert!(
        all.iter().all(|r| r.signature_ok),
        "every body signed with the app secret"
    );
    assert!(
        all.iter().all(|r| r.raw.is_ascii()),
        "bodies are ASCII-only"
    );
    let inbound = String::from_utf8(all[0].raw.to_vec()).expect("utf8");
    assert!(
        inbound.contains(r"Jos\u00e9 \ud83d\ude2e a\/b"),
        "{inbound}"
    );
    assert!(
        inbound.contains(r"\u00bfHola? \ud83d\udc4d https:\/\/x.io\/a"),
        "{inbound}"
    );
    assert_eq!(rx.messages()[0]["text"]["body"], "¿Hola? 👍 https://x.io/a");
    assert_eq!(all[0].json["entry"][0]["id"], WABA);
    assert_eq!(
        all[0].json["entry"][0]["changes"][0]["value"]["metadata"],
        json!({"display_phone_number": BUSINESS, "phone_number_id": PNID})
    );

    // wakit's own parser understands every body.
    for r in &all {
        for ev in wakit_meta::parse_webhook(&r.raw) {
            assert!(!matches!(ev, WebhookEvent::Invalid { .. }), "{ev:?}");
        }
    }
    let stats = sim.stats().webhooks;
    assert_eq!(
        (
            stats.queued,
            stats.delivered,
            stats.pending,
            stats.failed_attempts
        ),
        (4, 4, 0, 0)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn quirks_duplicate_skip_reorder_and_race_the_response() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::always()).await;
    sim.customer_writes(PNID, CUSTOMER, None, Inbound::text("hi"))
        .expect("writes");
    let client = graph(&sim);
    let mut body = text_to(CUSTOMER, "hello");
    body["biz_opaque_callback_data"] = json!("cb-9");
    let sent = client.send(PNID, TOKEN, &body).await.expect("send");
    // The `sent` status was acknowledged before the send response came back.
    let early = rx.statuses_for(&sent.wamid);
    assert!(!early.is_empty(), "sent acknowledged before the response");
    assert!(names(&early).iter().all(|s| s == "sent"), "{early:?}");
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&sent.wamid).len() == 4)
            .await
    );
    assert!(sim.wait_webhooks_idle(WAIT).await);
    let st = rx.statuses_for(&sent.wamid);
    assert_eq!(
        names(&st),
        ["sent", "sent", "read", "read"],
        "delivered skipped, all duplicated"
    );
    assert!(st.iter().all(|s| s["biz_opaque_callback_data"] == "cb-9"));

    // Reordering: without the early race, `sent` comes after `read`.
    sim.set_quirks(Quirks {
        status_before_response: 0.0,
        ..Quirks::always()
    });
    let sent = client
        .send(PNID, TOKEN, &text_to(CUSTOMER, "again"))
        .await
        .expect("send");
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&sent.wamid).len() == 4)
            .await
    );
    // Queue order is deterministic (arrival order may vary with concurrent delivery).
    let queued: Vec<String> = sim
        .webhook_records(100)
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).expect("json"))
        .map(|v| v["entry"][0]["changes"][0]["value"]["statuses"][0].clone())
        .filter(|s| s["id"] == json!(sent.wamid))
        .map(|s| s["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(queued, ["read", "read", "sent", "sent"]);
    let mut got = names(&rx.statuses_for(&sent.wamid));
    got.sort();
    assert_eq!(got, ["read", "read", "sent", "sent"]);
    assert!(rx.all().iter().all(|r| r.signature_ok));
    sim.shutdown().await;
}

#[tokio::test]
async fn outside_the_window_is_accepted_then_fails_with_131047() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let client = graph(&sim);
    let stranger = "447700900123";
    let failed = client
        .send(PNID, TOKEN, &text_to(stranger, "hello?"))
        .await
        .expect("accepted");
    assert!(
        rx.wait_for(WAIT, |_| !rx.statuses_for(&failed.wamid).is_empty())
            .await
    );
    let st = rx.statuses_for(&failed.wamid);
    assert_eq!(names(&st), ["failed"]);
    assert_eq!(st[0]["errors"][0]["code"], 131047);
    assert_eq!(st[0]["errors"][0]["title"], "Re-engagement message");
    assert!(
        st[0]["errors"][0]["error_data"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("24 hours"))
    );

    // An old inbound (25 h) keeps the window closed; a fresh one opens it.
    let old = chrono::Utc::now() - chrono::Duration::hours(25);
    sim.set_last_inbound(PNID, stranger, Some(old))
        .expect("window");
    let still = client
        .send(PNID, TOKEN, &text_to(stranger, "x"))
        .await
        .expect("accepted");
    sim.customer_writes(PNID, stranger, None, Inbound::text("hi"))
        .expect("writes");
    let ok = client
        .send(PNID, TOKEN, &text_to(stranger, "welcome"))
        .await
        .expect("accepted");
    // Templates are fine outside the window.
    sim.add_template(
        common::WABA,
        wakit_sim::TemplateSpec::body("hello", "en", "MARKETING", "Hello"),
    )
    .expect("template");
    let tpl = client
        .send(
            PNID,
            TOKEN,
            &json!({"messaging_product": "whatsapp", "to": "5215512345678", "type": "template",
            "template": {"name": "hello", "language": {"code": "en"}}}),
        )
        .await
        .expect("template accepted");
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&ok.wamid).len() == 3
            && rx.statuses_for(&tpl.wamid).len() == 3
            && !rx.statuses_for(&still.wamid).is_empty())
            .await
    );
    assert_eq!(names(&rx.statuses_for(&still.wamid)), ["failed"]);
    assert_eq!(
        names(&rx.statuses_for(&ok.wamid)),
        ["sent", "delivered", "read"]
    );
    assert_eq!(
        rx.statuses_for(&tpl.wamid)[0]["pricing"]["category"],
        "marketing"
    );
    assert_eq!(rx.statuses_for(&tpl.wamid)[0]["pricing"]["type"], "regular");
    let stats = sim.stats();
    assert_eq!(stats.failed_statuses.get(&131047), Some(&2));
    assert_eq!(stats.rejected_with(131047), 0, "never a synchronous 131047");
    let failures: Vec<_> = sim.sent_messages().iter().map(|m| m.failure).collect();
    assert_eq!(failures, [Some(131047), Some(131047), None, None]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_receiver_answering_500_twice_gets_the_body_three_times() {
    let rx = Receiver::start(&[500, 500]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let wamid = sim
        .customer_writes(PNID, CUSTOMER, None, Inbound::text("retry me"))
        .expect("writes");
    assert!(sim.wait_webhooks_idle(WAIT).await);
    let all = rx.all();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r.raw == all[0].raw && r.signature_ok));
    assert_eq!(
        all.iter().map(|r| r.status_answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert_eq!(rx.messages()[0]["id"], json!(wamid));
    let s = sim.stats().webhooks;
    assert_eq!(
        (
            s.queued,
            s.delivered,
            s.attempts,
            s.failed_attempts,
            s.pending
        ),
        (1, 1, 3, 2, 0)
    );
    let rec = sim.webhook_records(10);
    assert_eq!((rec[0].attempts, rec[0].delivered), (3, true));
    sim.shutdown().await;
}

#[tokio::test]
async fn bodies_wait_for_a_webhook_url_and_an_unreachable_receiver() {
    // Started before the receiver exists: nothing is dropped.
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    sim.customer_writes(PNID, CUSTOMER, None, Inbound::text("early"))
        .expect("writes");
    sim.set_webhook_url("http://127.0.0.1:9/unreachable");
    let start = std::time::Instant::now();
    while sim.stats().webhooks.failed_attempts == 0 && start.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(sim.stats().webhooks.failed_attempts >= 1);
    assert_eq!(sim.stats().webhooks.pending, 1);
    let rx = Receiver::start(&[]).await;
    sim.set_webhook_url(rx.url.clone());
    assert!(sim.wait_webhooks_idle(WAIT).await);
    assert_eq!(rx.messages()[0]["text"]["body"], "early");
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_and_storm_deliver_unique_messages() {
    let rx = Receiver::start(&[]).await;
    let mut cfg = config(Some(&rx.url), Quirks::meta_like());
    cfg.webhook_concurrency = 8;
    let sim = Sim::start(cfg).await.expect("sim");
    let n = sim
        .add_number(wakit_sim::NumberSpec::new(BUSINESS).token(TOKEN))
        .expect("number");
    let id = n.phone_number_id.clone();
    let batch = sim
        .customer_writes_batch(
            &id,
            vec![
                (
                    "16505550001".into(),
                    Some("Ann".into()),
                    Inbound::text("one").into(),
                ),
                (
                    "16505550002".into(),
                    Some("Bob".into()),
                    Inbound::Location {
                        latitude: 1.0,
                        longitude: 2.0,
                        name: None,
                        address: None,
                    }
                    .into(),
                ),
                (
                    "16505550001".into(),
                    None,
                    Inbound::ButtonReply {
                        id: "y".into(),
                        title: "Yes".into(),
                    }
                    .into(),
                ),
            ],
        )
        .expect("batch");
    assert!(rx.wait_for(WAIT, |b| !b.is_empty()).await);
    let first = rx.accepted()[0].json.clone();
    let value = &first["entry"][0]["changes"][0]["value"];
    assert_eq!(
        value["messages"].as_array().map(Vec::len),
        Some(3),
        "one body"
    );
    assert_eq!(value["contacts"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        value["messages"][2]["interactive"]["button_reply"]["id"],
        "y"
    );

    let report = sim.storm(&id, 500, 7, 40).expect("storm");
    assert_eq!(report.wamids.len(), 500);
    assert_eq!(report.bodies, 500usize.div_ceil(7));
    assert!(sim.wait_webhooks_idle(Duration::from_secs(30)).await);
    let got: Vec<String> = rx
        .messages()
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), 503);
    assert!(
        report
            .wamids
            .iter()
            .chain(batch.iter())
            .all(|w| unique.contains(w))
    );
    let senders: HashMap<String, usize> =
        rx.messages().iter().fold(HashMap::new(), |mut m, msg| {
            *m.entry(msg["from"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
            m
        });
    assert_eq!(senders.len(), 42);
    assert_eq!(sim.stats().inbound, 503);
    sim.shutdown().await;
}

#[tokio::test]
async fn template_and_quality_webhooks() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let t = sim
        .add_template(
            WABA,
            wakit_sim::TemplateSpec::body("promo", "es", "MARKETING", "Hola {{1}}"),
        )
        .expect("template");
    sim.set_quality(PNID, wakit_sim::Quality::Red)
        .expect("quality");
    sim.set_limit(PNID, wakit_sim::MessagingLimit::Tier10K)
        .expect("limit");
    assert!(sim.wait_webhooks_idle(WAIT).await);
    let fields: Vec<(String, Value)> = rx
        .accepted()
        .iter()
        .map(|r| {
            let c = &r.json["entry"][0]["changes"][0];
            (
                c["field"].as_str().unwrap_or_default().to_string(),
                c["value"].clone(),
            )
        })
        .collect();
    assert_eq!(fields.len(), 3);
    let tpl = fields
        .iter()
        .find(|f| f.0 == "message_template_status_update")
        .expect("template webhook");
    assert_eq!(tpl.1["event"], "APPROVED");
    assert_eq!(tpl.1["message_template_id"].to_string(), t.id);
    let events: Vec<&Value> = fields
        .iter()
        .filter(|f| f.0 == "phone_number_quality_update")
        .map(|f| &f.1["event"])
        .collect();
    assert_eq!(events, [&json!("FLAGGED"), &json!("UPGRADE")]);
    for r in rx.accepted() {
        let evs = wakit_meta::parse_webhook(&r.raw);
        assert!(
            matches!(
                evs[0],
                WebhookEvent::TemplateStatus { .. } | WebhookEvent::NumberUpdate { .. }
            ),
            "{evs:?}"
        );
    }
    sim.shutdown().await;
}
