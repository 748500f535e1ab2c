//! Customers without a phone number (Meta 2026): a contact known by its BSUID, joined
//! with its phone when a message brings both, on both engines.

use crate::fixture::{Fixture, at, customer, phone};
use futures::future::join_all;
use wakit_core::{CustomerRef, MessageContent, OrgId, Sender, UserId};
use wakit_store::{ContactQuery, InboundMessage, NewOutgoing, Priority, Store};

const BSUID: &str = "MX.1234567890123456789";

fn user(u: &str) -> CustomerRef {
    CustomerRef::UserId(UserId::parse(u).expect("bsuid"))
}

fn sender(phone_digits: Option<&str>, u: Option<&str>, username: Option<&str>) -> Sender {
    Sender::new(
        phone_digits.map(phone),
        u.map(|u| UserId::parse(u).expect("bsuid")),
    )
    .expect("a sender")
    .with_username(username)
}

fn message(f: &Fixture<'_>, from: Sender, wamid: &str, secs: i64) -> InboundMessage {
    InboundMessage {
        account_id: f.acct_a.id,
        from,
        profile_name: Some("Ana Username".into()),
        wamid: wamid.into(),
        timestamp: at(secs),
        content: MessageContent::text(wamid),
    }
}

async fn conversations_of(store: &dyn Store, f: &Fixture<'_>) -> usize {
    store
        .list_conversations(f.org_a, f.acct_a.id, 100)
        .await
        .unwrap()
        .len()
}

