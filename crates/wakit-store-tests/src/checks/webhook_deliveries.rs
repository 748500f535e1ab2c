//! Outbound webhook deliveries after their first attempt: manual retry and recovery
//! per organization, the delivery log (every attempt, per organization) and its
//! retention (finished deliveries and old attempts pruned, pending deliveries kept).

use chrono::{Duration, Utc};
use wakit_store::webhooks::delivery_state;
use wakit_store::{AttemptOutcome, NewDelivery, NextStep, Store};

use super::assert_not_found;
use super::webhooks::{endpoint, enqueue, event, outcome};
use crate::fixture::Fixture;

/// Manual retry and recovery make deliveries due again, in their org only; a ping is
/// queued for an endpoint of the org only.
pub async fn deliveries_retry_and_recover_per_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    let since = Utc::now() - Duration::seconds(5);
    enqueue(
        store,
        f.org_a,
        w.id,
        0,
        2,
        vec![event(w.id, 1, None), event(w.id, 2, None)],
    )
    .await
    .unwrap();
    let now = Utc::now() + Duration::seconds(1);
    for (d, _) in store
        .claim_deliveries(10, Duration::seconds(30), now, &[])
        .await
        .unwrap()
    {
        store
            .finish_delivery(d.id, d.lease_token.unwrap(), outcome(NextStep::GiveUp), now)
            .await
            .unwrap();
    }
    let failed = store.list_deliveries(f.org_a, w.id, 10).await.unwrap();
    assert!(
        failed
            .iter()
            .all(|d| d.state == delivery_state::FAILED && d.attempts == 1)
    );
    assert_eq!(failed[0].last_status, Some(500));
    assert_eq!(failed[0].last_response.as_deref(), Some("no"));

    assert_not_found(
        store.retry_delivery(f.org_b, failed[0].id, now).await,
        "other org's retry",
    );
    let retried = store
        .retry_delivery(f.org_a, failed[0].id, now)
        .await
        .unwrap();
    assert_eq!(retried.state, delivery_state::PENDING);
    assert_eq!(
        store
            .recover_deliveries(f.org_b, w.id, since, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .recover_deliveries(f.org_a, w.id, since, now)
            .await
            .unwrap(),
        1
    );
    let later = now + Duration::seconds(1);
    let claimed = store
        .claim_deliveries(10, Duration::seconds(30), later, &[])
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);

    let ping = NewDelivery {
        webhook_id: w.id,
        event_seq: None,
        event_type: "webhook.test".into(),
        conversation_id: None,
        payload: "{}".into(),
    };
    assert_not_found(
        store.add_delivery(f.org_b, ping.clone()).await,
        "other org's ping",
    );
    let queued = store.add_delivery(f.org_a, ping).await.unwrap();
    assert_eq!(
        (queued.event_seq, queued.state.as_str()),
        (None, delivery_state::PENDING)
    );
}

/// The delivery log is pruned after its retention: delivered and given-up deliveries
/// go, pending ones stay whatever their age.
pub async fn finished_deliveries_are_pruned_pending_ones_kept(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    let batch = vec![
        event(w.id, 1, None),
        event(w.id, 2, None),
        event(w.id, 3, None),
    ];
    enqueue(store, f.org_a, w.id, 0, 3, batch).await.unwrap();
    let now = Utc::now() + Duration::seconds(1);
    let claimed = store
        .claim_deliveries(2, Duration::seconds(30), now, &[])
        .await
        .unwrap();
    let steps = [NextStep::Delivered, NextStep::GiveUp];
    for ((d, _), next) in claimed.into_iter().zip(steps) {
        store
            .finish_delivery(d.id, d.lease_token.unwrap(), outcome(next), now)
            .await
            .unwrap();
    }
    let policy = wakit_store::RetentionPolicy::default();
    let early = store.prune(&policy, now + Duration::days(6)).await.unwrap();
    assert_eq!(
        early.deleted(wakit_store::RetentionTarget::WebhookDeliveries),
        0
    );
    let late = store.prune(&policy, now + Duration::days(8)).await.unwrap();
    assert_eq!(
        late.deleted(wakit_store::RetentionTarget::WebhookDeliveries),
        2
    );
    let left = store.list_deliveries(f.org_a, w.id, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].state, delivery_state::PENDING);
}

