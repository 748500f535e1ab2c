//! Outbound webhooks: endpoints per organization (capped), fan-out that moves an
//! endpoint's cursor only from where it was (no event lost or doubled), claims with
//! leases in order per endpoint and conversation, attempts that retry, deliver or
//! disable, and tenant isolation of endpoints and deliveries.

use chrono::{Duration, Utc};
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_store::secrets::SealedSecret;
use wakit_store::webhooks::delivery_state;
use wakit_store::{
    AttemptOutcome, FanOut, NewDelivery, NewWebhook, NextStep, Store, StoreResult, WebhookChange,
    WebhookEndpoint,
};

use super::assert_not_found;
use crate::fixture::Fixture;

pub(super) async fn endpoint(store: &dyn Store, org: OrgId, url: &str) -> WebhookEndpoint {
    let new = NewWebhook {
        id: Uuid::new_v4(),
        account_id: None,
        table_name: "messages".into(),
        operations: vec!["insert".into()],
        url: url.into(),
        token: None,
        secret: SealedSecret(vec![1, 2, 3]),
    };
    store
        .create_webhook(org, new, 20)
        .await
        .unwrap()
        .expect("under the cap")
}

pub(super) fn event(webhook: Uuid, seq: i64, conversation: Option<Uuid>) -> NewDelivery {
    NewDelivery {
        webhook_id: webhook,
        event_seq: Some(seq),
        event_type: "messages.insert".into(),
        conversation_id: conversation,
        payload: format!("{{\"seq\":{seq}}}"),
    }
}

/// Queues `deliveries` of one endpoint, moving its cursor from `from` to `to`.
pub(super) async fn enqueue(
    store: &dyn Store,
    org: OrgId,
    webhook: Uuid,
    from: i64,
    to: i64,
    deliveries: Vec<NewDelivery>,
) -> StoreResult<bool> {
    let one = FanOut {
        webhook,
        from,
        to,
        deliveries,
    };
    Ok(store.enqueue_deliveries(org, vec![one]).await?[0])
}

pub(super) fn outcome(next: NextStep) -> AttemptOutcome {
    AttemptOutcome {
        status: Some(500),
        latency_ms: 3,
        response: Some("no".into()),
        error: None,
        next,
    }
}

