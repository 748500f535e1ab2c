//! The raw webhook inbox: stored with its processing job, read back byte for byte.

use crate::checks::assert_not_found;
use crate::fixture::at;
use chrono::Duration;
use wakit_store::{PROCESS_WEBHOOK, Store};

/// A stored body comes back exactly, with a queued job pointing at it; outcomes are kept.
pub async fn inbox_keeps_bodies_and_queues_their_processing(store: &dyn Store) {
    // Not valid UTF-8 and with escapes: the exact bytes matter for signatures.
    let body: &[u8] = b"{\"object\":\"whatsapp_business_account\",\"x\":\"\\u00e9\"}\xff\x00";
    let item = store
        .inbox_put(body, Some("sha256=abc"), at(0))
        .await
        .unwrap();
    let read = store.inbox_get(item.id).await.unwrap();
    assert_eq!(read, item);
    assert_eq!(read.body, body);
    assert_eq!((read.state.as_str(), read.attempts), ("pending", 0));

    let jobs = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, Duration::seconds(30), at(1))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].payload["inbox_id"],
        serde_json::json!(item.id.to_string())
    );
    assert_eq!(jobs[0].org_id, None);

    store
        .inbox_finish(item.id, Some("parse error: bad entry"), at(2))
        .await
        .unwrap();
    let failed = store.inbox_get(item.id).await.unwrap();
    assert_eq!(
        (
            failed.state.as_str(),
            failed.attempts,
            failed.last_error.as_deref()
        ),
        ("failed", 1, Some("parse error: bad entry"))
    );
    store.inbox_finish(item.id, None, at(3)).await.unwrap();
    let done = store.inbox_get(item.id).await.unwrap();
    assert_eq!(
        (done.state.as_str(), done.attempts, done.last_error),
        ("done", 2, None)
    );

    assert_not_found(
        store.inbox_get(uuid::Uuid::now_v7()).await,
        "unknown inbox item",
    );
    assert_not_found(
        store.inbox_finish(uuid::Uuid::now_v7(), None, at(4)).await,
        "finish unknown",
    );
}
