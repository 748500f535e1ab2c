//! A pass's status reports (sent/delivered/read/failed, two or three per outgoing
//! message), applied together: one [`MessageStore::apply_status_batch`] transaction per
//! chunk instead of one per status. Only the reports that come back `Deferred` and
//! carry wakit's message id in `biz_opaque_callback_data` go on to the reconciliation of
//! an interrupted send ([`meta_events::reconcile`]), one by one.
//!
//! [`MessageStore::apply_status_batch`]: wakit_store::MessageStore::apply_status_batch

use wakit_core::OrgId;
use wakit_store::{StatusOutcome, StatusUpdate, Store, StoreError, StoreResult};

use crate::workers::meta_events;

/// Most statuses per transaction: it bounds what the one-at-a-time fallback redoes (and,
/// on SQLite, how long one batch holds the writer).
const STATUS_CHUNK: usize = 250;

/// A status report of the pass.
pub(super) struct Reported {
    /// The index of the body it came from (for its problems).
    pub(super) slot: usize,
    /// The org of the number it names.
    pub(super) org: OrgId,
    /// The report.
    pub(super) update: StatusUpdate,
    /// What Meta echoed of `biz_opaque_callback_data` (wakit's message id).
    pub(super) biz_opaque: Option<String>,
}

/// Applies the reports in order, a chunk per transaction. A chunk that fails for a
/// reason other than the database being unavailable is applied again one report at a
/// time, so a bad report cannot take the others with it (its body's problems name it).
pub(super) async fn apply(
    store: &dyn Store,
    mut reports: Vec<Reported>,
    problems: &mut [Vec<String>],
) -> StoreResult<()> {
    while !reports.is_empty() {
        let rest = reports.split_off(reports.len().min(STATUS_CHUNK));
        let chunk = std::mem::replace(&mut reports, rest);
        apply_chunk(store, chunk, problems).await?;
    }
    Ok(())
}

async fn apply_chunk(
    store: &dyn Store,
    chunk: Vec<Reported>,
    problems: &mut [Vec<String>],
) -> StoreResult<()> {
    let batch = chunk.iter().map(|r| (r.org, r.update.clone())).collect();
    match store.apply_status_batch(batch).await {
        Ok(outcomes) => {
            let deferred = chunk.iter().zip(outcomes).filter(|(r, outcome)| {
                *outcome == StatusOutcome::Deferred && r.biz_opaque.is_some()
            });
            for (r, _) in deferred {
                let done = meta_events::reconcile(store, r.org, &r.update, r.biz_opaque.as_deref());
                note(done.await, r, problems)?;
            }
        }
        Err(e @ StoreError::Unavailable(_)) => return Err(e),
        Err(_) => {
            for r in chunk {
                let biz = r.biz_opaque.as_deref();
                let done = meta_events::apply_status(store, r.org, r.update.clone(), biz).await;
                note(done, &r, problems)?;
            }
        }
    }
    Ok(())
}

/// Records a report's failure against its body; an unavailable database stops the pass.
fn note(
    done: StoreResult<StatusOutcome>,
    r: &Reported,
    problems: &mut [Vec<String>],
) -> StoreResult<()> {
    match done {
        Ok(_) => Ok(()),
        Err(e @ StoreError::Unavailable(_)) => Err(e),
        Err(e) => {
            if let Some(p) = problems.get_mut(r.slot) {
                p.push(format!("status for {}: {e}", r.update.wamid));
            }
            Ok(())
        }
    }
}
