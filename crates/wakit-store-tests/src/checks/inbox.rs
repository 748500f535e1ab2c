//! The raw webhook inbox: stored with its processing job, read back byte for byte.

use crate::checks::assert_not_found;
use crate::fixture::at;
use chrono::Duration;
use uuid::Uuid;
use wakit_store::{
    InboxItem, InboxOutcome, JobState, NewInboxItem, PROCESS_WEBHOOK, Priority, Store,
};

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

/// A group is stored in one go with one job naming every row in order; reads and
/// outcomes work on groups too (completing the jobs with them), and an unknown id in a
/// group of outcomes changes nothing.
pub async fn inbox_batch_is_one_commit_with_one_job(store: &dyn Store) {
    assert_eq!(store.inbox_put_batch(Vec::new()).await.unwrap(), vec![]);
    let new = |i: u8, signed: bool| NewInboxItem {
        body: vec![b'{', i, 0xff, b'}'],
        signature: signed.then(|| format!("sha256={i}")),
        received_at: at(i64::from(i)) + Duration::microseconds(7),
    };
    let wanted = vec![new(1, true), new(2, false), new(3, true)];
    let stored = store.inbox_put_batch(wanted.clone()).await.unwrap();
    assert_eq!(stored.len(), 3);
    for (item, asked) in stored.iter().zip(&wanted) {
        assert_eq!(
            (&item.body, &item.signature, item.received_at),
            (&asked.body, &asked.signature, asked.received_at)
        );
        assert_eq!((item.state.as_str(), item.attempts), ("pending", 0));
    }

    // Read back in the order asked, unknown ids left out.
    let ids: Vec<Uuid> = stored.iter().map(|i| i.id).collect();
    let asked = vec![ids[2], Uuid::now_v7(), ids[0], ids[1]];
    let read = store.inbox_get_batch(&asked).await.unwrap();
    assert_eq!(
        read,
        vec![stored[2].clone(), stored[0].clone(), stored[1].clone()]
    );
    assert_eq!(store.inbox_get_batch(&[]).await.unwrap(), vec![]);

    // Exactly one job (the empty group queued none), naming the rows in order.
    let jobs = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, Duration::seconds(30), at(10))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let names: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    assert_eq!(jobs[0].payload["inbox_ids"], serde_json::json!(names));
    assert_eq!(
        (jobs[0].org_id, jobs[0].priority),
        (None, Priority::Interactive.value())
    );

    // Outcomes: all-or-nothing on an unknown id.
    let lease = (jobs[0].id, jobs[0].lease_token.unwrap());
    let unknown = vec![
        (ids[0], InboxOutcome::Done),
        (Uuid::now_v7(), InboxOutcome::Done),
    ];
    assert_not_found(
        store.inbox_finish_batch(&unknown, &[lease], at(11)).await,
        "finish group with an unknown id",
    );
    assert_eq!(store.inbox_get(ids[0]).await.unwrap(), stored[0]);
    assert_eq!(
        store.get_job(jobs[0].id).await.unwrap().state,
        JobState::Running,
        "a failed finish completes no job"
    );

    // Outcomes recorded and the job completed in one go; a lost lease is reported.
    let outcomes = vec![
        (ids[0], InboxOutcome::Done),
        (
            ids[1],
            InboxOutcome::Failed("message wamid.X for unknown phone-number id 9".to_string()),
        ),
    ];
    let lost = (jobs[0].id, Uuid::new_v4());
    assert_eq!(
        store
            .inbox_finish_batch(&outcomes, &[lost], at(12))
            .await
            .unwrap(),
        vec![false]
    );
    assert_eq!(
        store.get_job(jobs[0].id).await.unwrap().state,
        JobState::Running
    );
    assert_eq!(
        store
            .inbox_finish_batch(&[], &[lease], at(12))
            .await
            .unwrap(),
        vec![true]
    );
    assert_eq!(
        store.get_job(jobs[0].id).await.unwrap().state,
        JobState::Done
    );
    assert_eq!(
        store.inbox_finish_batch(&[], &[], at(12)).await.unwrap(),
        Vec::<bool>::new()
    );
    let read = store.inbox_get_batch(&ids).await.unwrap();
    let seen: Vec<_> = read
        .iter()
        .map(|i| (i.state.as_str(), i.attempts, i.last_error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("done", 1, None),
            (
                "failed",
                1,
                Some("message wamid.X for unknown phone-number id 9")
            ),
            ("pending", 0, None),
        ]
    );
}

/// Failed bodies are queued again, all under one job, and only once; done ones are not.
pub async fn inbox_retries_failed_bodies(store: &dyn Store) {
    let stored = processed(
        store,
        vec![
            InboxOutcome::Failed("message for unknown phone-number id 1".to_string()),
            InboxOutcome::Done,
            InboxOutcome::Failed("unknown phone-number id 2".to_string()),
        ],
    )
    .await;
    assert_eq!(store.inbox_retry_failed(100, at(20)).await.unwrap(), 2);
    for (i, state) in [(0, "pending"), (1, "done"), (2, "pending")] {
        assert_eq!(store.inbox_get(stored[i].id).await.unwrap().state, state);
    }
    let again = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, Duration::seconds(30), at(21))
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "one job for the retried group");
    let mut named: Vec<String> = again[0].payload["inbox_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    named.sort();
    let mut expected = vec![stored[0].id.to_string(), stored[2].id.to_string()];
    expected.sort();
    assert_eq!(named, expected);
    assert_eq!(
        store.inbox_retry_failed(100, at(22)).await.unwrap(),
        0,
        "pending bodies are not queued twice"
    );
}

