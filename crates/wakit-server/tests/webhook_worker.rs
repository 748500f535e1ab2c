//! The webhook worker driven tick by tick: jobs naming one body (stored by `inbox_put`)
//! and group jobs are processed together, every body's outcome is recorded, and every
//! job ends done.

mod common;

use common::meta::messages_body;
use wakit_server::workers::webhooks::WebhookProcessor;
use wakit_store::{NewInboxItem, PROCESS_WEBHOOK};
use wakit_store_tests::fixture::{new_account, phone};
use wakit_store_tests::{Backend, TestStore};

const PNID: &str = "238013449404478";

async fn single_and_group_jobs_are_processed_together(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let store = ts.store.clone();
    let org = store.create_org("Mirlo", "UTC").await.expect("org").id;
    let acct = store
        .add_account(org, new_account("5215588392274", PNID))
        .await
        .expect("account")
        .id;
    let now = chrono::Utc::now();
    let single = store
        .inbox_put(
            &messages_body(PNID, "5215550000001", &[("w.1", "uno"), ("w.2", "dos")]),
            None,
            now,
        )
        .await
        .expect("put");
    let group: Vec<NewInboxItem> = [
        messages_body(PNID, "5215550000002", &[("w.3", "tres")]),
        // Meta retried the first body; and one for a number wakit does not know.
        messages_body(PNID, "5215550000001", &[("w.1", "uno")]),
        messages_body("999", "5215550000003", &[("w.4", "perdido?")]),
    ]
    .into_iter()
    .map(|body| NewInboxItem {
        body,
        signature: None,
        received_at: now,
    })
    .collect();
    let grouped = store.inbox_put_batch(group).await.expect("put batch");

    let worker = WebhookProcessor::new(store.clone());
    let mut ticks = 0;
    while worker.tick().await.expect("tick") > 0 {
        ticks += 1;
        assert!(ticks < 10, "the worker goes idle");
    }
    assert_eq!(ticks, 1, "both jobs in one tick");

    let conv = |from: &str| {
        let store = store.clone();
        let from = phone(from);
        async move {
            let c = store
                .find_conversation(org, acct, &from.clone().into())
                .await
                .expect("find")
                .expect("conversation");
            store
                .page_messages(org, c.id, 10, None)
                .await
                .expect("page")
                .messages
                .into_iter()
                .filter_map(|m| m.external_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(conv("5215550000001").await, ["w.1", "w.2"]);
    assert_eq!(conv("5215550000002").await, ["w.3"]);

    let ids: Vec<_> = std::iter::once(single.id)
        .chain(grouped.iter().map(|i| i.id))
        .collect();
    let rows = store.inbox_get_batch(&ids).await.expect("inbox");
    let states: Vec<_> = rows.iter().map(|r| r.state.as_str()).collect();
    assert_eq!(states, ["done", "done", "done", "failed"]);
    assert!(
        rows[3]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("unknown phone-number id 999")),
        "the unknown number's body says why: {:?}",
        rows[3].last_error
    );
    let far = chrono::Utc::now() + chrono::Duration::days(1);
    let left = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, chrono::Duration::seconds(30), far)
        .await
        .expect("claim");
    assert!(left.is_empty(), "every job completed: {left:?}");
}

on_both_backends!(single_and_group_jobs_are_processed_together);
