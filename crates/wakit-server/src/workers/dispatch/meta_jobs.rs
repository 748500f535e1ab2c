//! Read receipts and refreshes of a number's templates and health.

use chrono::Utc;
use serde_json::json;
use wakit_core::{AccountId, MessageStatus};
use wakit_meta::{ErrorClass, MetaError};
use wakit_store::{
    Job, READ_RECEIPT, ReadReceipt, SYNC_TEMPLATES, StatusUpdate, StoreError, StoreResult,
    SyncNumber, SyncTemplates,
};

use super::{Dispatcher, Number, later, lease};

impl Dispatcher {
    /// The job's number, or the job is dead with the reason.
    async fn job_number(&self, job: &Job) -> StoreResult<Option<Number>> {
        let token = lease(job)?;
        let (org, account) = match (job.org_id, job_account(job)) {
            (Some(org), Ok(account)) => (org, account),
            (org, account) => {
                let why = account.err().filter(|_| org.is_some());
                let why = why.unwrap_or_else(|| format!("a {} job without an org", job.kind));
                self.inner.store.fail_job(job.id, token, &why, None).await?;
                return Ok(None);
            }
        };
        match self.number(org, account).await {
            Ok(n) => Ok(Some(n)),
            Err(StoreError::NotFound(_)) => {
                self.inner
                    .store
                    .fail_job(job.id, token, "number not found", None)
                    .await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// A Meta failure of a non-message job: retried while retryable, else dead with
    /// Meta's error; a refused token is recorded on the number.
    async fn meta_job_failed(&self, job: &Job, number: &Number, e: MetaError) -> StoreResult<()> {
        let token = lease(job)?;
        if e.class == ErrorClass::Reauth && e.code == Some(190) {
            self.token_refused(&number.account, &e).await?;
        }
        let retry = e.is_retryable() && job.attempts < 8;
        let retry_at = retry.then(|| later(Utc::now(), self.backoff(job.attempts, e.retry_after)));
        self.inner
            .store
            .fail_job(job.id, token, &e.to_string(), retry_at)
            .await?;
        Ok(())
    }

    pub(super) async fn read_receipt(&self, job: &Job) -> StoreResult<()> {
        let Some(number) = self.job_number(job).await? else {
            return Ok(());
        };
        let token = lease(job)?;
        // Read by `job_number` already: a receipt without its fields is dead by now.
        let Ok(ReadReceipt { wamid, typing, .. }) = job.args::<ReadReceipt>() else {
            return Ok(());
        };
        let wamid = wamid.as_str();
        if let Err(later_by) = self.pace(&number.account).await {
            self.inner
                .store
                .defer_job(job.id, token, later(Utc::now(), later_by))
                .await?;
            return Ok(());
        }
        let acct = &number.account;
        match self
            .inner
            .graph
            .mark_read(&acct.phone_number_id, &number.token, wamid, typing)
            .await
        {
            Ok(()) => {
                let update = StatusUpdate {
                    account_id: acct.id,
                    wamid: wamid.to_string(),
                    status: MessageStatus::Read,
                    at: Utc::now(),
                    error: None,
                };
                self.inner.store.apply_status(acct.org_id, update).await?;
                self.inner.store.complete_job(job.id, token).await?;
                Ok(())
            }
            Err(e) => self.meta_job_failed(job, &number, e).await,
        }
    }

    pub(super) async fn sync_templates(&self, job: &Job) -> StoreResult<()> {
        let Some(number) = self.job_number(job).await? else {
            return Ok(());
        };
        let token = lease(job)?;
        let acct = &number.account;
        match self
            .inner
            .graph
            .list_templates(&acct.waba_id, &number.token)
            .await
        {
            Ok(list) => {
                let records = list
                    .into_iter()
                    .map(crate::graph::template_record)
                    .collect();
                self.inner
                    .store
                    .replace_templates(acct.org_id, acct.id, records)
                    .await?;
                self.inner.store.complete_job(job.id, token).await?;
                Ok(())
            }
            Err(e) => self.meta_job_failed(job, &number, e).await,
        }
    }

    pub(super) async fn sync_number(&self, job: &Job) -> StoreResult<()> {
        let Some(number) = self.job_number(job).await? else {
            return Ok(());
        };
        let token = lease(job)?;
        let acct = &number.account;
        match self
            .inner
            .graph
            .phone_number(&acct.phone_number_id, &number.token)
            .await
        {
            Ok(info) => {
                let record = crate::graph::number_health_record(&info);
                let store = &self.inner.store;
                store
                    .record_account_health(acct.org_id, acct.id, "number", record)
                    .await?;
                if acct.token_invalid() {
                    // Meta answered with this token: it works again.
                    let ok = json!({"status": "ok", "at": Utc::now()});
                    store
                        .record_account_health(acct.org_id, acct.id, "token", ok)
                        .await?;
                    self.forget_number(acct.id);
                }
                store.complete_job(job.id, token).await?;
                Ok(())
            }
            Err(e) => self.meta_job_failed(job, &number, e).await,
        }
    }
}

/// The number a Meta job (read receipt, template or number sync) is for.
fn job_account(job: &Job) -> Result<AccountId, String> {
    match job.kind.as_str() {
        READ_RECEIPT => job.args::<ReadReceipt>().map(|a| a.account_id),
        SYNC_TEMPLATES => job.args::<SyncTemplates>().map(|a| a.account_id),
        _ => job.args::<SyncNumber>().map(|a| a.account_id),
    }
}
