//! Sending a file wakit stores (`internal://media/<id>`, from `POST /media`): before the
//! send is marked as started, the file is uploaded to Meta's `/{phone-number-id}/media`
//! (streamed from the media storage) unless Meta's id for it on this number is cached
//! and alive; the send then names Meta's id. An upload that fails is retried like a
//! send (nothing was sent yet), or fails the message with Meta's error.

use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use wakit_core::content::FileRef;
use wakit_core::{MediaId, MessageContent, OrgId};
use wakit_store::{Job, MessageRecord, StoreError, StoreResult};

use super::{Dispatcher, Number, later, lease, meta_error_json, wakit_error_json};

/// Attempts before an upload that keeps failing fails its message.
const MAX_UPLOAD_ATTEMPTS: u32 = 8;

/// What to send, or that this attempt stops here (the job was rescheduled or finished).
pub(super) enum Ready {
    Send(Box<MessageContent>),
    Stopped,
}

impl Dispatcher {
    pub(super) async fn with_meta_media(
        &self,
        job: &Job,
        org: OrgId,
        message: &MessageRecord,
        number: &Number,
    ) -> StoreResult<Ready> {
        let content = &message.content;
        let Some(file) = content.file.as_ref() else {
            return Ok(Ready::Send(Box::new(content.clone())));
        };
        let Some(id) = file.internal_id() else {
            return Ok(Ready::Send(Box::new(content.clone())));
        };
        let store = &self.inner.store;
        let record = match id.parse::<MediaId>() {
            Ok(id) => match store.get_media(org, id).await {
                Ok(r) => Some(r),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            Err(_) => None,
        };
        let Some(record) = record else {
            return self
                .media_failed(job, org, message, "the file to send no longer exists")
                .await;
        };
        let acct = &number.account;
        let now = Utc::now();
        let meta_id = match record.meta_id_for(acct.id, now) {
            Some(m) => m.to_string(),
            None => {
                let media = &self.inner.config.media;
                let bytes = match media.storage.get(&record.file.storage_key, None).await {
                    Ok(got) => got.into_stream().map_err(std::io::Error::other).boxed(),
                    Err(e) => {
                        tracing::error!(media = %record.id, error = %e, "file to send unreadable");
                        return self
                            .media_failed(
                                job,
                                org,
                                message,
                                "the file's bytes are no longer in the media storage",
                            )
                            .await;
                    }
                };
                let name = record
                    .file
                    .filename
                    .clone()
                    .unwrap_or_else(|| "file".into());
                let uploaded = self
                    .inner
                    .graph
                    .upload_media(
                        &acct.phone_number_id,
                        &number.token,
                        &record.file.mime_type,
                        &name,
                        record.file.size,
                        bytes,
                    )
                    .await;
                match uploaded {
                    Ok(m) => {
                        let until = now + chrono::Duration::days(wakit_meta::UPLOADED_ID_DAYS);
                        store
                            .cache_meta_media(org, record.id, acct.id, &m, until)
                            .await?;
                        m
                    }
                    Err(e) if e.is_retryable() && job.attempts < MAX_UPLOAD_ATTEMPTS => {
                        let at = later(now, self.backoff(job.attempts, e.retry_after));
                        store
                            .fail_job(job.id, lease(job)?, &e.to_string(), Some(at))
                            .await?;
                        return Ok(Ready::Stopped);
                    }
                    Err(e) => {
                        store
                            .mark_failed(org, message.id, meta_error_json(&e), now)
                            .await?;
                        store.complete_job(job.id, lease(job)?).await?;
                        return Ok(Ready::Stopped);
                    }
                }
            }
        };
        let mut content = content.clone();
        content.file = Some(FileRef {
            uri: format!("meta://{meta_id}"),
            ..file.clone()
        });
        Ok(Ready::Send(Box::new(content)))
    }

    async fn media_failed(
        &self,
        job: &Job,
        org: OrgId,
        message: &MessageRecord,
        why: &str,
    ) -> StoreResult<Ready> {
        let store = &self.inner.store;
        store
            .mark_failed(
                org,
                message.id,
                wakit_error_json("media_gone", why),
                Utc::now(),
            )
            .await?;
        store.complete_job(job.id, lease(job)?).await?;
        Ok(Ready::Stopped)
    }
}
