//! The seed's read endpoints over HTTP through the typed client, on both backends, with
//! the sandbox as Meta: accounts, conversations, conversation (+ the /messages alias),
//! contacts, templates, health — shapes, defaults, limits and their errors.

mod common;

use chrono::{DateTime, Duration};
use common::api::{conversation_until, expect_error, is_time_label};
use common::sandbox::{connect_number, fast_dispatch, world};
use wakit_api::{ContactsQuery, ConversationQuery, ConversationsQuery, SendRequest};
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";
const OTHER: &str = "5215559876543";

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("RFC 3339 `at`")
}

async fn conversations_and_conversation(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "Hola, necesito ayuda").await;

    let accounts = api.accounts().await.expect("accounts").value.accounts;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].phone, "5215588392274");

    let list = api
        .conversations(&ConversationsQuery::default())
        .await
        .expect("conversations")
        .value;
    assert_eq!(list.account.phone, "5215588392274");
    assert_eq!(list.conversations.len(), 1);
    let c = &list.conversations[0];
    assert_eq!((c.contact.phone.as_str(), c.unread), (CUSTOMER, 1));
    assert_eq!(c.contact.name.as_deref(), Some("Maria"));
    let last = c.last_message.as_ref().expect("last message");
    assert_eq!(last.direction, "incoming");
    assert_eq!(last.content["kind"], "text");
    assert_eq!(last.content["text"], "Hola, necesito ayuda");
    assert_eq!(last.status, "delivered");
    assert!(is_time_label(&last.timestamp), "label {}", last.timestamp);
    let incoming_at = at(&last.at);

    // A reply through the API: unread resets, the reply is the preview.
    let reply = SendRequest {
        contact_phone: Some("+52 1 555-123-4567".into()),
        text: Some("Hola Maria! En que te puedo ayudar?".into()),
        ..Default::default()
    };
    let sent = api.send(&reply, None).await.expect("send").value;
    let list = api
        .conversations(&ConversationsQuery::default())
        .await
        .expect("conversations")
        .value;
    let c = &list.conversations[0];
    assert_eq!(c.unread, 0);
    assert_eq!(
        c.last_message.as_ref().map(|m| m.id.as_str()),
        Some(sent.id.as_str())
    );

    // The full context, oldest first, the window from the whole history.
    let conv = conversation_until(&api, "+52 1 555 123 4567", |c| {
        c.messages.last().is_some_and(|m| m.status == "read")
    })
    .await;
    assert_eq!(conv.contact.phone, CUSTOMER);
    assert_eq!(conv.service_window, "open");
    let expires = at(conv.service_window_expires_at.as_deref().expect("expiry"));
    assert_eq!(expires, incoming_at + Duration::hours(24));
    let dirs: Vec<_> = conv.messages.iter().map(|m| m.direction.as_str()).collect();
    assert_eq!(dirs, ["incoming", "outgoing"]);
    let out = &conv.messages[1];
    assert_eq!(
        (out.id.as_str(), out.status.as_str()),
        (sent.id.as_str(), "read")
    );
    assert_eq!(out.wamid, sent.wamid);
    assert!(conv.messages.iter().all(|m| is_time_label(&m.time)));

    // limit=1 fetches only the reply; the window still counts the incoming message.
    let q = ConversationQuery {
        contact_phone: Some(CUSTOMER.into()),
        limit: Some(1),
        ..Default::default()
    };
    let one = api.conversation(&q).await.expect("limit 1").value;
    assert_eq!(one.messages.len(), 1);
    assert_eq!(one.messages[0].direction, "outgoing");
    assert_eq!(one.service_window, "open");
    // GET /messages is the same resource.
    let alias: wakit_api::ConversationResponse =
        api.get("/messages", &q).await.expect("alias").value;
    assert_eq!(alias.messages, one.messages);

    // Errors: no contact, unknown contact, groups, bad limits.
    let none = ConversationQuery::default();
    let e = expect_error(api.conversation(&none).await, 400, "invalid_parameter");
    assert_eq!(e.error, "contact_phone or group_id is required");
    let unknown = ConversationQuery {
        contact_phone: Some(OTHER.into()),
        ..Default::default()
    };
    expect_error(api.conversation(&unknown).await, 404, "not_found");
    let group = ConversationQuery {
        group_id: Some("g-1".into()),
        ..Default::default()
    };
    expect_error(api.conversation(&group).await, 404, "not_found");
    let bad_phone = ConversationQuery {
        contact_phone: Some("12ab".into()),
        ..Default::default()
    };
    expect_error(api.conversation(&bad_phone).await, 400, "invalid_parameter");
    for bad in ["abc", "0", "-3"] {
        let r: Result<wakit_api::Answer<serde_json::Value>, _> =
            api.get("/conversations", &[("limit", bad)]).await;
        expect_error(r, 400, "invalid_parameter");
    }
    let huge: wakit_api::ConversationsResponse = api
        .get("/conversations", &[("limit", "100000")])
        .await
        .expect("a huge limit is clamped")
        .value;
    assert_eq!(huge.conversations.len(), 1);
    w.stop().await;
}

