//! The `/_sim` control API over HTTP, and chatty customers.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;
use wakit_sim::{Chatty, Quirks, Sim};

struct Ctl {
    http: reqwest::Client,
    base: String,
}

impl Ctl {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
}

#[tokio::test]
async fn control_routes_drive_the_sandbox() {
    let rx = Receiver::start(&[]).await;
    let sim = Sim::start(config(None, Quirks::none())).await.expect("sim");
    let ctl = Ctl {
        http: reqwest::Client::new(),
        base: sim.control_url(),
    };

    let (s, v) = ctl.post("/webhook-url", json!({"url": rx.url})).await;
    assert_eq!((s, v["webhook_url"].as_str()), (200, Some(rx.url.as_str())));
    let (s, v) = ctl
        .post("/webhook-url/verify", json!({"verify_token": "verify-me"}))
        .await;
    assert_eq!((s, v["verified"].as_bool()), (200, Some(true)));
    assert_eq!(sim.verify_webhook("wrong").await.ok(), Some(false));
    let (s, _) = ctl.post("/webhook-url", json!({"url": "ftp://x"})).await;
    assert_eq!(s, 400);
    let (s, n) = ctl
        .post(
            "/numbers",
            json!({"phone_number_id": PNID, "display_phone_number": "+1 555 078 3881",
            "access_token": TOKEN, "waba_id": WABA, "verified_name": "Acme", "throughput": 50}),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(
        (
            n["display_phone_number"].as_str(),
            n["throughput_mps"].as_u64()
        ),
        (Some(BUSINESS), Some(50))
    );
    let (s, v) = ctl
        .post(
            "/numbers",
            json!({"phone_number_id": PNID, "display_phone_number": BUSINESS}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_parameter")));
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("already exists"))
    );
    for bad in [
        json!({"display_phone_number": "abc"}),
        json!({"display_phone_number": BUSINESS, "throughput": 5000}),
        json!({"display_phone_number": BUSINESS, "colour": "red"}),
        json!({}),
    ] {
        let (s, v) = ctl.post("/numbers", bad.clone()).await;
        assert_eq!(s, 400, "{bad} → {v}");
        assert!(v["error"].is_string());
    }
    let r = ctl
        .http
        .post(format!("{}/numbers", ctl.base))
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);

    // A customer writes: text, then Meta-shaped type + body.
    let (s, v) = ctl
        .post(
            &format!("/customers/{CUSTOMER}/messages"),
            json!({"phone_number_id": PNID, "profile_name": "Jane", "text": "Hola"}),
        )
        .await;
    assert_eq!(s, 201);
    let first = v["wamid"].as_str().expect("wamid").to_string();
    let (s, _) = ctl
        .post(
            &format!("/customers/{CUSTOMER}/messages"),
            json!({"phone_number_id": PNID, "type": "image", "body": {"caption": "look"}}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = ctl.post(&format!("/customers/{CUSTOMER}/messages"),
        json!({"phone_number_id": PNID, "type": "reaction", "body": {"message_id": first, "emoji": "❤"}})).await;
    assert_eq!(s, 201);
    let (s, _) = ctl
        .post(
            &format!("/customers/{CUSTOMER}/messages"),
            json!({"phone_number_id": PNID, "type": "interactive", "context_id": "wamid.biz",
               "body": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Row"}}}),
        )
        .await;
    assert_eq!(s, 201);
    for (body, status) in [
        (json!({"phone_number_id": "404404404", "text": "x"}), 404),
        (json!({"phone_number_id": PNID}), 400),
        (
            json!({"phone_number_id": PNID, "text": "x", "type": "image"}),
            400,
        ),
        (json!({"text": "x"}), 400),
    ] {
        let (s, v) = ctl
            .post(&format!("/customers/{CUSTOMER}/messages"), body.clone())
            .await;
        assert_eq!(s, status, "{body} → {v}");
    }
    let (s, _) = ctl
        .post(
            "/customers/abc/messages",
            json!({"phone_number_id": PNID, "text": "x"}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, v) = ctl.get("/webhooks/idle?timeout_ms=5000").await;
    assert_eq!((s, v["idle"].as_bool()), (200, Some(true)));
    let msgs = rx.messages();
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[1]["image"]["mime_type"], "image/jpeg");
    assert!(msgs[1]["image"]["id"].is_string() && msgs[1]["image"]["sha256"].is_string());
    assert_eq!(msgs[2]["reaction"]["emoji"], "❤");
    assert_eq!(
        msgs[3]["context"],
        json!({"from": BUSINESS, "id": "wamid.biz"})
    );

    // Templates, quality, limits, window, token.
    let (s, t) = ctl.post(&format!("/wabas/{WABA}/templates"),
        json!({"name": "welcome", "language": "es", "category": "MARKETING", "body": "Hola {{1}}"})).await;
    assert_eq!((s, t["status"].as_str()), (201, Some("APPROVED")));
    let (s, _) = ctl
        .post(
            &format!("/wabas/{WABA}/templates"),
            json!({"name": "Bad Name", "language": "es", "body": "x"}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = ctl
        .post(
            "/wabas/1/templates",
            json!({"name": "x", "language": "es", "body": "x"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, v) = ctl.get(&format!("/wabas/{WABA}/templates")).await;
    assert_eq!((s, v["data"].as_array().map(Vec::len)), (200, Some(1)));
    let (s, v) = ctl
        .post(
            &format!("/numbers/{PNID}/quality"),
            json!({"quality_rating": "RED"}),
        )
        .await;
    assert_eq!((s, v["quality_rating"].as_str()), (200, Some("RED")));
    let (s, _) = ctl
        .post(
            &format!("/numbers/{PNID}/quality"),
            json!({"quality_rating": "PURPLE"}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, v) = ctl
        .post(
            &format!("/numbers/{PNID}/limit"),
            json!({"messaging_limit": "TIER_100K", "throughput": "HIGH"}),
        )
        .await;
    assert_eq!(
        (
            s,
            v["messaging_limit"].as_str(),
            v["throughput_mps"].as_u64()
        ),
        (200, Some("TIER_100K"), Some(1000))
    );
    let (s, v) = ctl
        .post(
            &format!("/customers/{CUSTOMER}/window"),
            json!({"phone_number_id": PNID, "hours_ago": 30}),
        )
        .await;
    assert_eq!((s, v["window_open"].as_bool()), (200, Some(false)));
    let client = graph(&sim);
    let text = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "late"}});
    client.send(PNID, TOKEN, &text).await.expect("accepted");
    let (s, _) = ctl
        .post(&format!("/numbers/{PNID}/expire-token"), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        client
            .send(PNID, TOKEN, &text)
            .await
            .expect_err("expired")
            .code,
        Some(190)
    );
    let (s, v) = ctl
        .post(
            &format!("/numbers/{PNID}/renew-token"),
            json!({"access_token": "new-token"}),
        )
        .await;
    assert_eq!((s, v["token_expired"].as_bool()), (200, Some(false)));

    let (s, v) = ctl.get(&format!("/sent?phone_number_id={PNID}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["data"][0]["failure"], 131047);
    assert_eq!(v["data"][0]["request"]["text"]["body"], "late");
    let (s, v) = ctl
        .post(
            "/storm",
            json!({"phone_number_id": PNID, "count": 40, "per_body": 4, "customers": 5}),
        )
        .await;
    assert_eq!(
        (s, v["messages"].as_u64(), v["bodies"].as_u64()),
        (201, Some(40), Some(10))
    );
    let (s, _) = ctl
        .post("/storm", json!({"phone_number_id": PNID, "count": 0}))
        .await;
    assert_eq!(s, 400);
    let (s, _) = ctl.get("/webhooks/idle?timeout_ms=10000").await;
    assert_eq!(s, 200);
    let (s, v) = ctl.get("/stats").await;
    assert_eq!(s, 200);
    assert_eq!(v["rejected"]["190"], 1);
    assert_eq!(v["failed_statuses"]["131047"], 1);
    assert_eq!(v["inbound"], 44);
    assert_eq!(v["webhooks"]["pending"], 0);
    let (s, v) = ctl.get("/webhooks?limit=2").await;
    assert_eq!((s, v["data"].as_array().map(Vec::len)), (200, Some(2)));
    let (s, v) = ctl
        .post(
            "/quirks",
            json!({"preset": "none", "duplicate_status": 0.5}),
        )
        .await;
    assert_eq!((s, v["duplicate_status"].as_f64()), (200, Some(0.5)));
    let (s, _) = ctl.post("/quirks", json!({"skip_delivered": 2.0})).await;
    assert_eq!(s, 400);
    for path in ["/nope", "/numbers/x/y/z"] {
        let (s, v) = ctl.get(path).await;
        assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{path}");
    }
    let (s, v) = ctl.get("/storm").await;
    assert_eq!((s, v["code"].as_str()), (405, Some("method_not_allowed")));
    let (s, v) = ctl.get("").await;
    assert_eq!(
        (s, v["base_url"].as_str().map(|b| b.ends_with("/v24.0"))),
        (200, Some(true))
    );
    assert!(rx.all().iter().all(|r| r.signature_ok));
    sim.shutdown().await;
}

#[tokio::test]
async fn chatty_customers_answer_after_reading() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    sim.set_chatty(Some(Chatty {
        reply_probability: 1.0,
        delay: Duration::from_millis(10)..Duration::from_millis(30),
        lines: vec!["Gracias 🙏".into()],
    }));
    sim.customer_writes(
        PNID,
        CUSTOMER,
        Some("Ana"),
        wakit_sim::Inbound::text("hola"),
    )
    .expect("writes");
    let text = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "¿Algo más?"}});
    graph(&sim).send(PNID, TOKEN, &text).await.expect("send");
    assert!(rx.wait_for(WAIT, |b| items(b, "messages").len() == 2).await);
    assert!(sim.wait_webhooks_idle(WAIT).await);
    let msgs = rx.messages();
    assert_eq!(msgs[1]["text"]["body"], "Gracias 🙏");
    assert_eq!(msgs[1]["from"], CUSTOMER);
    // A customer who does not read never answers.
    sim.set_customer_reads("447700900999", false)
        .expect("reads");
    sim.customer_writes(PNID, "447700900999", None, wakit_sim::Inbound::text("hi"))
        .expect("writes");
    let text = json!({"messaging_product": "whatsapp", "to": "447700900999", "type": "text", "text": {"body": "x"}});
    let sent = graph(&sim).send(PNID, TOKEN, &text).await.expect("send");
    assert!(sim.wait_webhooks_idle(WAIT).await);
    let st: Vec<_> = rx
        .statuses_for(&sent.wamid)
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(st, [json!("sent"), json!("delivered")]);
    assert_eq!(rx.messages().len(), 3);
    sim.shutdown().await;
}
