//! Writes during a read load: inbound messages committed one at a time, at a steady
//! rate, into the measured org's conversations — as the webhook worker would — so
//! every read runs while the database keeps changing (the API's kept answers are then
//! dropped after each commit, as in a live deployment).

use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wakit_core::{AccountId, MessageContent, OrgId, Phone};
use wakit_store::{InboundMessage, Store};

/// Commits per tick are spread over ticks of this length.
const TICK: Duration = Duration::from_millis(10);

/// A running writer.
pub struct Writer {
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<usize>>,
}

impl Writer {
    /// Starts committing `per_sec` messages a second (none when 0) from `contacts` on
    /// `account` of `org`.
    pub fn start(
        store: Arc<dyn Store>,
        org: OrgId,
        account: AccountId,
        contacts: Arc<Vec<String>>,
        per_sec: u32,
    ) -> Writer {
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut written = 0usize;
            if per_sec == 0 || contacts.is_empty() {
                return Ok(written);
            }
            let mut tick = tokio::time::interval(TICK);
            let started = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = token.cancelled() => return Ok(written),
                    _ = tick.tick() => {}
                }
                // As many as the rate allows by now (catches up after a slow commit).
                let due = (started.elapsed().as_secs_f64() * f64::from(per_sec)) as usize;
                while written < due && !token.is_cancelled() {
                    let from = &contacts[written % contacts.len()];
                    let message = InboundMessage {
                        account_id: account,
                        from: Phone::parse(from)?.into(),
                        profile_name: None,
                        wamid: format!("wamid.bench.write.{}", uuid::Uuid::new_v4().simple()),
                        timestamp: Utc::now(),
                        content: MessageContent::text("a write during the read load"),
                    };
                    store.ingest_inbound_batch(vec![(org, message)]).await?;
                    written += 1;
                }
            }
        });
        Writer { stop, task }
    }

    /// Stops; returns how many messages were committed.
    pub async fn stop(self) -> anyhow::Result<usize> {
        self.stop.cancel();
        self.task.await?
    }
}