/// A username-only customer writes in, is answered by BSUID, later writes with the
/// phone: one contact, one conversation, every message in it; both identities find it.
pub async fn username_customer_joins_their_phone_later(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let first = store
        .ingest_inbound(
            f.org_a,
            message(&f, sender(None, Some(BSUID), Some("@ana")), "w.u1", 10),
        )
        .await
        .unwrap();
    let list = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let c = &list[0].contact;
    assert_eq!(c.phone.as_str(), BSUID, "addressed by its BSUID");
    assert_eq!(c.user_id.as_deref(), Some(BSUID));
    assert_eq!(c.username.as_deref(), Some("@ana"));
    assert_eq!(c.name.as_deref(), Some("Ana Username"));
    let found = store
        .find_conversation(f.org_a, f.acct_a.id, &user(BSUID))
        .await
        .unwrap()
        .expect("found by BSUID");
    assert_eq!(found.id, first.conversation_id);
    assert!(
        store
            .newest_incoming_at(f.org_a, f.acct_a.id, &user(BSUID))
            .await
            .unwrap()
            .is_some()
    );

    // The answer goes to the BSUID.
    let sent = store
        .enqueue_outgoing(
            f.org_a,
            NewOutgoing {
                account_id: f.acct_a.id,
                to: user(BSUID),
                content: MessageContent::text("¡Hola Ana!"),
                scheduled_at: Some(at(20)),
                agent_id: None,
                priority: Priority::Interactive,
                idempotency: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(sent.message.contact_phone.as_str(), BSUID);
    assert_eq!(sent.message.conversation_id, first.conversation_id);

    // Searching the username finds the customer.
    let hits = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                name: Some("@ana".into()),
                number: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");

    // The customer shares the phone: the same contact and conversation.
    let later = store
        .ingest_inbound(
            f.org_a,
            message(
                &f,
                sender(Some("5215512345678"), Some(BSUID), None),
                "w.u2",
                30,
            ),
        )
        .await
        .unwrap();
    assert_eq!(conversations_of(store, &f).await, 1, "no split history");
    let by_phone = store
        .find_conversation(f.org_a, f.acct_a.id, &customer("525512345678"))
        .await
        .unwrap()
        .expect("found by phone (any form)");
    let by_user = store
        .find_conversation(f.org_a, f.acct_a.id, &user(BSUID))
        .await
        .unwrap()
        .expect("still found by BSUID");
    assert_eq!(by_phone.id, by_user.id);
    assert_eq!(later.conversation_id, by_phone.id);
    assert_eq!(by_phone.contact.phone.as_str(), "5215512345678");
    assert_eq!(by_phone.contact.user_id.as_deref(), Some(BSUID));
    assert_eq!(by_phone.contact.username.as_deref(), Some("@ana"));
    let page = store
        .page_messages(f.org_a, by_phone.id, 10, None)
        .await
        .unwrap();
    let texts: Vec<_> = page.messages.iter().map(|m| m.content.preview()).collect();
    assert_eq!(texts, ["w.u1", "¡Hola Ana!", "w.u2"]);
    let list = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(list[0].unread, 1, "one incoming after the reply");
    // A later BSUID-only message lands in the same conversation.
    let again = store
        .ingest_inbound(
            f.org_a,
            message(&f, sender(None, Some(BSUID), None), "w.u3", 40),
        )
        .await
        .unwrap();
    assert_eq!(again.conversation_id, by_phone.id);
    let hits = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                name: None,
                number: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "one contact: {hits:?}");
}

/// The reverse: the business knew the phone; the customer then wrote as a username
/// (a new contact: nothing links them yet); a message with both joins the two, the
/// older phone contact keeping everything.
pub async fn phone_contact_absorbs_its_username_history(store: &dyn Store) {
    let f = Fixture::new(store).await;
    f.receive_a("5215598765432", "w.p1", 10, "p1").await;
    f.send_a("5215598765432", 11, "reply").await;
    store
        .ingest_inbound(
            f.org_a,
            message(&f, sender(None, Some("MX.42"), None), "w.b1", 20),
        )
        .await
        .unwrap();
    assert_eq!(conversations_of(store, &f).await, 2);
    let batch = vec![(
        f.org_a,
        message(
            &f,
            sender(Some("5215598765432"), Some("MX.42"), None),
            "w.pb",
            30,
        ),
    )];
    store.ingest_inbound_batch(batch).await.unwrap();
    assert_eq!(conversations_of(store, &f).await, 1, "joined");
    let list = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(list[0].unread, 2, "both incoming after the reply count");
    let page = store
        .page_messages(f.org_a, list[0].id, 10, None)
        .await
        .unwrap();
    let texts: Vec<_> = page.messages.iter().map(|m| m.content.preview()).collect();
    assert_eq!(texts, ["p1", "reply", "w.b1", "w.pb"]);
    assert_eq!(list[0].contact.phone.as_str(), "5215598765432");
}

/// Both forms of many customers arriving at once (single and batch ingest racing)
/// end in one contact and one conversation per customer.
pub async fn racing_identity_forms_end_in_one_contact(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let customers = 12;
    let mut work = Vec::new();
    for i in 0..customers {
        let u = format!("MX.9{i:04}");
        let p = format!("52155511{i:05}");
        let only_user = message(&f, sender(None, Some(&u), None), &format!("w.r{i}a"), 10);
        let both = message(
            &f,
            sender(Some(&p), Some(&u), None),
            &format!("w.r{i}b"),
            11,
        );
        work.push(Box::pin(
            async move { store.ingest_inbound(f.org_a, only_user).await.map(|_| ()) },
        )
            as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>);
        work.push(Box::pin(async move {
            store
                .ingest_inbound_batch(vec![(f.org_a, both)])
                .await
                .map(|_| ())
        }));
    }
    for r in join_all(work).await {
        r.expect("ingest");
    }
    assert_eq!(conversations_of(store, &f).await, customers);
    for i in 0..customers {
        let conv = store
            .find_conversation(f.org_a, f.acct_a.id, &user(&format!("MX.9{i:04}")))
            .await
            .unwrap()
            .expect("conversation");
        assert_eq!(conv.contact.phone.as_str(), format!("52155511{i:05}"));
        let page = store
            .page_messages(f.org_a, conv.id, 10, None)
            .await
            .unwrap();
        assert_eq!(
            page.messages.len(),
            2,
            "customer {i}: both messages together"
        );
    }
}

/// The same BSUID string in two orgs is two customers.
pub async fn bsuids_stay_in_their_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    store
        .ingest_inbound(
            f.org_a,
            message(&f, sender(None, Some(BSUID), None), "w.t1", 10),
        )
        .await
        .unwrap();
    let in_b = InboundMessage {
        account_id: f.acct_b.id,
        ..message(
            &f,
            sender(Some("14155550100"), Some(BSUID), None),
            "w.t2",
            11,
        )
    };
    store.ingest_inbound(f.org_b, in_b).await.unwrap();
    let a = store
        .find_conversation(f.org_a, f.acct_a.id, &user(BSUID))
        .await
        .unwrap()
        .expect("org A's");
    assert_eq!(
        a.contact.phone.as_str(),
        BSUID,
        "org A never learned the phone"
    );
    let b = store
        .find_conversation(f.org_b, f.acct_b.id, &user(BSUID))
        .await
        .unwrap()
        .expect("org B's");
    assert_eq!(b.contact.phone.as_str(), "14155550100");
    let other: OrgId = f.org_b;
    assert!(
        store
            .find_conversation(other, f.acct_b.id, &customer("5215512345678"))
            .await
            .unwrap()
            .is_none()
    );
}
