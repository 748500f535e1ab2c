//! Webhook events beyond messages: status reconciliation of interrupted sends, template
//! status changes, number quality/limit/account updates and out-of-band errors.

use chrono::Utc;
use serde_json::{Value, json};
use wakit_core::{MessageId, OrgId};
use wakit_store::{
    Account, JobArgs, Priority, StatusOutcome, StatusUpdate, Store, StoreError, StoreResult,
    SyncTemplates,
};

/// Applies a status, then [`reconcile`]s it if it was deferred.
pub async fn apply_status(
    store: &dyn Store,
    org: OrgId,
    update: StatusUpdate,
    biz_opaque: Option<&str>,
) -> StoreResult<StatusOutcome> {
    match store.apply_status(org, update.clone()).await? {
        StatusOutcome::Deferred => reconcile(store, org, &update, biz_opaque).await,
        outcome => Ok(outcome),
    }
}

/// A status came back `Deferred` (no message has its wamid yet): when Meta echoed the
/// message id wakit put in `biz_opaque_callback_data`, the send's wamid is recorded now
/// (an attempt that was interrupted before Meta's answer was stored), which applies the
/// deferred status along with any others kept for the wamid — so a message that was
/// sent is never sent again nor marked failed for nothing. Otherwise the status stays
/// deferred (`Deferred` is returned).
pub async fn reconcile(
    store: &dyn Store,
    org: OrgId,
    update: &StatusUpdate,
    biz_opaque: Option<&str>,
) -> StoreResult<StatusOutcome> {
    let Some(id) = biz_opaque.and_then(|s| s.parse::<uuid::Uuid>().ok()) else {
        return Ok(StatusOutcome::Deferred);
    };
    let message = match store.get_message(org, MessageId::from(id)).await {
        Ok(m) if m.account_id == update.account_id && m.external_id.is_none() => m,
        Ok(_) | Err(StoreError::NotFound(_)) => return Ok(StatusOutcome::Deferred),
        Err(e) => return Err(e),
    };
    tracing::info!(message = %message.id, wamid = %update.wamid, "interrupted send reconciled from Meta's status webhook");
    store
        .mark_sent(org, message.id, &update.wamid, update.at)
        .await
}

/// A template changed status: refresh the cache of every number of the WABA.
pub async fn template_changed(store: &dyn Store, waba_id: &str) -> StoreResult<usize> {
    let accounts = store.accounts_by_waba(waba_id).await?;
    for account in &accounts {
        store
            .enqueue_job(
                SyncTemplates {
                    account_id: account.id,
                }
                .job(
                    Some(account.org_id),
                    Utc::now(),
                    Priority::Interactive.value(),
                ),
            )
            .await?;
    }
    Ok(accounts.len())
}

/// A number event (`phone_number_quality_update`, `account_update`, ...) recorded under
/// its field name against the WABA's numbers (only the one with that display number,
/// when Meta names it).
pub async fn number_update(
    store: &dyn Store,
    waba_id: &str,
    display_phone_number: Option<&str>,
    field: &str,
    value: &Value,
) -> StoreResult<usize> {
    let digits: Option<String> =
        display_phone_number.map(|d| d.chars().filter(char::is_ascii_digit).collect());
    let mut n = 0;
    for account in store.accounts_by_waba(waba_id).await? {
        if let Some(d) = &digits
            && account.phone.digits() != d.as_str()
        {
            continue;
        }
        let record = json!({ "value": value, "at": Utc::now() });
        store
            .record_account_health(account.org_id, account.id, field, record)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// Out-of-band errors (`value.errors`) recorded against the number.
pub async fn errors(store: &dyn Store, account: &Account, errors: &Value) -> StoreResult<()> {
    let record = json!({ "errors": errors, "at": Utc::now() });
    store
        .record_account_health(account.org_id, account.id, "errors", record)
        .await
}
