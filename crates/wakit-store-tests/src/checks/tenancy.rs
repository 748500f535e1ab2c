//! No org sees or touches another org's rows, through any method.

use crate::checks::assert_not_found;
use crate::fixture::{Fixture, at, customer};
use wakit_core::Role;
use wakit_store::secrets::generate_api_key;
use wakit_store::{ContactQuery, NewApiKey, StatusOutcome, StatusUpdate, Store, TemplateRecord};

/// Every tenant-scoped method, called by org A with org B's ids, finds nothing and changes nothing.
pub async fn tenant_isolation_for_every_method(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let (a, b) = (f.org_a, f.org_b);
    // Org B's world: a contact, a conversation, an outgoing message, a key, templates.
    let mut inbound = Fixture::inbound(f.acct_b.id, "5215551234567", "wamid.b1", 0, "secreto");
    inbound.profile_name = Some("Beatriz".into());
    let got_b = store.ingest_inbound(b, inbound).await.unwrap();
    let sent_b = store
        .enqueue_outgoing(
            b,
            Fixture::outgoing(f.acct_b.id, "5215551234567", 1, "hola b"),
        )
        .await
        .unwrap();
    store
        .mark_sent(b, sent_b.message.id, "wamid.b2", at(2))
        .await
        .unwrap();
    let key_b = generate_api_key();
    let key_b = store
        .create_api_key(
            b,
            NewApiKey {
                name: "b".into(),
                role: Role::Owner,
                hash: key_b.hash,
                prefix: key_b.prefix,
            },
        )
        .await
        .unwrap();
    let tpl = TemplateRecord {
        id: "t1".into(),
        name: "hello_world".into(),
        language: "es".into(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        components: serde_json::json!([]),
    };
    store
        .replace_templates(b, f.acct_b.id, vec![tpl.clone()])
        .await
        .unwrap();

    // Reads.
    assert!(
        store
            .list_accounts(a)
            .await
            .unwrap()
            .iter()
            .all(|x| x.org_id == a)
    );
    assert_not_found(store.account_token(a, f.acct_b.id).await, "account_token");
    assert!(store.list_api_keys(a).await.unwrap().is_empty());
    assert_not_found(store.get_message(a, got_b.message_id).await, "get_message");
    assert_not_found(
        store.get_message(a, sent_b.message.id).await,
        "get_message outgoing",
    );
    assert_not_found(
        store.list_conversations(a, f.acct_b.id, 10).await,
        "list_conversations",
    );
    assert_not_found(
        store
            .find_conversation(a, f.acct_b.id, &customer("5215551234567"))
            .await,
        "find_conversation",
    );
    assert_not_found(
        store
            .page_messages(a, got_b.conversation_id, 50, None)
            .await,
        "page_messages",
    );
    assert_not_found(
        store
            .newest_incoming_at(a, f.acct_b.id, &customer("5215551234567"))
            .await,
        "newest_incoming_at",
    );
    assert_not_found(
        store
            .read_conversation(a, f.acct_b.id, &customer("5215551234567"), 50)
            .await,
        "read_conversation",
    );
    assert!(
        store.events_after(a, 0, 100).await.unwrap().is_empty(),
        "events"
    );
    let hits = store
        .search_contacts(
            a,
            ContactQuery {
                name: Some("beatriz".into()),
                number: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(hits.is_empty(), "search by name");
    let hits = store
        .search_contacts(
            a,
            ContactQuery {
                number: Some("5551234567".into()),
                name: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(hits.is_empty(), "search by number");
    assert_not_found(store.list_templates(a, f.acct_b.id).await, "list_templates");

    // Writes.
    assert_not_found(
        store
            .ingest_inbound(
                a,
                Fixture::inbound(f.acct_b.id, "15550000000", "wamid.x", 3, "x"),
            )
            .await,
        "ingest into B's number",
    );
    let status = StatusUpdate {
        account_id: f.acct_b.id,
        wamid: "wamid.b2".into(),
        status: wakit_core::MessageStatus::Read,
        at: at(5),
        error: None,
    };
    assert_not_found(
        store.apply_status(a, status).await,
        "apply_status on B's number",
    );
    assert_not_found(
        store
            .enqueue_outgoing(a, Fixture::outgoing(f.acct_b.id, "15550000000", 3, "x"))
            .await,
        "enqueue from B's number",
    );
    assert_not_found(
        store
            .mark_sent(a, sent_b.message.id, "wamid.hijack", at(3))
            .await,
        "mark_sent",
    );
    assert_not_found(
        store
            .mark_failed(a, sent_b.message.id, serde_json::json!({}), at(3))
            .await,
        "mark_failed",
    );
    assert_not_found(store.revoke_api_key(Some(a), key_b.id).await, "revoke");
    assert_not_found(
        store.replace_templates(a, f.acct_b.id, vec![]).await,
        "replace_templates",
    );
    assert_not_found(
        store.upsert_template(a, f.acct_b.id, tpl).await,
        "upsert_template",
    );

    // Org B's data is untouched.
    let m = store.get_message(b, sent_b.message.id).await.unwrap();
    assert_eq!(
        (m.status, m.external_id.as_deref()),
        (wakit_core::MessageStatus::Sent, Some("wamid.b2"))
    );
    assert_eq!(
        store.list_templates(b, f.acct_b.id).await.unwrap().0.len(),
        1
    );
    assert!(
        store.list_api_keys(b).await.unwrap()[0]
            .revoked_at
            .is_none()
    );
    assert_eq!(
        store
            .page_messages(b, got_b.conversation_id, 50, None)
            .await
            .unwrap()
            .messages
            .len(),
        2
    );

    // The same person writing to both orgs is two separate contacts; the same wamid on two
    // numbers is two messages.
    let same = store
        .ingest_inbound(
            a,
            Fixture::inbound(f.acct_a.id, "5215551234567", "wamid.b1", 0, "hola a"),
        )
        .await
        .unwrap();
    assert!(same.created);
    assert_ne!(same.conversation_id, got_b.conversation_id);
    let status = StatusUpdate {
        account_id: f.acct_a.id,
        wamid: "wamid.b2".into(),
        status: wakit_core::MessageStatus::Read,
        at: at(5),
        error: None,
    };
    assert_eq!(
        store.apply_status(a, status).await.unwrap(),
        StatusOutcome::Deferred,
        "B's wamid is unknown to A"
    );
    assert_eq!(
        store
            .get_message(b, sent_b.message.id)
            .await
            .unwrap()
            .status,
        wakit_core::MessageStatus::Sent
    );
}
