//! Tenant isolation through every endpoint: a key of org B never sees or touches org A's
//! numbers, conversations, contacts, templates or messages — by id, phone or key.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::api::expect_error;
use common::sandbox::{connect_number, fast_dispatch, new_key, world};
use serde_json::json;
use wakit_api::{Client, ContactsQuery, ConversationQuery, ConversationsQuery, SendRequest};
use wakit_sim::{Quirks, TemplateSpec};
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

async fn org_b_sees_nothing_of_org_a(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    let a = w.client().await;
    let spec = TemplateSpec::body("promo_a", "es", "MARKETING", "Solo A");
    w.sim
        .add_template(&w.account.waba_id, spec)
        .expect("template");
    w.customer_writes(CUSTOMER, "hola A").await;
    let a_phone = w.account.phone.digits().to_string();
    let sent_a = a
        .send(
            &SendRequest {
                contact_phone: Some(CUSTOMER.into()),
                text: Some("de A".into()),
                ..Default::default()
            },
            Some("shared-key"),
        )
        .await
        .expect("A sends");
    let a_template = a
        .templates(None)
        .await
        .expect("A templates")
        .value
        .templates;
    let a_template_id = a_template[0].id.clone();

    let org_b = w.ts.store.create_org("Org B", "UTC").await.expect("org b");
    let (b_acct, _) = connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    let b = Client::new(&w.server.root(), &new_key(&*w.ts.store, org_b.id).await).unwrap();

    let accounts = b.accounts().await.expect("B accounts").value.accounts;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].phone, b_acct.phone.digits());

    let on_a = |limit: Option<u32>| ConversationsQuery {
        limit,
        account_phone: Some(a_phone.clone()),
    };
    let e = expect_error(b.conversations(&on_a(None)).await, 404, "not_found");
    assert!(!e.error.contains(&w.account.name) || w.account.name == b_acct.name);
    assert!(
        e.available_accounts
            .is_some_and(|l| l.iter().all(|x| x.phone == b_acct.phone.digits()))
    );
    let b_convs = b
        .conversations(&ConversationsQuery::default())
        .await
        .expect("B convs");
    assert!(b_convs.value.conversations.is_empty());

    let conv = ConversationQuery {
        contact_phone: Some(CUSTOMER.into()),
        ..Default::default()
    };
    expect_error(b.conversation(&conv).await, 404, "not_found");
    let conv_on_a = ConversationQuery {
        account_phone: Some(a_phone.clone()),
        ..conv.clone()
    };
    expect_error(b.conversation(&conv_on_a).await, 404, "not_found");

    let by_name = ContactsQuery {
        name: Some("maria".into()),
        ..Default::default()
    };
    assert!(
        b.contacts(&by_name)
            .await
            .expect("B contacts")
            .value
            .contacts
            .is_empty()
    );
    let by_number = ContactsQuery {
        number: Some("1234567".into()),
        ..Default::default()
    };
    assert!(
        b.contacts(&by_number)
            .await
            .expect("B contacts")
            .value
            .contacts
            .is_empty()
    );

    expect_error(b.templates(Some(&a_phone)).await, 404, "not_found");
    expect_error(b.template(&a_template_id, None).await, 404, "not_found");
    let b_templates = b
        .templates(None)
        .await
        .expect("B templates")
        .value
        .templates;
    assert!(b_templates.iter().all(|t| t.name != "promo_a"));

    let health = b.health().await.expect("B health").value.accounts;
    assert_eq!(health.len(), 1);
    assert_eq!(health[0].address, b_acct.phone_number_id);

    // B cannot send from A's number; B's text to A's customer finds no window (A's
    // customer wrote to A); B's use of the same idempotency key is its own.
    let from_a = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        template: Some(json!({"name": "promo_a", "language": {"code": "es"}})),
        account_phone: Some(a_phone.clone()),
        ..Default::default()
    };
    expect_error(b.send(&from_a, None).await, 404, "not_found");
    let text = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        text: Some("de B".into()),
        ..Default::default()
    };
    expect_error(
        b.send(&text, Some("shared-key")).await,
        400,
        "service_window_closed",
    );
    let b_template = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        template: Some(json!({"name": "promo_a", "language": {"code": "es"}})),
        ..Default::default()
    };
    expect_error(
        b.send(&b_template, Some("shared-key")).await,
        404,
        "not_found",
    );

    // A's view is untouched.
    let a_conv = a.conversation(&conv).await.expect("A conversation").value;
    assert_eq!(a_conv.messages.len(), 2);
    assert!(a_conv.messages.iter().any(|m| m.id == sent_a.value.id));
    let at_meta = w.sim.sent_messages();
    assert_eq!(at_meta.len(), 1, "only A's message reached Meta");
    w.stop().await;
}

on_both_backends!(org_b_sees_nothing_of_org_a);
