//! Batch ingest under contention, as several processors (and replicas) run it: batches
//! at once over shared contacts, each meeting them in its own order, mixing contacts
//! stored before with ones new in that round, profile changes, and wamids that two
//! batches carry. Every batch must succeed (on PostgreSQL a deadlock would fail one),
//! and the result must be what one-by-one ingest gives: each wamid once, one contact
//! and one conversation per sender, every unread message counted, the newest message
//! last, one event per new row.

use std::collections::BTreeSet;

use futures::future::join_all;
use wakit_core::OrgId;
use wakit_store::{ContactQuery, InboundMessage, Store};

use crate::fixture::Fixture;

/// Concurrent processors (each ingests one batch per round).
const BATCHES: usize = 4;
/// Rounds; each brings new senders besides the known ones.
const ROUNDS: usize = 6;
/// Senders known before a round / new in it.
const NEW_PER_ROUND: usize = 6;
/// Messages per batch.
const PER_BATCH: usize = 24;

fn sender(i: usize) -> String {
    format!("5215557{i:06}")
}

/// Message `k` of batch `b` in `round`: from a sender picked by a stride of the
/// batch's own through every sender known by this round's end.
fn message(f: &Fixture<'_>, round: usize, b: usize, k: usize) -> (OrgId, InboundMessage) {
    let senders = (round + 1) * NEW_PER_ROUND;
    let stride = [1, 5, 7, 11][b % 4];
    let who = (b * 3 + k * stride) % senders;
    let n = b * PER_BATCH + k;
    let wamid = format!("race.{round}.{n}");
    let secs = (round * 1000 + n) as i64;
    let mut m = Fixture::inbound(f.acct_a.id, &sender(who), &wamid, secs, "hola");
    m.profile_name = Some(format!("Cliente {who} r{round}"));
    (f.org_a, m)
}

/// Batch `b` of `round`; its first messages repeat the next batch's last ones (Meta
/// delivering a message twice, to two processors).
fn batch(f: &Fixture<'_>, round: usize, b: usize) -> Vec<(OrgId, InboundMessage)> {
    (0..PER_BATCH)
        .map(|k| match k {
            0..4 => message(f, round, (b + 1) % BATCHES, PER_BATCH - 4 + k),
            _ => message(f, round, b, k),
        })
        .collect()
}

/// Four processors, each ingesting its batches of every round in turn, concurrently over
/// shared contacts: no batch fails, nothing is stored twice, the conversations add up.
pub async fn concurrent_batches_mixing_new_and_known_contacts(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let mut wamids = BTreeSet::new();
    for round in 0..ROUNDS {
        for b in 0..BATCHES {
            wamids.extend(batch(&f, round, b).into_iter().map(|(_, m)| m.wamid));
        }
    }
    // One task per processor, each through every round at its own pace (no barrier):
    // a sender new in a round is then missing for some batches and stored for others.
    let tasks = (0..BATCHES).map(|b| {
        let f = &f;
        async move {
            let mut created = 0;
            for round in 0..ROUNDS {
                let answers = store
                    .ingest_inbound_batch(batch(f, round, b))
                    .await
                    .unwrap_or_else(|e| panic!("round {round} batch {b}: {e}"));
                created += answers.iter().filter(|a| a.created).count();
            }
            created
        }
    });
    let created: usize = join_all(tasks).await.into_iter().sum();
    assert_eq!(created, wamids.len(), "every wamid created once");

    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 500)
        .await
        .unwrap();
    let senders = ROUNDS * NEW_PER_ROUND;
    assert_eq!(convs.len(), senders, "one conversation per sender");
    let mut stored = BTreeSet::new();
    for c in &convs {
        let page = store.page_messages(f.org_a, c.id, 500, None).await.unwrap();
        let mine: Vec<_> = page
            .messages
            .iter()
            .filter_map(|m| m.external_id.clone())
            .collect();
        assert_eq!(c.unread as usize, mine.len(), "unread counts every message");
        let last = c.last_message.as_ref().expect("a last message");
        let max = page.messages.iter().map(|m| m.timestamp).max();
        assert_eq!(Some(last.timestamp), max, "the newest message is the last");
        for w in mine {
            assert!(stored.insert(w), "a wamid stored twice");
        }
    }
    assert_eq!(stored, wamids, "every wamid stored");
    let all = store
        .search_contacts(
            f.org_a,
            ContactQuery {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), senders, "one contact per sender");
    let events = store.events_after(f.org_a, 0, 10_000).await.unwrap();
    let count = |entity: &str| events.iter().filter(|e| e.entity == entity).count();
    assert_eq!(count("messages"), wamids.len(), "one event per message");
    assert_eq!(
        count("conversations"),
        senders,
        "one event per conversation"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let first = seqs.first().copied().unwrap_or(0);
    let dense: Vec<i64> = (first..first + seqs.len() as i64).collect();
    assert_eq!(seqs, dense, "event numbers dense and in order");
}
