//! Inbound ingest: contact + conversation creation, idempotency on wamid, phone forms.

use crate::fixture::{Fixture, at, customer};
use futures::future::join_all;
use wakit_core::{Direction, MessageContent, MessageStatus};
use wakit_store::{ContactQuery, InboundMessage, Store};

/// An inbound message creates the contact (named after the profile), the conversation
/// and a delivered incoming message.
pub async fn ingest_creates_contact_conversation_and_message(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let mut msg = Fixture::inbound(
        f.acct_a.id,
        "5215551234567",
        "wamid.1",
        0,
        "Hola, necesito ayuda",
    );
    msg.profile_name = Some("María García".into());
    let got = store.ingest_inbound(f.org_a, msg).await.unwrap();
    assert!(got.created);

    let m = store.get_message(f.org_a, got.message_id).await.unwrap();
    assert_eq!(m.direction, Direction::Incoming);
    assert_eq!(m.status, MessageStatus::Delivered);
    assert_eq!(m.content, MessageContent::text("Hola, necesito ayuda"));
    assert_eq!(m.external_id.as_deref(), Some("wamid.1"));
    assert_eq!(m.contact_phone.as_str(), "5215551234567");
    assert_eq!(m.timestamp, at(0));
    assert_eq!(m.conversation_id, got.conversation_id);

    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].id, got.conversation_id);
    assert_eq!(convs[0].contact.name.as_deref(), Some("María García"));
    assert_eq!(convs[0].contact.phone.as_str(), "5215551234567");
    assert_eq!(convs[0].unread, 1);

    let hits = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                name: Some("maria".into()),
                number: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].phone.as_str(), "5215551234567");

    // A later profile name does not overwrite the contact's name.
    let mut again = Fixture::inbound(f.acct_a.id, "5215551234567", "wamid.2", 5, "¿Hay alguien?");
    again.profile_name = Some("Mary".into());
    store.ingest_inbound(f.org_a, again).await.unwrap();
    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].contact.name.as_deref(), Some("María García"));
    assert_eq!(convs[0].unread, 2);
}

/// The same wamid delivered twice stores one message and changes nothing the second time.
pub async fn ingest_is_idempotent_on_wamid(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let first = f.receive_a("5215551234567", "wamid.dup", 0, "hola").await;
    let second = f.receive_a("5215551234567", "wamid.dup", 0, "hola").await;
    assert!(first.created && !second.created);
    assert_eq!(
        (first.message_id, first.conversation_id),
        (second.message_id, second.conversation_id)
    );
    let page = store
        .page_messages(f.org_a, first.conversation_id, 50, None)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 1);
    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(convs[0].unread, 1, "a duplicate must not count as unread");
    let events = store.events_after(f.org_a, 0, 100).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.entity == "messages").count(),
        1,
        "no event for the duplicate"
    );
}

/// Twenty concurrent deliveries of one wamid store exactly one row.
pub async fn concurrent_duplicate_ingest_stores_one(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let tasks = (0..20).map(|_| {
        store.ingest_inbound(
            f.org_a,
            Fixture::inbound(f.acct_a.id, "5215551234567", "wamid.storm", 0, "hola"),
        )
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        results.iter().filter(|r| r.created).count(),
        1,
        "exactly one insert wins"
    );
    assert!(
        results
            .iter()
            .all(|r| r.message_id == results[0].message_id)
    );
    let page = store
        .page_messages(f.org_a, results[0].conversation_id, 50, None)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 1);
}

/// Concurrent first messages from one new contact share one contact and one conversation.
pub async fn concurrent_new_contact_messages_share_one_conversation(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let tasks = (0..20).map(|i| {
        let mut m = Fixture::inbound(
            f.acct_a.id,
            "5215559876543",
            &format!("wamid.new.{i}"),
            i,
            "hi",
        );
        m.profile_name = Some("Nuevo".into());
        store.ingest_inbound(f.org_a, m)
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert!(results.iter().all(|r| r.created));
    assert!(
        results
            .iter()
            .all(|r| r.conversation_id == results[0].conversation_id),
        "one conversation"
    );
    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].unread, 20);
    let all = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "one contact address");
}