/// The delivery log keeps every attempt of a delivery (status, latency, excerpt,
/// error), in order, for its org only, and is pruned after its retention.
pub async fn delivery_log_keeps_every_attempt_per_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    enqueue(store, f.org_a, w.id, 0, 1, vec![event(w.id, 1, None)])
        .await
        .unwrap();
    let first = Utc::now() + Duration::seconds(1);
    let second = first + Duration::seconds(10);
    let failed = AttemptOutcome {
        status: None,
        error: Some("timed out".into()),
        response: None,
        ..outcome(NextStep::RetryAt(second))
    };
    let delivered = AttemptOutcome {
        status: Some(200),
        response: Some("ok".into()),
        latency_ms: 7,
        ..outcome(NextStep::Delivered)
    };
    let mut id = None;
    for (at, result) in [(first, failed), (second, delivered)] {
        let claimed = store
            .claim_deliveries(10, Duration::seconds(30), at, &[])
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "due at {at}");
        let d = &claimed[0].0;
        id = Some(d.id);
        let done = store
            .finish_delivery(d.id, d.lease_token.unwrap(), result, at)
            .await
            .unwrap();
        assert!(done);
    }
    let id = id.unwrap();
    let log = store.list_attempts(f.org_a, &[id]).await.unwrap();
    let seen: Vec<_> = log
        .iter()
        .map(|a| {
            (
                a.delivery_id,
                a.attempt,
                a.status,
                a.latency_ms,
                a.response.as_deref(),
                a.error.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (id, 1, None, 3, None, Some("timed out")),
            (id, 2, Some(200), 7, Some("ok"), None),
        ]
    );
    assert_eq!(log[0].at.timestamp(), first.timestamp());
    assert!(
        store
            .list_attempts(f.org_b, &[id])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_attempts(f.org_a, &[]).await.unwrap().is_empty());

    let policy = wakit_store::RetentionPolicy::default();
    let attempts = wakit_store::RetentionTarget::WebhookAttempts;
    let early = store
        .prune(&policy, second + Duration::days(6))
        .await
        .unwrap();
    assert_eq!(early.deleted(attempts), 0);
    let late = store
        .prune(&policy, second + Duration::days(8))
        .await
        .unwrap();
    assert_eq!(late.deleted(attempts), 2);
    assert!(
        store
            .list_attempts(f.org_a, &[id])
            .await
            .unwrap()
            .is_empty()
    );
}

/// Several attempts recorded in one call: each as alone, a lost lease refused (`false`)
/// without keeping the others from being recorded.
pub async fn attempts_are_recorded_in_batches(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    let batch = (1..=3).map(|s| event(w.id, s, None)).collect();
    enqueue(store, f.org_a, w.id, 0, 3, batch).await.unwrap();
    let now = Utc::now() + Duration::seconds(1);
    let claimed = store
        .claim_deliveries(10, Duration::seconds(30), now, &[])
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let steps = [NextStep::Delivered, NextStep::Delivered, NextStep::GiveUp];
    let items = claimed
        .iter()
        .zip(steps)
        .enumerate()
        .map(|(i, ((d, _), next))| {
            let token = match i {
                1 => uuid::Uuid::new_v4(), // not its lease
                _ => d.lease_token.unwrap(),
            };
            (d.id, token, outcome(next))
        })
        .collect();
    let done = store.finish_deliveries(items, now).await.unwrap();
    assert_eq!(done, [true, false, true]);
    let listed = store.list_deliveries(f.org_a, w.id, 10).await.unwrap();
    let state = |id| {
        let d = listed.iter().find(|d| d.id == id).unwrap();
        (d.state.clone(), d.attempts)
    };
    let ids: Vec<_> = claimed.iter().map(|(d, _)| d.id).collect();
    assert_eq!(state(ids[0]), (delivery_state::DELIVERED.to_string(), 1));
    assert_eq!(state(ids[1]), (delivery_state::PENDING.to_string(), 0));
    assert_eq!(state(ids[2]), (delivery_state::FAILED.to_string(), 1));
    let log = store.list_attempts(f.org_a, &ids).await.unwrap();
    assert_eq!(log.len(), 2);
}
