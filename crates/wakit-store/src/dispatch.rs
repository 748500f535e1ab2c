//! Dispatch start, once for both engines: what a group of send attempts finds, from
//! the attempt markers the backend set and the messages it read back.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use wakit_core::{MessageId, OrgId};

use crate::{DispatchStart, MessageRecord, StoreError, StoreResult};

/// What marking one message found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DispatchMark {
    /// Pending, outgoing and without a wamid: Meta has not accepted it.
    pub open: bool,
    /// When an earlier attempt began, if one is in flight (its outcome unknown).
    pub since: Option<DateTime<Utc>>,
}

/// The starts of `items`, in order: a message not marked or not read back is
/// `NotFound`; an item named twice finds the attempt its first mention started (at
/// `at`), so it is never sent twice.
pub fn dispatch_starts(
    items: &[(OrgId, MessageId)],
    marks: &HashMap<(OrgId, MessageId), DispatchMark>,
    messages: &HashMap<(OrgId, MessageId), MessageRecord>,
    at: DateTime<Utc>,
) -> Vec<StoreResult<DispatchStart>> {
    let mut started = HashSet::new();
    items
        .iter()
        .map(|item| {
            let (Some(mark), Some(message)) = (marks.get(item), messages.get(item)) else {
                return Err(StoreError::NotFound("message"));
            };
            let since = mark
                .since
                .or_else(|| (!started.insert(*item)).then_some(at));
            let message = message.clone();
            Ok(match (mark.open, since) {
                (false, _) => DispatchStart::Done(message),
                (true, None) => DispatchStart::Send(message),
                (true, Some(since)) => DispatchStart::Interrupted { message, since },
            })
        })
        .collect()
}