/// Stores one body per outcome as a group, claims its job and records the outcomes (in
/// order) as the worker does; returns the stored items.
async fn processed(store: &dyn Store, outcomes: Vec<InboxOutcome>) -> Vec<InboxItem> {
    let items = (1..=outcomes.len())
        .map(|n| NewInboxItem {
            body: format!("{{{n}}}").into_bytes(),
            signature: None,
            received_at: at(n as i64),
        })
        .collect();
    let stored = store.inbox_put_batch(items).await.unwrap();
    let jobs = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, Duration::seconds(30), at(10))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let lease = (jobs[0].id, jobs[0].lease_token.unwrap());
    let outcomes: Vec<_> = stored.iter().map(|i| i.id).zip(outcomes).collect();
    store
        .inbox_finish_batch(&outcomes, &[lease], at(11))
        .await
        .unwrap();
    stored
}

/// A body with items wakit does not handle ends `ignored` with what was left out; it
/// is replayed only on request (not with the failed ones), under one job, and only once.
pub async fn inbox_keeps_ignored_bodies_for_a_replay(store: &dyn Store) {
    let note = "ignored: field message_echoes; ignored: error without a phone-number id";
    let stored = processed(
        store,
        vec![
            InboxOutcome::Ignored(note.to_string()),
            InboxOutcome::Failed("unknown phone-number id 2".into()),
            InboxOutcome::Done,
            InboxOutcome::Ignored("ignored: field calls".into()),
        ],
    )
    .await;
    let read = store.inbox_get(stored[0].id).await.unwrap();
    assert_eq!(
        (
            read.state.as_str(),
            read.attempts,
            read.last_error.as_deref()
        ),
        ("ignored", 1, Some(note))
    );
    assert_eq!(
        store.inbox_retry_failed(100, at(20)).await.unwrap(),
        1,
        "a retry of failures leaves ignored bodies alone"
    );
    assert_eq!(
        store.inbox_get(stored[0].id).await.unwrap().state,
        "ignored"
    );
    assert_eq!(store.inbox_retry_ignored(100, at(21)).await.unwrap(), 2);
    let states: Vec<String> = store
        .inbox_get_batch(&stored.iter().map(|i| i.id).collect::<Vec<_>>())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.state)
        .collect();
    assert_eq!(states, ["pending", "pending", "done", "pending"]);
    let again = store
        .claim_jobs(&[PROCESS_WEBHOOK], 10, Duration::seconds(30), at(22))
        .await
        .unwrap();
    assert_eq!(
        again.len(),
        2,
        "one job for the failed, one for the ignored"
    );
    assert_eq!(
        store.inbox_retry_ignored(100, at(23)).await.unwrap(),
        0,
        "pending bodies are not queued twice"
    );
}

/// A replayed body (the same bytes: Meta's retry, or a captured body sent again) is
/// stored once and processed once, alone or in a group; new bodies beside it still are.
pub async fn replayed_bodies_are_stored_once(store: &dyn Store) {
    let body =
        |n: u32| format!("{{\"object\":\"whatsapp_business_account\",\"n\":{n}}}").into_bytes();
    let item = |n: u32| NewInboxItem {
        body: body(n),
        signature: Some(format!("sha256={n}")),
        received_at: at(0),
    };
    let first = store
        .inbox_put(&body(1), Some("sha256=1"), at(0))
        .await
        .unwrap();
    let again = store
        .inbox_put(&body(1), Some("sha256=1"), at(1))
        .await
        .unwrap();
    assert_eq!(again.id, first.id, "a replay names the stored body");
    let group = store
        .inbox_put_batch(vec![item(1), item(2), item(2), item(3)])
        .await
        .unwrap();
    assert_eq!(group.len(), 4);
    assert_eq!(group[0].id, first.id);
    assert_eq!(
        group[1].id, group[2].id,
        "a body twice in one group is one row"
    );
    assert_ne!(group[1].id, group[3].id);
    // Only replays: nothing new to store or process.
    store.inbox_put_batch(vec![item(3), item(1)]).await.unwrap();

    let jobs = store
        .claim_jobs(&[PROCESS_WEBHOOK], 100, Duration::seconds(30), at(5))
        .await
        .unwrap();
    let mut queued: Vec<String> = jobs
        .iter()
        .flat_map(
            |j| match (&j.payload["inbox_id"], j.payload["inbox_ids"].as_array()) {
                (serde_json::Value::String(id), _) => vec![id.clone()],
                (_, Some(ids)) => ids
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
        )
        .collect();
    queued.sort();
    let mut expected = vec![
        first.id.to_string(),
        group[1].id.to_string(),
        group[3].id.to_string(),
    ];
    expected.sort();
    assert_eq!(queued, expected, "each body is processed once");
    assert_eq!(jobs.len(), 2, "the replay-only group queued no job");
    for id in [first.id, group[1].id, group[3].id] {
        store.inbox_get(id).await.expect("stored");
    }
}
