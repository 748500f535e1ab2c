//! Meta's 2026 identities: BSUIDs in every contact, username-only customers without a
//! phone, sends to a BSUID (`recipient`), 131062, and the window per customer.

mod common;

use common::*;
use serde_json::{Value, json};
use wakit_sim::{Inbound, Quirks, Sender, SimHandle, TemplateSpec, bsuid_for_phone};

async fn control(sim: &SimHandle, method: reqwest::Method, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.control_url()))
        .json(&body)
        .send()
        .await
        .expect("control");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

/// The value of the one body whose messages[0].id is `wamid`.
fn inbound_value(rx: &Receiver, wamid: &str) -> Value {
    rx.accepted()
        .iter()
        .map(|b| b.json["entry"][0]["changes"][0]["value"].clone())
        .find(|v| v["messages"][0]["id"] == wamid)
        .expect("inbound body")
}

#[tokio::test]
async fn username_customer_later_shows_phone_and_keeps_one_bsuid() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let first = sim
        .sender_writes(
            PNID,
            Sender::username("@ana").named("Ana Username").country("MX"),
            Inbound::text("hola"),
        )
        .expect("username-only write");
    let later = sim
        .sender_writes(
            PNID,
            Sender::phone("5215512345678").with_username("@ana"),
            Inbound::text("ahora con número"),
        )
        .expect("phone + username write");
    assert!(
        rx.wait_for(WAIT, |b| items(b, "messages").len() == 2).await,
        "both inbound bodies arrive"
    );
    let v1 = inbound_value(&rx, &first);
    let (c1, m1) = (&v1["contacts"][0], &v1["messages"][0]);
    let bsuid = c1["user_id"].as_str().expect("user_id").to_string();
    assert!(bsuid.starts_with("MX."), "{bsuid}");
    assert_eq!(
        c1["profile"],
        json!({"name": "Ana Username", "username": "@ana"})
    );
    assert!(
        c1.get("wa_id").is_none() && m1.get("from").is_none(),
        "{v1}"
    );
    assert_eq!(m1["from_user_id"], json!(bsuid));
    assert_eq!(m1["from_parent_user_id"], c1["parent_user_id"]);

    let v2 = inbound_value(&rx, &later);
    assert_eq!(v2["contacts"][0]["user_id"], json!(bsuid));
    assert_eq!(v2["contacts"][0]["wa_id"], json!("5215512345678"));
    assert_eq!(v2["messages"][0]["from"], json!("5215512345678"));
    assert_eq!(
        sim.customer_bsuid("+52 1 55 1234 5678"),
        Some(bsuid.clone())
    );
    for b in rx.accepted() {
        assert!(
            b.json["entry"][0]["time"].is_i64(),
            "entry.time on {}",
            b.json
        );
    }

    // The control API names the same customer by phone, BSUID and username.
    for id in ["5215512345678", bsuid.as_str(), "@ana"] {
        let c = control(
            &sim,
            reqwest::Method::GET,
            &format!("/customers/{id}"),
            json!({}),
        )
        .await;
        assert_eq!(c["user_id"], json!(bsuid), "{id}");
        assert_eq!(c["known"], json!(true));
    }
    let fresh = control(
        &sim,
        reqwest::Method::GET,
        "/customers/16505550000",
        json!({}),
    )
    .await;
    assert_eq!(fresh["known"], json!(false));
    assert_eq!(fresh["user_id"], json!(bsuid_for_phone("16505550000")));
}

#[tokio::test]
async fn phone_customers_get_the_predicted_bsuid_in_messages_and_statuses() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let expected = bsuid_for_phone(CUSTOMER).expect("bsuid");
    assert_eq!(sim.customer_bsuid(CUSTOMER), Some(expected.clone()));
    sim.customer_writes(PNID, CUSTOMER, Some("Jane"), Inbound::text("hi"))
        .expect("write");
    let (status, answer) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text",
               "text": {"body": "hello"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["contacts"][0]["wa_id"], json!(CUSTOMER));
    let wamid = answer["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&wamid).len() == 3)
            .await
    );
    assert_eq!(rx.messages()[0]["from_user_id"], json!(expected));
    for b in rx.accepted() {
        let v = &b.json["entry"][0]["changes"][0]["value"];
        let contact = &v["contacts"][0];
        assert_eq!(contact["user_id"], json!(expected), "{v}");
        assert_eq!(contact["wa_id"], json!(CUSTOMER), "{v}");
        if let Some(s) = v["statuses"].get(0) {
            assert_eq!(s["recipient_id"], json!(CUSTOMER));
            assert_eq!(s["recipient_user_id"], json!(expected));
        }
    }
}