/// Endpoints start at the org's last event, are capped per org, change, rotate and
/// delete; another org's are `NotFound` and never listed.
pub async fn webhook_endpoints_round_trip_per_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    f.receive_a("5215550001111", "wamid.w1", 1, "hola").await;
    let last = store.last_event_seq(f.org_a).await.unwrap();
    assert!(last > 0);
    let a = endpoint(store, f.org_a, "https://a.example/hook").await;
    assert_eq!(a.event_cursor, last, "starts after what exists");
    assert_eq!(a.operations, vec!["insert".to_string()]);
    let b = endpoint(store, f.org_b, "https://b.example/hook").await;
    assert_eq!(b.event_cursor, store.last_event_seq(f.org_b).await.unwrap());

    let capped = NewWebhook {
        id: Uuid::new_v4(),
        account_id: None,
        table_name: "messages".into(),
        operations: vec![],
        url: "https://a.example/2".into(),
        token: None,
        secret: SealedSecret(vec![9]),
    };
    assert!(
        store
            .create_webhook(f.org_a, capped, 1)
            .await
            .unwrap()
            .is_none()
    );

    let listed = store.list_webhooks(f.org_a).await.unwrap();
    assert_eq!(listed.iter().map(|w| w.id).collect::<Vec<_>>(), vec![a.id]);
    assert_not_found(
        store.get_webhook(f.org_b, a.id).await,
        "other org's endpoint",
    );
    assert_not_found(
        store
            .update_webhook(f.org_b, a.id, WebhookChange::default(), Utc::now())
            .await,
        "other org's update",
    );
    assert_not_found(
        store.delete_webhook(f.org_b, a.id).await,
        "other org's delete",
    );

    let until = Utc::now() + Duration::hours(24);
    let change = WebhookChange {
        url: Some("https://a.example/new".into()),
        token: Some(Some(SealedSecret(vec![7]))),
        enabled: Some(false),
        rotate: Some((SealedSecret(vec![4, 5]), until)),
        ..WebhookChange::default()
    };
    let changed = store
        .update_webhook(f.org_a, a.id, change, Utc::now())
        .await
        .unwrap();
    assert_eq!(changed.url, "https://a.example/new");
    assert_eq!(changed.token, Some(SealedSecret(vec![7])));
    assert_eq!(changed.secret, Some(SealedSecret(vec![4, 5])));
    assert_eq!(changed.previous_secret, Some(SealedSecret(vec![1, 2, 3])));
    assert!(changed.previous_secret_until.is_some());
    assert!(changed.disabled_at.is_some());
    assert_eq!(store.get_webhook(f.org_a, a.id).await.unwrap(), changed);
    assert!(
        store
            .fanout_webhooks()
            .await
            .unwrap()
            .iter()
            .all(|w| w.id != a.id)
    );
    let enabled = WebhookChange {
        enabled: Some(true),
        ..WebhookChange::default()
    };
    let back = store
        .update_webhook(f.org_a, a.id, enabled, Utc::now())
        .await
        .unwrap();
    assert!(back.disabled_at.is_none() && back.disabled_reason.is_none());
    let fanned: Vec<Uuid> = store
        .fanout_webhooks()
        .await
        .unwrap()
        .iter()
        .map(|w| w.id)
        .collect();
    assert!(fanned.contains(&a.id) && fanned.contains(&b.id));

    store.delete_webhook(f.org_a, a.id).await.unwrap();
    assert!(store.list_webhooks(f.org_a).await.unwrap().is_empty());
    assert_eq!(store.list_webhooks(f.org_b).await.unwrap().len(), 1);
}

