//! Retention: deletes what the [`RetentionPolicy`] no longer keeps, every
//! [`RetentionConfig::interval`], so events, finished jobs, processed webhook bodies,
//! pending statuses and idempotency keys stay bounded. Every process running workers
//! prunes; several at once are harmless (each row is deleted once, in short batches
//! that never wait on each other — see [`wakit_store::RetentionStore::prune`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use wakit_store::{PruneReport, RetentionPolicy, RetentionTarget, Store, StoreResult};

use crate::media::MediaStorage;

/// Default [`RetentionConfig::media_grace`].
pub const MEDIA_GRACE: Duration = Duration::from_secs(600);
/// Age after which a part in the media storage's `tmp/` belongs to a write cut short (a
/// write in progress touches its file with every part; downloads and uploads are bounded
/// in time far below this).
pub const TMP_AGE: Duration = Duration::from_secs(3600);

/// Default time between prunes.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

/// Longest wait before the first prune after start: soon, but not in the middle of
/// the start itself.
const FIRST_RUN: Duration = Duration::from_secs(30);

/// Pause before the next prune when one stopped at its cap with rows left.
const BACKLOG_PAUSE: Duration = Duration::from_secs(1);

/// How the retention worker runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionConfig {
    /// What is kept, and how deletes are batched.
    pub policy: RetentionPolicy,
    /// Time between prunes (the first comes after this or 30 s, whichever is shorter).
    pub interval: Duration,
    /// How long media files are kept (`WAKIT_MEDIA_RETENTION_DAYS`); `None`: forever.
    pub media: Option<chrono::Duration>,
    /// Media bytes written this recently are never deleted (default 10 minutes): an
    /// upload of the same bytes may be about to record the row that names them.
    pub media_grace: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            policy: RetentionPolicy::default(),
            interval: DEFAULT_INTERVAL,
            media: None,
            media_grace: MEDIA_GRACE,
        }
    }
}

/// The retention worker.
#[derive(Clone)]
pub struct Pruner {
    store: Arc<dyn Store>,
    config: RetentionConfig,
    media: Option<MediaStorage>,
}

impl Pruner {
    /// A worker pruning `store` as `config` says.
    pub fn new(store: Arc<dyn Store>, config: RetentionConfig) -> Pruner {
        Pruner {
            store,
            config,
            media: None,
        }
    }

    /// Also deletes media files past [`RetentionConfig::media`] from `storage`.
    pub fn with_media(mut self, storage: MediaStorage) -> Pruner {
        self.media = Some(storage);
        self
    }

    /// One prune as of now: logs what it deleted (info when anything) and counts it in
    /// the metrics (`wakit_retention_deleted_total{table}`).
    pub async fn tick(&self) -> StoreResult<PruneReport> {
        let report = self
            .store
            .prune(&self.config.policy, chrono::Utc::now())
            .await?;
        for (target, n) in report.counts() {
            crate::metrics::pruned(target.name(), n);
        }
        if report.total() > 0 {
            let n = |t| report.deleted(t);
            tracing::info!(
                events = n(RetentionTarget::Events),
                jobs_done = n(RetentionTarget::FinishedJobs),
                jobs_dead = n(RetentionTarget::DeadJobs),
                inbox_done = n(RetentionTarget::ProcessedInbox),
                inbox_failed = n(RetentionTarget::FailedInbox),
                pending_statuses = n(RetentionTarget::PendingStatuses),
                idempotency_keys = n(RetentionTarget::IdempotencyKeys),
                webhook_deliveries = n(RetentionTarget::WebhookDeliveries),
                webhook_attempts = n(RetentionTarget::WebhookAttempts),
                complete = report.complete,
                "retention: deleted old rows"
            );
        }
        let mut report = report;
        report.complete &= !self.prune_media().await?;
        self.sweep_media_tmp().await;
        self.delete_deleted_orgs_media().await?;
        Ok(report)
    }

    /// Deletes the files of organizations that no longer exist (their rows went with
    /// the organization; nothing else would ever delete their bytes).
    async fn delete_deleted_orgs_media(&self) -> StoreResult<()> {
        let Some(storage) = &self.media else {
            return Ok(());
        };
        let orgs = match storage.orgs().await {
            Ok(orgs) => orgs,
            Err(e) => {
                tracing::warn!(error = %e, "retention: the media storage could not be listed");
                return Ok(());
            }
        };
        for org in orgs {
            match self.store.get_org(org).await {
                Err(wakit_store::StoreError::NotFound(_)) => {}
                other => {
                    other?;
                    continue;
                }
            }
            match storage.delete_org(org).await {
                Ok(files) => {
                    crate::metrics::pruned("media_files", files);
                    tracing::info!(%org, files, "retention: deleted a deleted organization's media");
                }
                Err(e) => {
                    tracing::warn!(%org, error = %e, "retention: media of a deleted organization")
                }
            }
        }
        Ok(())
    }

    /// Removes the parts of media writes cut short (a process killed mid-download or
    /// mid-upload) once older than [`TMP_AGE`].
    async fn sweep_media_tmp(&self) {
        let Some(storage) = &self.media else { return };
        match storage.sweep_tmp(TMP_AGE).await {
            Ok(0) => {}
            Ok(files) => {
                tracing::info!(files, "retention: removed parts of media writes cut short")
            }
            Err(e) => tracing::warn!(error = %e, "retention: media tmp/ could not be swept"),
        }
    }

    /// Deletes the media files past their time, a batch at a time up to the policy's cap:
    /// rows first (their messages' parts marked expired), then the bytes no row names.
    /// Bytes written within [`RetentionConfig::media_grace`] are left. Returns whether
    /// files past their time are left.
    async fn prune_media(&self) -> StoreResult<bool> {
        let (Some(keep), Some(storage)) = (self.config.media, &self.media) else {
            return Ok(false);
        };
        let policy = &self.config.policy;
        let before = chrono::Utc::now() - keep;
        let (mut rows, mut files) = (0u64, 0u64);
        let mut left = true;
        while left && rows < policy.max_rows_per_call {
            let expired = self.store.expire_media(before, policy.batch_size).await?;
            rows += expired.rows as u64;
            left = expired.rows >= policy.batch_size as usize;
            for key in &expired.unnamed {
                match storage
                    .delete_unless_fresh(key, self.config.media_grace)
                    .await
                {
                    Ok(true) => files += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "retention: a media file could not be deleted")
                    }
                }
            }
        }
        crate::metrics::pruned("media_files", files);
        if files > 0 {
            tracing::info!(
                files,
                "retention: deleted media files past WAKIT_MEDIA_RETENTION_DAYS"
            );
        }
        Ok(left)
    }

    /// Prunes every interval until `cancel` fires. A failed prune is logged and tried
    /// again at the next interval; a prune that stopped at its cap goes on shortly.
    pub async fn run(self, cancel: CancellationToken) {
        let mut wait = self.config.interval.min(FIRST_RUN);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            // Stopping mid-prune loses nothing: the batch in flight rolls back.
            let pruned = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.tick() => r,
            };
            wait = match pruned {
                Ok(report) if !report.complete => BACKLOG_PAUSE.min(self.config.interval),
                Ok(_) => self.config.interval,
                Err(e) => {
                    tracing::warn!(error = %e, "retention: prune failed; trying again next interval");
                    self.config.interval
                }
            };
        }
    }
}
