//! What happens after a send is accepted: `sent` → `delivered` → `read` (or `failed`)
//! status webhooks with Meta's quirks, and chatty customers answering.

use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::config::{Chatty, Quirks, StatusDelays};
use crate::core::Core;
use crate::customer::Inbound;
use crate::identity::Sender;
use crate::ids::IdGen;
use crate::webhooks::payload::{StatusKind, StatusTarget, status_body};

/// How long a send response waits for its early `sent` webhook to be acknowledged
/// (not at all while no webhook URL is set).
const EARLY_WAIT: Duration = Duration::from_secs(1);

/// The statuses planned for one accepted message.
pub(crate) struct Plan {
    target: StatusTarget,
    /// (delay after acceptance, status, delivered twice), in emission order.
    steps: Vec<(Duration, StatusKind, bool)>,
    /// Wait for each status to be acknowledged before emitting the next.
    in_order: bool,
    /// Emit the first step before the send response returns.
    early: bool,
    chatty: Option<Chatty>,
}

/// Plans the statuses of a message to `target`. `failure` yields one `failed` status;
/// otherwise `sent`, `delivered` and (when the customer reads) `read`, bent by `quirks`.
pub(crate) fn plan(
    ids: &mut IdGen,
    quirks: &Quirks,
    delays: &StatusDelays,
    target: StatusTarget,
    failure: Option<i64>,
    reads: bool,
    chatty: Option<Chatty>,
) -> Plan {
    let jitter = |ids: &mut IdGen, d: Duration| {
        if quirks.unordered_delivery {
            d.mul_f64(0.8 + 0.4 * ids.unit())
        } else {
            d
        }
    };
    let mut steps: Vec<(Duration, StatusKind, bool)> = match failure {
        Some(code) => vec![(delays.sent, StatusKind::Failed(code), false)],
        None => {
            let mut s = vec![
                (jitter(ids, delays.sent), StatusKind::Sent, false),
                (jitter(ids, delays.delivered), StatusKind::Delivered, false),
            ];
            if reads {
                s.push((jitter(ids, delays.read), StatusKind::Read, false));
                if ids.chance(quirks.skip_delivered) {
                    s.retain(|(_, k, _)| *k != StatusKind::Delivered);
                }
            }
            s
        }
    };
    let early = ids.chance(quirks.status_before_response);
    if !early && steps.len() > 1 && ids.chance(quirks.reorder_statuses) {
        // `sent` overtaken by every later status (chatwoot #14529).
        let sent = steps.remove(0);
        let last = steps.last().map(|s| s.0).unwrap_or_default();
        steps.push((last + Duration::from_millis(20), sent.1, false));
    }
    for step in &mut steps {
        step.2 = ids.chance(quirks.duplicate_status);
    }
    steps.sort_by_key(|s| s.0);
    Plan {
        target,
        steps,
        in_order: !quirks.unordered_delivery,
        early,
        chatty: if reads { chatty } else { None },
    }
}

/// Runs `plan` in the background. When the plan is early, the returned receiver fires
/// once the first status was acknowledged (or could not be within a short wait).
pub(crate) fn start(core: Arc<Core>, plan: Plan) -> Option<oneshot::Receiver<()>> {
    let (early_tx, early_rx) = oneshot::channel();
    let early = plan.early;
    let guard = core.webhooks.schedule();
    let tracker = core.tracker.clone();
    tracker.spawn(async move {
        let _guard = guard;
        run(core, plan, early_tx).await;
    });
    early.then_some(early_rx)
}