#[tokio::test]
async fn sends_to_a_bsuid_answer_user_id_and_statuses_omit_recipient_id() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let ana = control(
        &sim,
        reqwest::Method::POST,
        "/messages",
        json!({"phone_number_id": PNID, "username": "@ana", "profile_name": "Ana", "text": "hi"}),
    )
    .await;
    let bsuid = ana["user_id"].as_str().expect("user_id").to_string();
    assert!(ana["wa_id"].is_null() && ana["wamid"].is_string(), "{ana}");
    let send = |recipient: &str, to: Option<&str>| {
        let mut body = json!({"messaging_product": "whatsapp", "recipient": recipient,
                              "type": "text", "text": {"body": "hola"}});
        if let Some(to) = to {
            body["to"] = json!(to);
        }
        body
    };
    let (status, answer) = graph_post(&sim, &format!("/{PNID}/messages"), send(&bsuid, None)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["contacts"],
        json!([{"input": bsuid, "user_id": bsuid}])
    );
    let wamid = answer["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    assert!(
        rx.wait_for(WAIT, |_| rx.statuses_for(&wamid).len() == 3)
            .await,
        "a free-form send inside the username customer's window is delivered"
    );
    for s in rx.statuses_for(&wamid) {
        assert!(s.get("recipient_id").is_none(), "{s}");
        assert_eq!(s["recipient_user_id"], json!(bsuid));
    }
    let status_value = rx
        .accepted()
        .iter()
        .map(|b| b.json["entry"][0]["changes"][0]["value"].clone())
        .find(|v| v["statuses"][0]["id"] == wamid)
        .expect("status body");
    assert!(status_value["contacts"][0].get("wa_id").is_none());
    assert_eq!(status_value["contacts"][0]["user_id"], json!(bsuid));

    // A parent BSUID reaches the same customer; `to` wins over `recipient`.
    let parent = ana["parent_user_id"].as_str().expect("parent");
    let (status, answer) = graph_post(&sim, &format!("/{PNID}/messages"), send(parent, None)).await;
    assert_eq!(
        (status, &answer["contacts"][0]["input"]),
        (200, &json!(parent))
    );
    let (status, answer) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        send(&bsuid, Some(CUSTOMER)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["contacts"][0]["wa_id"], json!(CUSTOMER));
    assert!(answer["contacts"][0].get("user_id").is_none());
    let sent = sim.sent_messages();
    assert_eq!(sent[0].user_id, bsuid);
    assert_eq!(sent[0].wa_id, "");
    assert_eq!(
        sent[2].failure,
        Some(131047),
        "the phone customer never wrote"
    );

    let (status, answer) =
        graph_post(&sim, &format!("/{PNID}/messages"), send("US.12", None)).await;
    assert_eq!((status, &answer["error"]["code"]), (400, &json!(100)));
}

#[tokio::test]
async fn window_is_per_customer_and_auth_templates_need_a_phone() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    sim.add_template(
        WABA,
        TemplateSpec::body(
            "login_code",
            "en_US",
            "AUTHENTICATION",
            "Your code is {{1}}",
        ),
    )
    .expect("template");
    // Wrote with the phone; a free-form send to the BSUID is inside the window.
    sim.sender_writes(
        PNID,
        Sender::phone(CUSTOMER).with_username("@jane"),
        Inbound::text("hi"),
    )
    .expect("write");
    let bsuid = sim.customer_bsuid(CUSTOMER).expect("bsuid");
    let (status, _) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        json!({"messaging_product": "whatsapp", "recipient": bsuid, "type": "text",
               "text": {"body": "inside the window"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.sent_messages()[0].failure, None);

    let auth = |addr: Value| {
        let mut body = json!({"messaging_product": "whatsapp", "type": "template",
            "template": {"name": "login_code", "language": {"code": "en_US"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "123456"}]}]}});
        if let (Value::Object(b), Value::Object(a)) = (&mut body, addr) {
            b.extend(a);
        }
        body
    };
    let (status, answer) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        auth(json!({"recipient": bsuid})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], json!(131062));
    let (status, _) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        auth(json!({"to": CUSTOMER})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.stats().rejected_with(131062), 1);
}

#[tokio::test]
async fn username_customers_in_batches_and_window_control() {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    let batch = control(
        &sim,
        reqwest::Method::POST,
        "/batch",
        json!({"phone_number_id": PNID, "messages": [
            {"username": "@ana", "profile_name": "Ana", "text": "one"},
            {"from": CUSTOMER, "text": "two"}]}),
    )
    .await;
    assert_eq!(batch["wamids"].as_array().map(Vec::len), Some(2));
    assert!(rx.wait_for(WAIT, |b| !b.is_empty()).await);
    let body = &rx.accepted()[0].json["entry"][0]["changes"][0]["value"];
    assert_eq!(body["contacts"].as_array().map(Vec::len), Some(2), "{body}");
    assert!(body["messages"][0].get("from").is_none());
    assert_eq!(body["messages"][1]["from"], json!(CUSTOMER));

    // Close Ana's window by username: a free-form send to her BSUID then fails (131047).
    control(
        &sim,
        reqwest::Method::POST,
        "/customers/@ana/window",
        json!({"phone_number_id": PNID, "hours_ago": 25}),
    )
    .await;
    let found = control(&sim, reqwest::Method::GET, "/customers/@ana", json!({})).await;
    let ana = sim
        .customer(found["user_id"].as_str().expect("user_id"))
        .expect("ana is known");
    assert_eq!(ana.username.as_deref(), Some("@ana"));
    let (status, _) = graph_post(
        &sim,
        &format!("/{PNID}/messages"),
        json!({"messaging_product": "whatsapp", "recipient": ana.user_id, "type": "text",
               "text": {"body": "late"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.sent_messages()[0].failure, Some(131047));
    let missing = reqwest::get(format!("{}/customers/@nobody", sim.control_url()))
        .await
        .expect("get");
    assert_eq!(missing.status().as_u16(), 404);
}
