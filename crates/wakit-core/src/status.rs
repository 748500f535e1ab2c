//! Message direction and the monotonic status state machine (product.md §3).
//!
//! Statuses form a total order `pending < sent < failed < delivered < read`, and a
//! message's status is the maximum it has seen. That makes applying statuses
//! commutative, associative and idempotent: Meta's duplicates and reordering can
//! never move a message backwards. `failed` ranks below `delivered` because proof of
//! delivery outweighs a failure report; it ranks above `sent` because a send Meta
//! accepted can still fail later (e.g. 131047 outside the window).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Who a message is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the contact.
    Incoming,
    /// To the contact.
    Outgoing,
    /// Notes, agent tool traffic: never sent, never listed by the API.
    Internal,
}

impl Direction {
    /// The lowercase wire/database name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
            Direction::Internal => "internal",
        }
    }
}

impl FromStr for Direction {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "incoming" => Ok(Direction::Incoming),
            "outgoing" => Ok(Direction::Outgoing),
            "internal" => Ok(Direction::Internal),
            _ => Err(UnknownName(s.to_string())),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownName(pub String);

/// One status word. The derived `Ord` is the monotonic order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored, not yet accepted by Meta.
    Pending,
    /// Accepted by Meta.
    Sent,
    /// Could not be sent or delivered (carries Meta's error elsewhere).
    Failed,
    /// On the recipient's device.
    Delivered,
    /// Opened by the recipient.
    Read,
}

impl MessageStatus {
    /// Every status, in monotonic order.
    pub const ALL: [MessageStatus; 5] = [
        MessageStatus::Pending,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Delivered,
        MessageStatus::Read,
    ];

    /// The lowercase wire/database name.
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
        }
    }

    /// Position in the monotonic order, for storage backends that compare in SQL.
    pub fn rank(&self) -> i16 {
        match self {
            MessageStatus::Pending => 0,
            MessageStatus::Sent => 1,
            MessageStatus::Failed => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Read => 4,
        }
    }

    /// The status after `incoming` arrives: never lower than the current one.
    pub fn merge(self, incoming: MessageStatus) -> MessageStatus {
        self.max(incoming)
    }

    /// Whether applying `incoming` changes the status.
    pub fn advances_to(self, incoming: MessageStatus) -> bool {
        incoming > self
    }
}

impl FromStr for MessageStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_string()))
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every status a message has seen with the earliest time it was reported, e.g.
/// `{"pending": "...", "sent": "...", "delivered": "..."}`. Merging keeps the earliest
/// time per status, so it is order-independent too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusHistory(pub BTreeMap<MessageStatus, DateTime<Utc>>);

impl StatusHistory {
    /// A history with one entry.
    pub fn starting(status: MessageStatus, at: DateTime<Utc>) -> Self {
        let mut h = Self::default();
        h.record(status, at);
        h
    }

    /// Adds `status` at `at`, keeping the earlier time if it was already known.
    /// Returns whether the history changed.
    pub fn record(&mut self, status: MessageStatus, at: DateTime<Utc>) -> bool {
        match self.0.get(&status) {
            Some(existing) if *existing <= at => false,
            _ => {
                self.0.insert(status, at);
                true
            }
        }
    }

    /// The current status: the highest one recorded (pending when empty).
    pub fn current(&self) -> MessageStatus {
        self.0
            .keys()
            .copied()
            .max()
            .unwrap_or(MessageStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn late_sent_never_overwrites_delivered() {
        assert_eq!(
            MessageStatus::Delivered.merge(MessageStatus::Sent),
            MessageStatus::Delivered
        );
        assert!(!MessageStatus::Delivered.advances_to(MessageStatus::Sent));
    }

    #[test]
    fn read_without_delivered_is_read() {
        assert_eq!(
            MessageStatus::Sent.merge(MessageStatus::Read),
            MessageStatus::Read
        );
    }

    #[test]
    fn failure_after_acceptance_counts_but_delivery_outranks_it() {
        assert_eq!(
            MessageStatus::Sent.merge(MessageStatus::Failed),
            MessageStatus::Failed
        );
        assert_eq!(
            MessageStatus::Failed.merge(MessageStatus::Delivered),
            MessageStatus::Delivered
        );
        assert_eq!(
            MessageStatus::Read.merge(MessageStatus::Failed),
            MessageStatus::Read
        );
    }

    #[test]
    fn names_round_trip() {
        for s in MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<MessageStatus>(), Ok(s));
            let json = serde_json::to_string(&s).expect("serialize");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!("accepted".parse::<MessageStatus>().is_err());
    }

    #[test]
    fn history_keeps_earliest_time() {
        let mut h = StatusHistory::starting(MessageStatus::Pending, t(0));
        assert!(h.record(MessageStatus::Sent, t(5)));
        assert!(!h.record(MessageStatus::Sent, t(9)));
        assert!(h.record(MessageStatus::Sent, t(3)));
        assert_eq!(h.0[&MessageStatus::Sent], t(3));
        assert_eq!(h.current(), MessageStatus::Sent);
        let json = serde_json::to_value(&h).expect("serialize");
        assert!(json.get("pending").is_some() && json.get("sent").is_some());
    }

    fn status() -> impl Strategy<Value = MessageStatus> {
        prop::sample::select(MessageStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn any_shuffle_or_duplication_ends_in_the_same_state(
            seq in prop::collection::vec((status(), 0i64..1000), 1..20),
            seed in any::<u64>(),
            dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let fold = |events: &[(MessageStatus, i64)]| {
                let mut st = MessageStatus::Pending;
                let mut h = StatusHistory::default();
                for (s, at) in events {
                    st = st.merge(*s);
                    h.record(*s, t(*at));
                }
                (st, h)
            };
            let (expected_status, expected_history) = fold(&seq);

            let mut shuffled = seq.clone();
            for d in &dups {
                shuffled.push(seq[d.index(seq.len())]);
            }
            // Deterministic Fisher-Yates from the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                let j = (x % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            let (status, history) = fold(&shuffled);
            prop_assert_eq!(status, expected_status);
            prop_assert_eq!(&history, &expected_history);
            prop_assert_eq!(history.current(), status.max(MessageStatus::Pending));
        }
    }
}
