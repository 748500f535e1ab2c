//! The status merge, once for both engines: a message's status state as loaded, the
//! monotonic merge of reports into it, and the plan of a batch of reports (what is
//! applied, what waits for its wamid, which events are due). The backends only load
//! [`MessageState`]s and write back the dirty ones, the events and the parked reports.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use wakit_core::{AccountId, MessageId, MessageStatus, OrgId, StatusHistory};

use crate::{StatusOutcome, StatusUpdate};

/// A report kept for a wamid no message had yet: status, time, error.
pub type ParkedStatus = (MessageStatus, DateTime<Utc>, Option<Value>);

/// A message's status state, loaded for a merge (every field the merge reads or
/// writes, the stored error included, so a repeated `failed` report changes nothing).
#[derive(Clone, Debug)]
pub struct MessageState {
    /// The message.
    pub id: MessageId,
    /// Its number.
    pub account: AccountId,
    /// Its wamid, once Meta accepted it.
    pub external_id: Option<String>,
    /// The status word as loaded.
    before: MessageStatus,
    /// The status word now.
    pub status: MessageStatus,
    /// The earliest time of each status reached.
    pub history: StatusHistory,
    /// Meta's error, for a failed message.
    pub error: Option<Value>,
    /// Whether anything must be written back.
    pub dirty: bool,
}

impl MessageState {
    /// The state as stored.
    pub fn loaded(
        id: MessageId,
        account: AccountId,
        external_id: Option<String>,
        status: MessageStatus,
        history: StatusHistory,
        error: Option<Value>,
    ) -> MessageState {
        MessageState {
            id,
            account,
            external_id,
            before: status,
            status,
            history,
            error,
            dirty: false,
        }
    }

    /// Merges one report: the status word only moves forward
    /// ([`MessageStatus::merge`]), the history keeps the earliest time of each status,
    /// and a `failed` report's error replaces a different stored one.
    pub fn apply(&mut self, status: MessageStatus, at: DateTime<Utc>, error: Option<Value>) {
        let merged = self.status.merge(status);
        if merged != self.status {
            self.status = merged;
            self.dirty = true;
        }
        if self.history.record(status, at) {
            self.dirty = true;
        }
        if status == MessageStatus::Failed
            && let Some(e) = error
            && self.error.as_ref() != Some(&e)
        {
            self.error = Some(e);
            self.dirty = true;
        }
    }

    /// Records Meta's acceptance under `wamid`: the wamid, `sent` at `at`, then the
    /// reports that arrived for the wamid before it was known (oldest first).
    pub fn accept(
        &mut self,
        wamid: &str,
        at: DateTime<Utc>,
        parked: impl IntoIterator<Item = ParkedStatus>,
    ) {
        if self.external_id.as_deref() != Some(wamid) {
            self.external_id = Some(wamid.to_string());
            self.dirty = true;
        }
        self.apply(MessageStatus::Sent, at, None);
        for (status, at, error) in parked {
            self.apply(status, at, error);
        }
    }

    /// Whether the status word moved since the load (a `messages.update` event is due).
    pub fn moved(&self) -> bool {
        self.status != self.before
    }

    /// What the merges so far amount to.
    pub fn outcome(&self) -> StatusOutcome {
        let (message_id, status) = (self.id, self.status);
        if self.moved() {
            StatusOutcome::Applied { message_id, status }
        } else {
            StatusOutcome::Unchanged { message_id, status }
        }
    }
}

/// What a batch of reports becomes.
#[derive(Debug, Default)]
pub struct StatusPlan {
    /// One outcome per report, in order.
    pub outcomes: Vec<StatusOutcome>,
    /// `messages.update` events, in order: (org, message), one per report that moved
    /// its message's status word.
    pub events: Vec<(OrgId, MessageId)>,
    /// Reports for wamids no message has yet, to keep until `mark_sent` names them.
    pub parked: Vec<(OrgId, StatusUpdate)>,
}

/// Merges a batch of reports, in order, into the messages found for them (keyed by
/// number and wamid), with the semantics of applying them one by one: reports for one
/// wamid merge as if applied one after another and each that moves the status word
/// gets its event. The messages in `found` whose [`MessageState::dirty`] is set are
/// the rows to write.
pub fn plan_statuses(
    batch: Vec<(OrgId, StatusUpdate)>,
    found: &mut HashMap<(AccountId, String), MessageState>,
) -> StatusPlan {
    let mut plan = StatusPlan::default();
    for (org, u) in batch {
        let Some(m) = found.get_mut(&(u.account_id, u.wamid.clone())) else {
            plan.outcomes.push(StatusOutcome::Deferred);
            plan.parked.push((org, u));
            continue;
        };
        let before = m.status;
        m.apply(u.status, u.at, u.error);
        let (message_id, status) = (m.id, m.status);
        plan.outcomes.push(if status != before {
            plan.events.push((org, message_id));
            StatusOutcome::Applied { message_id, status }
        } else {
            StatusOutcome::Unchanged { message_id, status }
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn state(status: MessageStatus, error: Option<Value>) -> MessageState {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        MessageState::loaded(
            MessageId::new(),
            AccountId(uuid::Uuid::nil()),
            Some("wamid.1".into()),
            status,
            StatusHistory::starting(status, at),
            error,
        )
    }

    #[test]
    fn a_repeated_failed_report_with_the_stored_error_changes_nothing() {
        let e = json!([{"code": 131026}]);
        let mut m = state(MessageStatus::Failed, Some(e.clone()));
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        m.apply(MessageStatus::Failed, at, Some(e));
        assert!(!m.dirty, "nothing to write");
        m.apply(MessageStatus::Failed, at, Some(json!([{"code": 1}])));
        assert!(m.dirty, "a different error is written");
    }

    #[test]
    fn reports_for_one_wamid_merge_in_order_and_unknown_ones_park() {
        let m = state(MessageStatus::Sent, None);
        let (org, account) = (OrgId(uuid::Uuid::nil()), m.account);
        let at = Utc.timestamp_opt(1_700_000_100, 0).unwrap();
        let report = |wamid: &str, status| {
            (
                org,
                StatusUpdate {
                    account_id: account,
                    wamid: wamid.into(),
                    status,
                    at,
                    error: None,
                },
            )
        };
        let mut found = HashMap::from([((account, "wamid.1".to_string()), m)]);
        let plan = plan_statuses(
            vec![
                report("wamid.1", MessageStatus::Delivered),
                report("wamid.1", MessageStatus::Read),
                report("wamid.1", MessageStatus::Sent),
                report("wamid.2", MessageStatus::Read),
            ],
            &mut found,
        );
        let words: Vec<_> = plan
            .outcomes
            .iter()
            .map(|o| match o {
                StatusOutcome::Applied { status, .. } => format!("applied {}", status.as_str()),
                StatusOutcome::Unchanged { status, .. } => format!("same {}", status.as_str()),
                StatusOutcome::Deferred => "deferred".into(),
            })
            .collect();
        assert_eq!(
            words,
            ["applied delivered", "applied read", "same read", "deferred"]
        );
        assert_eq!(plan.events.len(), 2);
        assert_eq!(plan.parked.len(), 1);
        assert!(found.values().all(|m| m.dirty));
    }
}