async fn run(core: Arc<Core>, plan: Plan, early_tx: oneshot::Sender<()>) {
    let begin = Instant::now();
    let mut early_tx = plan.early.then_some(early_tx);
    for (at, kind, duplicate) in plan.steps {
        tokio::select! {
            _ = tokio::time::sleep_until(begin + at) => {}
            _ = core.cancel.cancelled() => return,
        }
        if let StatusKind::Failed(code) = kind {
            *core.state().failed_statuses.entry(code).or_default() += 1;
        }
        let body = status_body(&plan.target, kind, Utc::now().timestamp());
        let ack = core.webhooks.enqueue(&body);
        if duplicate {
            core.webhooks.enqueue(&body);
        }
        if let Some(tx) = early_tx.take() {
            if core.webhooks.url().is_some() {
                let _ = tokio::time::timeout(EARLY_WAIT, ack).await;
            }
            let _ = tx.send(());
        } else if plan.in_order {
            tokio::select! {
                _ = ack => {}
                _ = core.cancel.cancelled() => return,
            }
        }
        if kind == StatusKind::Read
            && let Some(chatty) = &plan.chatty
        {
            maybe_reply(&core, &plan.target, chatty);
        }
    }
}

/// With the chatty probability, the customer answers with a canned line after a delay.
fn maybe_reply(core: &Arc<Core>, target: &StatusTarget, chatty: &Chatty) {
    let (delay, line) = {
        let mut st = core.state();
        if chatty.lines.is_empty() || !st.ids.chance(chatty.reply_probability) {
            return;
        }
        let span = chatty.delay.end.saturating_sub(chatty.delay.start);
        let delay = chatty.delay.start + span.mul_f64(st.ids.unit());
        let line = chatty.lines[st.ids.index(chatty.lines.len())].clone();
        (delay, line)
    };
    let guard = core.webhooks.schedule();
    let core2 = core.clone();
    let id = target.number.phone_number_id.clone();
    let customer = Sender::user_id(target.recipient.user_id.clone());
    core.tracker.spawn(async move {
        let _guard = guard;
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = core2.cancel.cancelled() => return,
        }
        if let Err(e) = core2.sender_writes(&id, customer, Inbound::Text(line).into()) {
            tracing::debug!(error = %e, "chatty customer could not answer");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::NumberSpec;
    use crate::state::State;
    use crate::webhooks::payload::Billing;

    fn target() -> StatusTarget {
        let mut st = State::new(1, Quirks::none(), None, true);
        let number = st
            .add_number(NumberSpec::new("15550001111"))
            .expect("number");
        StatusTarget {
            number,
            wamid: "wamid.x".into(),
            recipient: crate::identity::CustomerIdentity {
                user_id: "US.13491208655302741918".into(),
                parent_user_id: "US.ENT.11815799212886844830".into(),
                phone: Some("15551234567".into()),
                username: None,
                profile_name: "Ana".into(),
            },
            by_phone: true,
            biz_opaque_callback_data: None,
            billing: Billing {
                category: "service".into(),
                pricing_type: "free_customer_service",
                conversation: None,
            },
        }
    }

    fn kinds(p: &Plan) -> Vec<StatusKind> {
        p.steps.iter().map(|s| s.1).collect()
    }

    #[test]
    fn no_quirks_is_sent_delivered_read_in_order() {
        let mut ids = IdGen::new(3);
        let p = plan(
            &mut ids,
            &Quirks::none(),
            &StatusDelays::default(),
            target(),
            None,
            true,
            None,
        );
        assert_eq!(
            kinds(&p),
            vec![StatusKind::Sent, StatusKind::Delivered, StatusKind::Read]
        );
        assert!(p.in_order && !p.early && p.steps.iter().all(|s| !s.2));
    }

    #[test]
    fn failure_is_one_failed_status() {
        let mut ids = IdGen::new(3);
        let p = plan(
            &mut ids,
            &Quirks::always(),
            &StatusDelays::default(),
            target(),
            Some(131047),
            true,
            None,
        );
        assert_eq!(kinds(&p), vec![StatusKind::Failed(131047)]);
    }

    #[test]
    fn quirks_skip_and_reorder() {
        let mut ids = IdGen::new(3);
        let q = Quirks {
            status_before_response: 0.0,
            ..Quirks::always()
        };
        let p = plan(
            &mut ids,
            &q,
            &StatusDelays::default(),
            target(),
            None,
            true,
            None,
        );
        assert_eq!(kinds(&p), vec![StatusKind::Read, StatusKind::Sent]);
        assert!(p.steps.iter().all(|s| s.2));
    }
}
