//! AI agent turns as durable jobs: every inbound message stored in an org that has an AI
//! agent queues one `agent_turn` job in the same transaction as the message, due after
//! the org's `response_delay_seconds` (the debounce). The job names its triggering
//! message; the runtime (wakit-server's `workers::agents`) acts only when that message
//! is still the conversation's newest incoming one, so a burst gets one answer. A
//! message is inserted once (its wamid is unique), so it never queues two turns.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wakit_core::content::Kind;
use wakit_core::{MessageId, OrgId};

use crate::{AgentSettings, InboundMessage, JobArgs, NewJob, Priority};

/// Job kind of one agent turn (payload `{"message_id", "org_id"}`).
pub const AGENT_TURN: &str = "agent_turn";

/// [`AGENT_TURN`]: answer the customer's message `message_id` if it is still the newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTurn {
    /// The triggering inbound message.
    pub message_id: MessageId,
    /// Its org.
    pub org_id: OrgId,
}

impl JobArgs for AgentTurn {
    const KIND: &'static str = AGENT_TURN;
}

/// Whether an inbound message of this kind may start a turn: a reaction or a message
/// wakit does not understand never does.
pub fn starts_turn(msg: &InboundMessage) -> bool {
    !matches!(msg.content.kind, Kind::Reaction | Kind::Unsupported)
}

/// The turn jobs of a batch's inserted messages: `inserted` holds each new message's
/// org and id, `agent_orgs` the `organizations.extra` of the orgs that have an AI agent
/// (the others queue nothing).
pub fn agent_turn_jobs(
    inserted: &[(OrgId, MessageId)],
    agent_orgs: &HashMap<OrgId, Value>,
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    inserted
        .iter()
        .filter_map(|(org, message_id)| {
            let extra = agent_orgs.get(org)?;
            let delay = AgentSettings::from_extra(extra).response_delay_seconds;
            let run_at = now + Duration::seconds(i64::from(delay));
            Some(
                AgentTurn {
                    message_id: *message_id,
                    org_id: *org,
                }
                .job(Some(*org), run_at, Priority::Interactive.value()),
            )
        })
        .collect()
}

/// The distinct orgs of `inserted`, in first-seen order (for the agent lookup).
pub fn turn_orgs(inserted: &[(OrgId, MessageId)]) -> Vec<OrgId> {
    let mut orgs: Vec<OrgId> = Vec::new();
    for (org, _) in inserted {
        if !orgs.contains(org) {
            orgs.push(*org);
        }
    }
    orgs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_orgs_with_an_agent_queue_turns_due_after_their_delay() {
        let (a, b) = (OrgId::new(), OrgId::new());
        let (m1, m2, m3) = (MessageId::new(), MessageId::new(), MessageId::new());
        let now = Utc::now();
        let orgs = HashMap::from([(a, json!({"response_delay_seconds": 7}))]);
        let jobs = agent_turn_jobs(&[(a, m1), (b, m2), (a, m3)], &orgs, now);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].run_at, now + Duration::seconds(7));
        assert_eq!(jobs[0].kind, AGENT_TURN);
        assert_eq!(jobs[1].payload["message_id"], json!(m3.to_string()));
        assert_eq!(turn_orgs(&[(a, m1), (b, m2), (a, m3)]), vec![a, b]);
        let defaults = HashMap::from([(b, json!({}))]);
        let jobs = agent_turn_jobs(&[(b, m2)], &defaults, now);
        assert_eq!(jobs[0].run_at, now + Duration::seconds(3));
    }
}