async fn contacts_templates_and_health(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    w.customer_writes(CUSTOMER, "hola").await;
    w.customer_writes(OTHER, "buenas").await;

    let search = |name: Option<&str>, number: Option<&str>| ContactsQuery {
        name: name.map(str::to_string),
        number: number.map(str::to_string),
        limit: None,
    };
    let all = api.contacts(&search(None, None)).await.expect("all").value;
    assert_eq!(all.contacts.len(), 2);
    let by_name = api
        .contacts(&search(Some("MARí"), None))
        .await
        .expect("name");
    assert_eq!(by_name.value.contacts.len(), 2, "both wrote as Maria");
    let by_number = api
        .contacts(&search(None, Some("9876")))
        .await
        .expect("number");
    assert_eq!(by_number.value.contacts.len(), 1);
    assert_eq!(by_number.value.contacts[0].phone, OTHER);
    let both = api
        .contacts(&search(Some("maria"), Some("1234567")))
        .await
        .expect("both");
    assert_eq!(both.value.contacts.len(), 1);
    let one = ContactsQuery {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        api.contacts(&one)
            .await
            .expect("limit")
            .value
            .contacts
            .len(),
        1
    );
    let letters = api.contacts(&search(None, Some("abc"))).await;
    expect_error(letters, 400, "invalid_parameter");

    // Templates: fetched from Meta on first use, then details by id.
    let waba = w.account.waba_id.clone();
    let spec = TemplateSpec::body("hello_world", "es", "UTILITY", "Hola {{1}}");
    w.sim.add_template(&waba, spec).expect("template");
    let list = api
        .templates(None)
        .await
        .expect("templates")
        .value
        .templates;
    let hello = list
        .iter()
        .find(|t| t.name == "hello_world")
        .expect("hello_world");
    assert_eq!(
        (hello.language.as_str(), hello.status.as_str()),
        ("es", "APPROVED")
    );
    let detail = api.template(&hello.id, None).await.expect("detail").value;
    assert_eq!(detail.name, "hello_world");
    assert_eq!(detail.components[0]["text"], "Hola {{1}}");
    expect_error(api.template("0000", None).await, 404, "not_found");

    // Health: Meta's view of the number; an expired token is Meta's error.
    let health = api.health().await.expect("health").value.accounts;
    assert_eq!(health.len(), 1);
    let h = &health[0];
    assert_eq!(
        (h.status.as_str(), h.address.as_str()),
        ("active", w.account.phone_number_id.as_str())
    );
    assert!(h.quality.is_some() && h.messaging_limit.is_some(), "{h:?}");
    w.sim
        .expire_token(&w.account.phone_number_id)
        .expect("expire");
    // A number's check is reused for a moment (single-flight, see attack_meta.rs).
    tokio::time::sleep(
        wakit_server::routes::HEALTH_CACHE_TTL + std::time::Duration::from_millis(200),
    )
    .await;
    let h = api.health().await.expect("health").value.accounts.remove(0);
    assert_eq!((h.status.as_str(), h.error_code), ("error", Some(190)));
    assert!(h.error.as_deref().is_some_and(|e| !e.is_empty()), "{h:?}");
    w.stop().await;
}

async fn account_selection(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let api = w.client().await;
    let (second, _) = connect_number(&w.ts, &w.sim, w.account.org_id, "15550405258").await;

    let e = expect_error(
        api.conversations(&ConversationsQuery::default()).await,
        400,
        "account_required",
    );
    assert_eq!(e.available_accounts.map(|a| a.len()), Some(2));
    assert!(e.error.contains("5215588392274") && e.error.contains("15550405258"));
    let pick = |phone: &str| ConversationsQuery {
        account_phone: Some(phone.into()),
        limit: None,
    };
    let chosen = api
        .conversations(&pick("+1 555 040 5258"))
        .await
        .expect("second");
    assert_eq!(chosen.value.account.phone, second.phone.digits());
    let e = expect_error(
        api.conversations(&pick("5215500000000")).await,
        404,
        "not_found",
    );
    assert!(e.error.contains("Available accounts"), "{}", e.error);
    expect_error(api.templates(None).await, 400, "account_required");
    w.stop().await;
}

on_both_backends!(
    conversations_and_conversation,
    contacts_templates_and_health,
    account_selection,
);
