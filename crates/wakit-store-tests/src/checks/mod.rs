//! The checks, grouped by behaviour. Each takes a fresh, migrated store.

pub mod agents;
pub mod contacts;
pub mod conversations;
pub mod dispatch;
pub mod event_order;
pub mod idempotency;
pub mod identities;
pub mod inbox;
pub mod ingest;
pub mod ingest_batch;
pub mod ingest_race;
pub mod jobs;
pub mod keys;
pub mod leases;
pub mod media;
pub mod pacing;
pub mod people;
pub mod retention;
pub mod status;
pub mod status_batch;
pub mod templates;
pub mod tenancy;
pub mod webhook_deliveries;
pub mod webhooks;

use wakit_store::{StoreError, StoreResult};

/// Asserts a result is `NotFound` (the answer for another org's ids).
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(r: StoreResult<T>, what: &str) {
    match r {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}
