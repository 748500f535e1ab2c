//! `download_media`: keeps an inbound message's file. The job was queued with the
//! message; it runs under a lease like every job, so one process fetches at a time,
//! and a message whose part already points at a stored file (or says why it cannot)
//! is done without asking Meta again — restarts and replicas never fetch it twice.

use chrono::Utc;
use wakit_core::content::FileRef;
use wakit_core::{MessageId, OrgId};
use wakit_store::{DownloadMedia, Job, StoreError, StoreResult};

use super::{Dispatcher, later, lease};
use crate::media::download::{FetchError, fetch};

/// Attempts before a file that keeps failing is given up (its part says why).
const MAX_ATTEMPTS: u32 = 8;

impl Dispatcher {
    pub(super) async fn download_media(&self, job: &Job) -> StoreResult<()> {
        let token = lease(job)?;
        let store = &self.inner.store;
        let (org, args) = match (job.org_id, job.args::<DownloadMedia>()) {
            (Some(org), Ok(args)) => (org, args),
            (_, Err(why)) => return store.fail_job(job.id, token, &why, None).await.map(drop),
            (None, Ok(_)) => {
                return store
                    .fail_job(job.id, token, "a download_media job without an org", None)
                    .await
                    .map(drop);
            }
        };
        let message = match store.get_message(org, args.message_id).await {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => {
                return store.complete_job(job.id, token).await.map(drop);
            }
            Err(e) => return Err(e),
        };
        let Some(file) = message.content.file.clone() else {
            return store.complete_job(job.id, token).await.map(drop);
        };
        let Some(media_id) = file.uri.strip_prefix("meta://").map(str::to_string) else {
            // Stored already (or never Meta's): nothing to fetch.
            return store.complete_job(job.id, token).await.map(drop);
        };
        if file.error.is_some() {
            return store.complete_job(job.id, token).await.map(drop);
        }
        let pending = Pending {
            job,
            org,
            message: message.id,
            file: file.clone(),
        };
        let number = match self.number(org, args.account_id).await {
            Ok(n) => n,
            Err(StoreError::NotFound(_)) => {
                return self
                    .media_gone(&pending, "the number was removed".into())
                    .await;
            }
            Err(e) => return Err(e),
        };
        let media = &self.inner.config.media;
        let fetched = fetch(
            &self.inner.graph,
            &number.token,
            &media_id,
            &media.storage,
            org,
            media.max_bytes,
        )
        .await;
        match fetched {
            Ok((stored, info)) => {
                let mime = if info.mime_type.is_empty() {
                    file.mime_type.clone()
                } else {
                    info.mime_type
                };
                let record = store
                    .insert_media(
                        org,
                        stored.record(mime, file.name.clone(), Some(message.id)),
                    )
                    .await?;
                store
                    .set_message_file(org, message.id, record.file_ref())
                    .await?;
                crate::metrics::media_stored(record.file.size);
                store.complete_job(job.id, token).await.map(drop)
            }
            Err(FetchError::Gone(why)) => self.media_gone(&pending, why).await,
            Err(FetchError::Reauth(e)) => {
                self.token_refused(&number.account, &e).await?;
                self.retry_or_give_up(&pending, e.to_string(), None).await
            }
            Err(FetchError::Retry(why, after)) => self.retry_or_give_up(&pending, why, after).await,
        }
    }

    async fn retry_or_give_up(
        &self,
        p: &Pending<'_>,
        why: String,
        after: Option<std::time::Duration>,
    ) -> StoreResult<()> {
        if p.job.attempts >= MAX_ATTEMPTS {
            return self.media_gone(p, why).await;
        }
        tracing::info!(message = %p.message, attempt = p.job.attempts, error = %why, "media download failed; retrying");
        let at = later(Utc::now(), self.backoff(p.job.attempts, after));
        self.inner
            .store
            .fail_job(p.job.id, lease(p.job)?, &why, Some(at))
            .await
            .map(drop)
    }

    /// The file cannot be kept: the part says why, and the job ends.
    async fn media_gone(&self, p: &Pending<'_>, why: String) -> StoreResult<()> {
        tracing::warn!(message = %p.message, error = %why, "inbound media not kept");
        let failed = FileRef {
            error: Some(why.clone()),
            ..p.file.clone()
        };
        let store = &self.inner.store;
        store.set_message_file(p.org, p.message, failed).await?;
        store
            .fail_job(p.job.id, lease(p.job)?, &why, None)
            .await
            .map(drop)
    }
}

/// A download under way: its job, and the message part it is for.
struct Pending<'a> {
    job: &'a Job,
    org: OrgId,
    message: MessageId,
    file: FileRef,
}
