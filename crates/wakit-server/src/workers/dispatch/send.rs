//! `send_message` jobs: one outgoing message to Meta, at most once.

use chrono::Utc;
use std::time::Duration;
use wakit_core::MessageStatus;
use wakit_meta::{ErrorClass, MetaError};
use wakit_store::{
    DispatchStart, Job, MessageRecord, SendAccepted, SendMessage, StoreError, StoreResult,
};

use super::{Dispatcher, later, lease, meta_error_json, wakit_error_json};

/// How often an interrupted send looks again for its reconciling status webhook.
const RECONCILE_POLL: Duration = Duration::from_secs(5);

impl Dispatcher {
    pub(super) async fn send_message(&self, job: &Job) -> StoreResult<()> {
        let store = &self.inner.store;
        let token = lease(job)?;
        let (org, id) = match job.args::<SendMessage>() {
            Ok(args) => (job.org_id.unwrap_or(args.org_id), args.message_id),
            Err(why) => {
                store.fail_job(job.id, token, &why, None).await?;
                return Ok(());
            }
        };
        let message = match store.get_message(org, id).await {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => {
                store
                    .fail_job(job.id, token, "message not found", None)
                    .await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if message.status != MessageStatus::Pending || message.external_id.is_some() {
            store.complete_job(job.id, token).await?;
            return Ok(());
        }
        let number = self.number(org, message.account_id).await?;
        if number.account.token_invalid() {
            let error = wakit_error_json(
                "190",
                "The number's Meta access token is invalid or expired; reconnect the number",
            );
            store.mark_failed(org, id, error, Utc::now()).await?;
            store.complete_job(job.id, token).await?;
            return Ok(());
        }
        if let Err(later_by) = self.pace(&number.account).await {
            store
                .defer_job(job.id, token, later(Utc::now(), later_by))
                .await?;
            return Ok(());
        }
        let content = match self.with_meta_media(job, org, &message, &number).await? {
            super::media_send::Ready::Send(c) => c,
            super::media_send::Ready::Stopped => return Ok(()),
        };
        let message = match self.inner.begins.submit((org, id)).await? {
            DispatchStart::Send(m) => m,
            DispatchStart::Done(_) => {
                store.complete_job(job.id, token).await?;
                return Ok(());
            }
            DispatchStart::Interrupted { message, since } => {
                return self.interrupted(job, &message, since).await;
            }
        };
        let payload = match wakit_meta::send_payload(
            message.contact_phone.as_str(),
            &content,
            Some(&id.to_string()),
        ) {
            Ok(p) => p,
            Err(e) => {
                let error = wakit_error_json("unsupported_content", &e.to_string());
                store.mark_failed(org, id, error, Utc::now()).await?;
                store.complete_job(job.id, token).await?;
                return Ok(());
            }
        };
        let sent = self
            .inner
            .graph
            .send(&number.account.phone_number_id, &number.token, &payload)
            .await;
        match sent {
            Ok(ok) => {
                crate::metrics::sent(&number.account.phone_number_id);
                let accepted = SendAccepted {
                    org,
                    message: id,
                    wamid: ok.wamid.clone(),
                    at: Utc::now(),
                    job: job.id,
                    lease_token: token,
                };
                match self.inner.finishes.submit(accepted).await {
                    Ok(()) => Ok(()),
                    Err(StoreError::Conflict(_)) => {
                        tracing::error!(message = %id, wamid = %ok.wamid, "Meta returned a wamid another message already has");
                        store.complete_job(job.id, token).await?;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => self.refused(job, &message, &number.account, e).await,
        }
    }

    /// Meta did not confirm the send.
    async fn refused(
        &self,
        job: &Job,
        message: &MessageRecord,
        account: &wakit_store::Account,
        e: MetaError,
    ) -> StoreResult<()> {
        crate::metrics::meta_error(e.code);
        let store = &self.inner.store;
        let (org, id) = (account.org_id, message.id);
        let token = lease(job)?;
        let answered = e.http_status.is_some();
        let definite =
            (answered && !(200..300).contains(&e.http_status.unwrap_or(0))) || e.unreached;
        if !definite {
            // A timeout or a dropped connection: Meta may have taken it. Never send again;
            // wait for the status webhook (biz_opaque_callback_data) to tell.
            tracing::warn!(message = %id, error = %e, "send outcome unknown; waiting for Meta's status webhook");
            let retry = later(Utc::now(), RECONCILE_POLL);
            store
                .fail_job(job.id, token, &e.to_string(), Some(retry))
                .await?;
            return Ok(());
        }
        store.end_dispatch(org, id).await?;
        match e.class {
            ErrorClass::Retry | ErrorClass::Network => {
                let due = message.timestamp.max(message.created_at);
                let give_up = later(due, self.inner.config.retry_for);
                let retry_at = later(Utc::now(), self.backoff(job.attempts, e.retry_after));
                if retry_at > give_up {
                    tracing::warn!(message = %id, error = %e, "send retries exhausted");
                    store
                        .mark_failed(org, id, meta_error_json(&e), Utc::now())
                        .await?;
                    store.complete_job(job.id, token).await?;
                } else {
                    store
                        .fail_job(job.id, token, &e.to_string(), Some(retry_at))
                        .await?;
                }
            }
            ErrorClass::Reauth => {
                if e.code == Some(190) {
                    self.token_refused(account, &e).await?;
                }
                store
                    .mark_failed(org, id, meta_error_json(&e), Utc::now())
                    .await?;
                store.complete_job(job.id, token).await?;
            }
            ErrorClass::Permanent => {
                store
                    .mark_failed(org, id, meta_error_json(&e), Utc::now())
                    .await?;
                store.complete_job(job.id, token).await?;
            }
        }
        Ok(())
    }

    /// A send whose earlier attempt has no known outcome: wait for reconciliation, then fail.
    async fn interrupted(
        &self,
        job: &Job,
        message: &MessageRecord,
        since: chrono::DateTime<Utc>,
    ) -> StoreResult<()> {
        let store = &self.inner.store;
        let token = lease(job)?;
        let org = job
            .org_id
            .ok_or(StoreError::other("send job without org"))?;
        if Utc::now() >= later(since, self.inner.config.reconcile_after) {
            let error = wakit_error_json(
                "send_outcome_unknown",
                "The send to Meta was interrupted and Meta never confirmed it; \
                 it was not retried so that it cannot arrive twice",
            );
            store
                .mark_failed(org, message.id, error, Utc::now())
                .await?;
            store.complete_job(job.id, token).await?;
            return Ok(());
        }
        let poll = RECONCILE_POLL.min(self.inner.config.reconcile_after);
        store
            .fail_job(
                job.id,
                token,
                "send interrupted; waiting for Meta's status webhook",
                Some(later(Utc::now(), poll)),
            )
            .await?;
        Ok(())
    }
}
