//! Customers without a phone number (Meta 2026) through the HTTP API, on both backends:
//! a username-only customer writes in (a signed webhook as Meta sends it), appears in
//! `GET /conversations` with their BSUID and username, is found by BSUID, and once they
//! write with their phone the two identities are one contact and one conversation.

mod common;

use common::meta::{eventually, post_signed};
use common::sandbox::{fast_dispatch, world};
use serde_json::{Value, json};
use wakit_api::{ContactsQuery, ConversationQuery, ConversationsQuery, SendRequest};
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store_tests::{Backend, TestStore};

const BSUID: &str = "MX.1234567890123456789";
const PHONE: &str = "5215512345678";

/// A `messages` webhook as Meta sends it in 2026: the contact's BSUID (and username);
/// `from` only when `phone` is given.
fn body(pnid: &str, phone: Option<&str>, wamid: &str, text: &str) -> Vec<u8> {
    let mut contact =
        json!({"profile": {"name": "Ana Username", "username": "@ana"}, "user_id": BSUID});
    let now = chrono::Utc::now().timestamp();
    let mut message = json!({"from_user_id": BSUID, "id": wamid, "timestamp": now.to_string(),
                             "type": "text", "text": {"body": text}});
    if let Some(p) = phone {
        contact["wa_id"] = json!(p);
        message["from"] = json!(p);
    }
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5215588392274", "phone_number_id": pnid},
        "contacts": [contact],
        "messages": [message],
    });
    let body = json!({"object": "whatsapp_business_account",
        "entry": [{"id": "waba-1", "time": now, "changes": [{"field": "messages", "value": value}]}]});
    serde_json::to_vec(&body).expect("json")
}

/// The conversation list once the first conversation appears (bounded wait).
async fn first_conversations(api: &wakit_api::Client) -> wakit_api::ConversationsResponse {
    eventually("the username-only customer to appear", || async {
        api.conversations(&ConversationsQuery::default())
            .await
            .is_ok_and(|r| !r.value.conversations.is_empty())
    })
    .await;
    api.conversations(&ConversationsQuery::default())
        .await
        .expect("conversations")
        .value
}

async fn username_customer_is_served(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let http = reqwest::Client::new();
    let pnid = w.account.phone_number_id.clone();
    let answer = post_signed(
        &http,
        &w.server.webhook,
        body(&pnid, None, "wamid.u1", "hola"),
    )
    .await
    .expect("post");
    assert_eq!(answer.status(), 200);
    let list = first_conversations(&api).await;
    let c = &list.conversations[0].contact;
    assert_eq!(c.phone, BSUID);
    assert_eq!(c.user_id.as_deref(), Some(BSUID));
    assert_eq!(c.username.as_deref(), Some("@ana"));
    // The BSUID works where the seed takes contact_phone.
    let conv = api
        .conversation(&ConversationQuery {
            contact_phone: Some(BSUID.into()),
            ..Default::default()
        })
        .await
        .expect("conversation by BSUID")
        .value;
    assert_eq!(conv.messages.len(), 1);
    assert_eq!(conv.service_window, "open");
    // And the username is searchable.
    let found = api
        .contacts(&ContactsQuery {
            name: Some("@ana".into()),
            ..Default::default()
        })
        .await
        .expect("contacts")
        .value
        .contacts;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].username.as_deref(), Some("@ana"));

    // The customer writes again, now with their phone: one contact, one conversation.
    let answer = post_signed(
        &http,
        &w.server.webhook,
        body(&pnid, Some(PHONE), "wamid.u2", "mi número"),
    )
    .await
    .expect("post");
    assert_eq!(answer.status(), 200);
    eventually("the phone to join the BSUID", || async {
        api.conversations(&ConversationsQuery::default())
            .await
            .is_ok_and(|r| r.value.conversations[0].contact.phone == PHONE)
    })
    .await;
    let list = api
        .conversations(&ConversationsQuery::default())
        .await
        .expect("conversations")
        .value;
    assert_eq!(list.conversations.len(), 1, "no split history");
    for who in [BSUID, PHONE, "+52 55 1234 5678"] {
        let conv = api
            .conversation(&ConversationQuery {
                contact_phone: Some(who.into()),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("conversation by {who}: {e:?}"))
            .value;
        let texts: Vec<&Value> = conv.messages.iter().map(|m| &m.content["text"]).collect();
        assert_eq!(texts, [&json!("hola"), &json!("mi número")], "{who}");
    }
    // A malformed BSUID is a clear 400.
    let bad = api
        .conversation(&ConversationQuery {
            contact_phone: Some("MX.12 34".into()),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert!(format!("{bad:?}").contains("WhatsApp user ID"), "{bad:?}");
    w.stop().await;
}

/// The "done when", through the sandbox: a customer with only a username writes
/// in, shows in `GET /conversations`, gets an answer (Meta's `recipient` field), the
/// answer's statuses (by `recipient_user_id`) land on it, and an authentication
/// template to them is refused with a clear 400 (Meta's 131062).
async fn sandbox_username_customer_gets_an_answer(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let pnid = w.account.phone_number_id.clone();
    let customer = wakit_sim::Sender::username("@ana")
        .named("Ana")
        .country("MX");
    w.sim
        .sender_writes(&pnid, customer, wakit_sim::Inbound::text("hola"))
        .expect("customer writes");
    let list = first_conversations(&api).await;
    let contact = &list.conversations[0].contact;
    let bsuid = contact.user_id.clone().expect("the BSUID is shown");
    assert_eq!(contact.phone, bsuid);
    assert_eq!(contact.username.as_deref(), Some("@ana"));

    let reply = SendRequest {
        contact_phone: Some(bsuid.clone()),
        text: Some("¡Hola Ana!".into()),
        ..Default::default()
    };
    let sent = api.send(&reply, None).await.expect("send").value;
    assert_eq!(sent.status, "sent");
    let at_meta = w
        .sim
        .sent_messages()
        .into_iter()
        .find(|m| Some(&m.wamid) == sent.wamid.as_ref())
        .expect("the sandbox took the send");
    assert_eq!(at_meta.request["recipient"], json!(bsuid));
    assert!(at_meta.request.get("to").is_none(), "{}", at_meta.request);
    eventually("the reply's delivery status to land", || async {
        api.conversation(&ConversationQuery {
            contact_phone: Some(bsuid.clone()),
            ..Default::default()
        })
        .await
        .is_ok_and(|r| {
            r.value
                .messages
                .last()
                .is_some_and(|m| m.status == "delivered" || m.status == "read")
        })
    })
    .await;

    let auth = TemplateSpec::body("login_code", "es", "AUTHENTICATION", "Tu código es {{1}}");
    w.sim
        .add_template(&w.account.waba_id, auth)
        .expect("template");
    let code = SendRequest {
        contact_phone: Some(bsuid.clone()),
        template: Some(json!({"name": "login_code", "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "123456"}]}]})),
        ..Default::default()
    };
    let e = common::api::expect_error(api.send(&code, None).await, 400, "bsuid_not_supported");
    assert!(e.error.contains("131062"), "{}", e.error);
    w.stop().await;
}

on_both_backends!(
    username_customer_is_served,
    sandbox_username_customer_gets_an_answer
);
