//! wakit's own GraphClient against the sandbox: every message kind, read receipts, and
//! the synchronous errors Meta answers with.

mod common;

use common::*;
use serde_json::{Value, json};
use wakit_meta::ErrorClass;
use wakit_sim::{Inbound, Quirks, TemplateSpec};

fn payload(kind: &str, body: Value) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual",
           "to": CUSTOMER, "type": kind, kind: body})
}

#[tokio::test]
async fn graph_client_sends_every_kind_and_gets_wamids() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let inbound = sim
        .customer_writes(PNID, CUSTOMER, Some("Jane"), Inbound::text("hi"))
        .expect("customer writes");
    let image = sim
        .customer_writes(PNID, CUSTOMER, None, Inbound::Image { caption: None })
        .expect("image");
    let media_id = rx
        .wait_for(WAIT, |b| items(b, "messages").len() == 2)
        .await
        .then(|| {
            rx.messages()[1]["image"]["id"]
                .as_str()
                .expect("media id")
                .to_string()
        })
        .expect("inbound webhooks arrive");
    assert!(image.starts_with("wamid."));
    sim.add_template(
        WABA,
        TemplateSpec::body("order_update", "en_US", "UTILITY", "Hi {{1}}, order {{2}}"),
    )
    .expect("template");

    let client = graph(&sim);
    let cases = vec![
        payload(
            "text",
            json!({"body": "Check https://example.com/a", "preview_url": true}),
        ),
        payload("image", json!({"id": media_id, "caption": "pic"})),
        payload("image", json!({"link": "https://example.com/p.jpg"})),
        payload(
            "video",
            json!({"link": "https://example.com/v.mp4", "caption": "v"}),
        ),
        payload(
            "audio",
            json!({"link": "https://example.com/a.ogg", "voice": true}),
        ),
        payload(
            "document",
            json!({"link": "https://example.com/i.pdf", "filename": "i.pdf"}),
        ),
        payload("sticker", json!({"link": "https://example.com/s.webp"})),
        payload(
            "location",
            json!({"latitude": 37.48, "longitude": -122.14, "name": "HQ"}),
        ),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "contacts",
               "contacts": [{"name": {"formatted_name": "Jane Doe"}, "phones": [{"phone": "+1 555"}]}]}),
        payload("reaction", json!({"message_id": inbound, "emoji": "👍"})),
        payload(
            "interactive",
            json!({"type": "button", "body": {"text": "Pick"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "y", "title": "Yes"}},
                                   {"type": "reply", "reply": {"id": "n", "title": "No"}}]}}),
        ),
        payload(
            "interactive",
            json!({"type": "list", "body": {"text": "Choose"},
            "action": {"button": "Options", "sections": [{"title": "S", "rows": [{"id": "r1", "title": "Row"}]}]}}),
        ),
        payload(
            "interactive",
            json!({"type": "cta_url", "body": {"text": "Open"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Go", "url": "https://x.example"}}}),
        ),
        payload(
            "template",
            json!({"name": "order_update", "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Jane"}, {"type": "text", "text": "42"}]}]}),
        ),
    ];
    let mut wamids = Vec::new();
    for (i, mut p) in cases.into_iter().enumerate() {
        if i == 0 {
            p["context"] = json!({"message_id": inbound});
            p["biz_opaque_callback_data"] = json!("msg-0");
        }
        let ok = client
            .send(PNID, TOKEN, &p)
            .await
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert!(ok.wamid.starts_with("wamid."), "{}", ok.wamid);
        let is_template = p["type"] == "template";
        assert_eq!(
            ok.message_status.as_deref(),
            is_template.then_some("accepted")
        );
        wamids.push(ok.wamid);
    }
    let unique: std::collections::HashSet<_> = wamids.iter().collect();
    assert_eq!(unique.len(), wamids.len());

    let sent = sim.sent_messages();
    assert_eq!(sent.len(), wamids.len());
    assert_eq!(sent[0].biz_opaque_callback_data.as_deref(), Some("msg-0"));
    assert_eq!(sent[0].request["context"]["message_id"], json!(inbound));
    assert!(
        sent.iter()
            .all(|m| m.failure.is_none() && m.wa_id == CUSTOMER)
    );

    client
        .mark_read(PNID, TOKEN, &inbound, true)
        .await
        .expect("mark read");
    let reads = sim.read_receipts();
    assert_eq!(reads.len(), 1);
    assert!(reads[0].typing_indicator);
    assert_eq!(sim.stats().rejected.len(), 0, "{:?}", sim.stats().rejected);
    assert!(sim.wait_webhooks_idle(WAIT).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn raw_response_shape_and_routing_errors_are_meta_json() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    sim.set_last_inbound(PNID, CUSTOMER, Some(chrono::Utc::now()))
        .expect("window");
    let http = reqwest::Client::new();
    let url = format!("{}/{PNID}/messages", sim.base_url());
    let resp = http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({"messaging_product": "whatsapp", "to": "+1 650-555-1234", "type": "text", "text": {"body": "hi"}}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.expect("json");
    assert_eq!(v["messaging_product"], "whatsapp");
    assert_eq!(v["contacts"][0]["input"], "+1 650-555-1234");
    assert_eq!(v["contacts"][0]["wa_id"], CUSTOMER);
    assert!(v["messages"][0].get("message_status").is_none());

    // Any version segment works; unknown routes and bad versions are Meta errors.
    let other = url.replace("/v24.0/", "/v17.0/");
    let r = http
        .post(&other)
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], 100);
    for path in ["/nope", "/v24.0/a/b/c/d", "/foo/123/messages"] {
        let r = http
            .get(format!("http://{}{path}", sim.local_addr()))
            .send()
            .await
            .expect("get");
        assert!(r.status().is_client_error(), "{path}");
        let ct = r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .to_string();
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        let v: Value = r.json().await.expect("json");
        assert!(v["error"]["code"].is_i64(), "{path}: {v}");
    }
    let r = http.put(&url).bearer_auth(TOKEN).send().await.expect("put");
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (
            v["error"]["code"].as_i64(),
            v["error"]["error_subcode"].as_i64()
        ),
        (Some(100), Some(33))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_and_validation_errors_carry_meta_codes() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    let client = graph(&sim);
    let text = payload("text", json!({"body": "hi"}));

    let e = client
        .send(PNID, "wrong-token", &text)
        .await
        .expect_err("bad token");
    assert_eq!(
        (e.http_status, e.code, e.class),
        (Some(401), Some(190), ErrorClass::Reauth)
    );

    let e = client
        .send("999999999999999", TOKEN, &text)
        .await
        .expect_err("unknown number");
    assert_eq!(
        (e.code, e.subcode, e.http_status),
        (Some(100), Some(33), Some(400))
    );

    let cases = [
        (
            json!({"to": CUSTOMER, "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (payload("text", json!({})), 131008),
        (payload("poll", json!({})), 131051),
        (
            payload(
                "image",
                json!({"id": "1", "link": "https://x.example/a.jpg"}),
            ),
            131009,
        ),
        (
            payload("location", json!({"latitude": 100.0, "longitude": 0.0})),
            131009,
        ),
        (
            payload(
                "interactive",
                json!({"type": "button", "body": {"text": "b"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "this title is far too long"}}]}}),
            ),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": BUSINESS, "type": "text", "text": {"body": "x"}}),
            131021,
        ),
        (payload("text", json!({"body": "x".repeat(4097)})), 100),
    ];
    for (i, (body, code)) in cases.iter().enumerate() {
        let e = client.send(PNID, TOKEN, body).await.expect_err("invalid");
        assert_eq!(e.code, Some(*code), "case {i}: {e}");
        assert_eq!(e.class, ErrorClass::Permanent, "case {i}");
        assert!(e.details.is_some() || *code == 100, "case {i}: {e:?}");
    }
    let e = client
        .mark_read(PNID, TOKEN, "wamid.unknown", false)
        .await
        .expect_err("unknown wamid");
    assert_eq!(e.code, Some(100));
    let stats = sim.stats();
    assert_eq!(stats.rejected_with(190), 1);
    assert_eq!(stats.accepted, 0);
    assert!(sim.sent_messages().is_empty());
    sim.shutdown().await;
}
