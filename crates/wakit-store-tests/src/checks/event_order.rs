//! The event log as its readers see it: "after seq N" never skips an event, even while
//! writers commit out of the order they started in.

use crate::fixture::Fixture;
use futures::future::join_all;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wakit_core::OrgId;
use wakit_store::Store;

/// Concurrent writers per org, and the writes each makes one after the other.
const WRITERS: usize = 12;
const WRITES: usize = 15;

/// A reader that follows the log with `events_after(cursor)` while writers of two orgs
/// race (sends and inbound messages, each in its own transaction) sees every event the
/// log finally holds, exactly once, with `seq` increasing.
pub async fn readers_miss_nothing_while_writers_race(store: &dyn Store) {
    let f = Fixture::new(store).await;
    assert_eq!(
        store.last_event_seq(f.org_a).await.unwrap(),
        0,
        "no events yet"
    );
    let done = AtomicBool::new(false);
    let writers = async {
        let tasks = (0..WRITERS).flat_map(|w| {
            [(f.org_a, f.acct_a.id), (f.org_b, f.acct_b.id)].map(|(org, acct)| async move {
                for i in 0..WRITES {
                    let to = format!("1555{w:03}{i:04}");
                    if (w + i) % 2 == 0 {
                        let msg = Fixture::outgoing(acct, &to, i as i64, "out");
                        store.enqueue_outgoing(org, msg).await.expect("enqueue");
                    } else {
                        let wamid = format!("wamid.race.{org}.{w}.{i}");
                        let msg = Fixture::inbound(acct, &to, &wamid, i as i64, "in");
                        store.ingest_inbound(org, msg).await.expect("ingest");
                    }
                }
            })
        });
        join_all(tasks).await;
        done.store(true, Ordering::SeqCst);
    };
    let reader = async {
        let mut seen = Follower::new(f.org_a);
        // Bounded: the writers finish in far fewer reads; the time bound only stops a
        // hung run.
        let start = Instant::now();
        for _ in 0..200_000 {
            let finished = done.load(Ordering::SeqCst);
            let fresh = seen.read(store).await;
            if finished && fresh == 0 {
                break;
            }
            if start.elapsed() > Duration::from_secs(120) {
                panic!("writers did not finish");
            }
            tokio::task::yield_now().await;
        }
        seen
    };
    let ((), seen) = futures::join!(writers, reader);
    let all: Vec<i64> = store
        .events_after(f.org_a, 0, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    // Each write adds a contact, a conversation and a message: three events.
    assert_eq!(all.len(), WRITERS * WRITES * 3, "the log holds every write");
    let missed: Vec<i64> = all
        .iter()
        .filter(|s| !seen.seqs.contains(s))
        .copied()
        .collect();
    assert!(
        missed.is_empty(),
        "the reader skipped {} of {} events (committed after it had read past their seq): {:?}",
        missed.len(),
        all.len(),
        &missed[..missed.len().min(10)]
    );
    assert_eq!(seen.seqs.len(), all.len(), "nothing seen twice or foreign");
    assert_eq!(
        store.last_event_seq(f.org_a).await.unwrap(),
        *all.last().unwrap()
    );
}

/// A reader's cursor and what it has seen.
struct Follower {
    org: OrgId,
    cursor: i64,
    seqs: BTreeSet<i64>,
}

impl Follower {
    fn new(org: OrgId) -> Self {
        Follower {
            org,
            cursor: 0,
            seqs: BTreeSet::new(),
        }
    }

    /// Reads what is after the cursor; how many events came.
    async fn read(&mut self, store: &dyn Store) -> usize {
        let events = store.events_after(self.org, self.cursor, 50).await.unwrap();
        for e in &events {
            assert_eq!(e.org_id, self.org, "another org's event");
            assert!(e.seq > self.cursor, "seq goes forward");
            assert!(self.seqs.insert(e.seq), "event {} read twice", e.seq);
            self.cursor = e.seq;
        }
        events.len()
    }
}
