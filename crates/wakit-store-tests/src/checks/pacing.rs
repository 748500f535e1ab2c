//! Send pacing shared through the database (PostgreSQL, where replicas share a
//! database); SQLite's one process paces in memory, and says so.

use crate::fixture::Fixture;
use std::time::{Duration, Instant};
use wakit_store::Store;

/// SQLite does not share pacing (the server then paces in memory): a reservation is
/// refused rather than pretending to coordinate.
pub async fn pacing_is_not_shared_through_sqlite(store: &dyn Store) {
    let f = Fixture::new(store).await;
    assert!(!store.shares_pacing());
    let reserved = store
        .reserve_send_slots(
            f.acct_a.id,
            Duration::from_millis(100),
            10,
            Duration::from_secs(1),
        )
        .await;
    assert!(reserved.is_err(), "{reserved:?}");
}

/// Blocks of slots follow each other without overlap; a number whose next free slot is
/// beyond the horizon gets nothing and is told when to come back; numbers are separate.
pub async fn shared_pacing_reserves_consecutive_blocks(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let interval = Duration::from_millis(100);
    let horizon = Duration::from_millis(2500);
    assert!(store.shares_pacing(), "PostgreSQL shares pacing");
    let started = Instant::now();
    let reserve = |acct| store.reserve_send_slots(acct, interval, 10, horizon);
    let first = reserve(f.acct_a.id).await.unwrap().expect("a free number");
    assert!(
        first <= Duration::from_millis(50),
        "an idle number starts now: {first:?}"
    );
    let second = reserve(f.acct_a.id)
        .await
        .unwrap()
        .expect("within the horizon");
    // The second block starts where the first (10 × 100 ms) ends.
    let block = Duration::from_secs(1);
    let elapsed = started.elapsed();
    assert!(
        second + elapsed >= block - Duration::from_millis(1),
        "{second:?} + {elapsed:?}"
    );
    assert!(second <= block, "{second:?}");
    let third = reserve(f.acct_a.id)
        .await
        .unwrap()
        .expect("within the horizon");
    assert!(third > second, "{third:?} after {second:?}");
    // 3 s are taken; with a 2.5 s horizon the next block is refused (the calls take far
    // less than the 0.5 s margin).
    let refused = reserve(f.acct_a.id)
        .await
        .unwrap()
        .expect_err("beyond the horizon");
    assert!(
        refused >= interval && refused <= Duration::from_secs(1),
        "{refused:?}"
    );
    // Another number has its own slots.
    let other = reserve(f.acct_b.id)
        .await
        .unwrap()
        .expect("another number is free");
    assert!(other <= Duration::from_millis(50), "{other:?}");
}
