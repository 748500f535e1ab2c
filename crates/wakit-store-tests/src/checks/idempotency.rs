//! Idempotency keys of API sends.

use crate::fixture::Fixture;
use chrono::{Duration, Utc};
use wakit_store::{ConflictKey, Idempotency, Store, StoreError};

fn keyed(f: &Fixture<'_>, b: bool, key: &str, hash: &str) -> wakit_store::NewOutgoing {
    let acct = if b { f.acct_b.id } else { f.acct_a.id };
    let mut out = Fixture::outgoing(acct, "5215512345678", 0, "hola");
    out.idempotency = Some(Idempotency {
        key: key.into(),
        request_hash: hash.into(),
    });
    out
}

/// A key names its first message; a second send under it stores nothing (no message,
/// no job); another org's identical key is its own; older uses do not count.
pub async fn idempotency_keys_name_one_message_per_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let since = Utc::now() - Duration::hours(24);
    assert_eq!(
        store.find_idempotent(f.org_a, "k-1", since).await.unwrap(),
        None
    );
    let first = store
        .enqueue_outgoing(f.org_a, keyed(&f, false, "k-1", "h1"))
        .await
        .unwrap();
    let found = store
        .find_idempotent(f.org_a, "k-1", since)
        .await
        .unwrap()
        .expect("recorded with the message");
    assert_eq!(
        (found.message_id, found.request_hash.as_str()),
        (first.message.id, "h1")
    );

    match store
        .enqueue_outgoing(f.org_a, keyed(&f, false, "k-1", "h2"))
        .await
    {
        Err(StoreError::Conflict(ConflictKey::IdempotencyKey)) => {}
        other => panic!("a used key must conflict, got {other:?}"),
    }
    let conv = first.message.conversation_id;
    let page = store.page_messages(f.org_a, conv, 50, None).await.unwrap();
    assert_eq!(page.messages.len(), 1, "the refused send stored nothing");
    let jobs = store
        .claim_jobs(
            &[wakit_store::SEND_MESSAGE],
            10,
            Duration::seconds(30),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "the refused send queued no job");

    // Org B may use the same key; it never sees org A's use.
    assert_eq!(
        store.find_idempotent(f.org_b, "k-1", since).await.unwrap(),
        None
    );
    let b = store
        .enqueue_outgoing(f.org_b, keyed(&f, true, "k-1", "h1"))
        .await
        .unwrap();
    let found_b = store.find_idempotent(f.org_b, "k-1", since).await.unwrap();
    assert_eq!(found_b.map(|s| s.message_id), Some(b.message.id));
    let found_a = store.find_idempotent(f.org_a, "k-1", since).await.unwrap();
    assert_eq!(found_a.map(|s| s.message_id), Some(first.message.id));

    // A use older than `since` no longer counts.
    let later = Utc::now() + Duration::seconds(5);
    assert_eq!(
        store.find_idempotent(f.org_a, "k-1", later).await.unwrap(),
        None
    );
}
