//! Small pieces of talking to Meta that the API and the workers share.

use serde_json::Value;
use wakit_store::secrets::SecretBox;
use wakit_store::{Account, Store, StoreError, StoreResult, TemplateRecord};

/// Opens the number's sealed access token.
pub async fn open_token(
    store: &dyn Store,
    secrets: &SecretBox,
    account: &Account,
) -> StoreResult<String> {
    let sealed = store.account_token(account.org_id, account.id).await?;
    secrets
        .open(&sealed, &account.phone_number_id)
        .map_err(|e| StoreError::other(format!("cannot open the number's token: {e}")))
}

/// A template from Meta as the cache stores it.
pub fn template_record(t: wakit_meta::Template) -> TemplateRecord {
    TemplateRecord {
        id: t.id,
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category,
        components: Value::Array(t.components),
    }
}

/// What Meta said about a number, as recorded under its `number` health topic.
pub fn number_health_record(info: &wakit_meta::NumberInfo) -> Value {
    serde_json::json!({
        "quality_rating": info.quality_rating,
        "messaging_limit": info.messaging_limit,
        "throughput": info.throughput,
        "status": info.status,
        "health_status": info.health_status,
        "at": chrono::Utc::now(),
    })
}