/// Fan-out moves the cursor only from where it is: a second enqueue from the same
/// cursor (another process) queues nothing.
pub async fn fanout_moves_the_cursor_once(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    let batch = vec![event(w.id, 1, None), event(w.id, 2, None)];
    assert!(
        enqueue(store, f.org_a, w.id, 0, 2, batch.clone())
            .await
            .unwrap()
    );
    assert!(
        !enqueue(store, f.org_a, w.id, 0, 2, batch).await.unwrap(),
        "the cursor moved already"
    );
    assert_eq!(
        store.get_webhook(f.org_a, w.id).await.unwrap().event_cursor,
        2
    );
    // One transaction for several endpoints: each moves only from its own cursor.
    let v = endpoint(store, f.org_a, "https://a.example/v").await;
    let share = |webhook: Uuid, from: i64| FanOut {
        webhook,
        from,
        to: 3,
        deliveries: vec![event(webhook, 3, None)],
    };
    let moved = store
        .enqueue_deliveries(f.org_a, vec![share(w.id, 0), share(v.id, v.event_cursor)])
        .await
        .unwrap();
    assert_eq!(moved, vec![false, true]);
    assert_eq!(
        store
            .list_deliveries(f.org_a, v.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let queued = store.list_deliveries(f.org_a, w.id, 10).await.unwrap();
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|d| d.state == delivery_state::PENDING));
    assert!(queued.iter().all(|d| d.msg_id.starts_with("msg_")));
    assert!(!enqueue(store, f.org_b, w.id, 2, 3, vec![]).await.unwrap());
    assert!(
        store
            .list_deliveries(f.org_b, w.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Claims lease; an earlier pending delivery of the same endpoint and conversation holds
/// back later ones; a retry keeps order; delivery releases the next; a lost lease
/// cannot finish; a 410 disables the endpoint and stops its claims.
pub async fn deliveries_are_claimed_in_order_with_leases(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let w = endpoint(store, f.org_a, "https://a.example/hook").await;
    let other = endpoint(store, f.org_b, "https://b.example/hook").await;
    let (c1, c2) = (Uuid::new_v4(), Uuid::new_v4());
    let batch = vec![
        event(w.id, 1, Some(c1)),
        event(w.id, 2, Some(c1)),
        event(w.id, 3, Some(c2)),
    ];
    enqueue(store, f.org_a, w.id, 0, 3, batch).await.unwrap();
    enqueue(
        store,
        f.org_b,
        other.id,
        0,
        1,
        vec![event(other.id, 1, None)],
    )
    .await
    .unwrap();
    let now = Utc::now() + Duration::seconds(1);
    let lease = Duration::seconds(30);

    let first = store
        .claim_deliveries(10, lease, now, &[other.id])
        .await
        .unwrap();
    let mut seqs: Vec<i64> = first.iter().filter_map(|(d, _)| d.event_seq).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        vec![1, 3],
        "seq 2 waits for seq 1 of its conversation"
    );
    assert!(
        first
            .iter()
            .all(|(d, e)| e.id == w.id && d.lease_token.is_some())
    );
    assert!(
        store
            .claim_deliveries(10, lease, now, &[other.id])
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let (one, _) = first
        .iter()
        .find(|(d, _)| d.event_seq == Some(1))
        .unwrap()
        .clone();
    let retry_at = now + Duration::seconds(5);
    assert!(
        store
            .finish_delivery(
                one.id,
                one.lease_token.unwrap(),
                outcome(NextStep::RetryAt(retry_at)),
                now
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_delivery(
                one.id,
                one.lease_token.unwrap(),
                outcome(NextStep::Delivered),
                now
            )
            .await
            .unwrap(),
        "the lease is spent"
    );
    let failing = store.get_webhook(f.org_a, w.id).await.unwrap();
    assert!(failing.failing_since.is_some());
    assert!(
        store
            .claim_deliveries(10, lease, now, &[other.id])
            .await
            .unwrap()
            .is_empty(),
        "seq 1 waits for its retry, seq 2 behind it"
    );
    let later = now + Duration::seconds(6);
    let again = store
        .claim_deliveries(10, lease, later, &[other.id])
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    let (one, _) = again[0].clone();
    assert_eq!((one.event_seq, one.attempts), (Some(1), 1));
    let delivered = AttemptOutcome {
        status: Some(200),
        ..outcome(NextStep::Delivered)
    };
    store
        .finish_delivery(one.id, one.lease_token.unwrap(), delivered, later)
        .await
        .unwrap();
    assert!(
        store
            .get_webhook(f.org_a, w.id)
            .await
            .unwrap()
            .failing_since
            .is_none()
    );
    let next = store
        .claim_deliveries(10, lease, later, &[other.id])
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|(d, _)| d.event_seq).collect::<Vec<_>>(),
        vec![Some(2)]
    );

    // A lease that expired is claimable again (a process died mid-delivery).
    let expired = later + lease + Duration::seconds(1);
    let reclaimed = store
        .claim_deliveries(10, lease, expired, &[other.id])
        .await
        .unwrap();
    let mut seqs: Vec<i64> = reclaimed.iter().filter_map(|(d, _)| d.event_seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, vec![2, 3]);
    let (two, _) = reclaimed
        .iter()
        .find(|(d, _)| d.event_seq == Some(2))
        .unwrap()
        .clone();
    store
        .finish_delivery(
            two.id,
            two.lease_token.unwrap(),
            outcome(NextStep::Disable("410 Gone".into())),
            expired,
        )
        .await
        .unwrap();
    let disabled = store.get_webhook(f.org_a, w.id).await.unwrap();
    assert_eq!(disabled.disabled_reason.as_deref(), Some("410 Gone"));
    let far = expired + lease * 3;
    let rest = store.claim_deliveries(10, lease, far, &[]).await.unwrap();
    assert_eq!(
        rest.iter().map(|(_, e)| e.id).collect::<Vec<_>>(),
        vec![other.id],
        "a disabled endpoint's deliveries wait; org B's goes"
    );
}