/// Mexico's 52/521 forms (and the like) are one contact and one conversation.
pub async fn phone_forms_are_one_contact(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let a = f.receive_a("525551234567", "wamid.mx1", 0, "sin uno").await;
    let b = f
        .receive_a("5215551234567", "wamid.mx2", 10, "con uno")
        .await;
    assert_eq!(a.conversation_id, b.conversation_id);
    for form in ["525551234567", "5215551234567", "+52 1 55 5123 4567"] {
        let conv = store
            .find_conversation(f.org_a, f.acct_a.id, &customer(form))
            .await
            .unwrap();
        assert_eq!(conv.map(|c| c.id), Some(a.conversation_id), "{form}");
        let newest = store
            .newest_incoming_at(f.org_a, f.acct_a.id, &customer(form))
            .await
            .unwrap();
        assert_eq!(newest, Some(at(10)));
    }
    let hits = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                number: Some("5551234567".into()),
                name: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    // Replies go to the form Meta used last.
    assert_eq!(hits[0].phone.as_str(), "5215551234567");

    let ar1 = f.receive_a("541123456789", "wamid.ar1", 20, "x").await;
    let ar2 = f.receive_a("5491123456789", "wamid.ar2", 21, "y").await;
    assert_eq!(ar1.conversation_id, ar2.conversation_id);
    let br1 = f.receive_a("551187654321", "wamid.br1", 30, "x").await;
    let br2 = f.receive_a("5511987654321", "wamid.br2", 31, "y").await;
    assert_eq!(br1.conversation_id, br2.conversation_id);
    assert_eq!(
        store
            .list_conversations(f.org_a, f.acct_a.id, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}

/// Every content kind survives storage unchanged.
pub async fn content_round_trips_through_storage(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let contents = [
        MessageContent::text("plain ✓ ñ 😀"),
        MessageContent::reaction("👍", "wamid.x"),
        MessageContent::template(
            serde_json::json!({"name": "hello_world", "language": {"code": "es"}, "components": []}),
        ),
        MessageContent::data(
            wakit_core::content::Kind::Location,
            serde_json::json!({"latitude": 19.43, "longitude": -99.13}),
        )
        .unwrap(),
        MessageContent::unsupported(serde_json::json!({"type": "poll", "raw": {"a": [1, 2]}})),
        MessageContent::file(
            wakit_core::content::Kind::Image,
            wakit_core::content::FileRef {
                mime_type: "image/jpeg".into(),
                uri: "meta://123".into(),
                name: None,
                size: 48211,
                ..Default::default()
            },
            Some("caption".into()),
        )
        .unwrap(),
    ];
    for (i, content) in contents.into_iter().enumerate() {
        let msg = InboundMessage {
            content: content.clone(),
            ..Fixture::inbound(
                f.acct_a.id,
                "15551230000",
                &format!("wamid.c{i}"),
                i as i64,
                "",
            )
        };
        let got = store.ingest_inbound(f.org_a, msg).await.unwrap();
        assert_eq!(
            store
                .get_message(f.org_a, got.message_id)
                .await
                .unwrap()
                .content,
            content
        );
    }
}

/// A batch (group commit) stores each message once, across orgs, duplicates included;
/// a batch with a bad item stores nothing, so the caller can retry item by item.
pub async fn batch_ingest_is_idempotent_and_all_or_nothing(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let before = f.receive_a("15550001000", "w.b0", 0, "already here").await;
    let batch = vec![
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "15550001000", "w.b0", 0, "already here"),
        ),
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "15550001000", "w.b1", 1, "one"),
        ),
        (
            f.org_b,
            Fixture::inbound(
                f.acct_b.id,
                "15550001000",
                "w.b1",
                1,
                "same wamid, other number",
            ),
        ),
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "15550001000", "w.b1", 1, "one again"),
        ),
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "15550002000", "w.b2", 2, "new contact"),
        ),
    ];
    let got = store.ingest_inbound_batch(batch).await.unwrap();
    let created: Vec<_> = got.iter().map(|g| g.created).collect();
    assert_eq!(created, [false, true, true, false, true]);
    assert_eq!(got[0].message_id, before.message_id);
    assert_eq!(got[1].message_id, got[3].message_id);
    assert_ne!(got[1].conversation_id, got[2].conversation_id);
    let page = store
        .page_messages(f.org_a, before.conversation_id, 50, None)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 2);
    assert_eq!(
        store
            .list_conversations(f.org_a, f.acct_a.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    let bad = vec![
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "15550003000", "w.b3", 3, "fine"),
        ),
        (
            f.org_a,
            Fixture::inbound(
                f.acct_b.id,
                "15550003000",
                "w.b4",
                3,
                "B's number via org A",
            ),
        ),
    ];
    assert!(store.ingest_inbound_batch(bad).await.is_err());
    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(convs.len(), 2, "nothing of a failed batch is stored");
}
