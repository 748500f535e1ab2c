//! The per-number cache of Meta's templates.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use wakit_core::{AccountId, OrgId};
use wakit_store::{StoreError, StoreResult, TemplateRecord, TemplateStore};

use crate::PgStore;
use crate::accounts::ensure_account;
use crate::error::DbResultExt;
use crate::rows;

/// Insert-or-update of one template; `$1` org, `$2` account.
const UPSERT: &str = "INSERT INTO templates \
       (organization_id, account_id, id, name, language, status, category, components) \
     SELECT $1, $2, t.id, t.name, t.language, t.status, t.category, t.components \
     FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[]) \
       AS t(id, name, language, status, category, components) \
     ON CONFLICT (account_id, id) DO UPDATE SET name = EXCLUDED.name, language = EXCLUDED.language, \
       status = EXCLUDED.status, category = EXCLUDED.category, components = EXCLUDED.components, \
       updated_at = now()";

async fn upsert_all(
    conn: &mut sqlx::PgConnection,
    org: OrgId,
    account: AccountId,
    templates: &[TemplateRecord],
) -> StoreResult<()> {
    let col = |f: fn(&TemplateRecord) -> &String| {
        templates.iter().map(f).cloned().collect::<Vec<String>>()
    };
    let components: Vec<Value> = templates.iter().map(|t| t.components.clone()).collect();
    sqlx::query(UPSERT)
        .bind(org.0)
        .bind(account.0)
        .bind(col(|t| &t.id))
        .bind(col(|t| &t.name))
        .bind(col(|t| &t.language))
        .bind(col(|t| &t.status))
        .bind(col(|t| &t.category))
        .bind(components)
        .execute(conn)
        .await
        .db()
        .map(|_| ())
}

#[async_trait]
impl TemplateStore for PgStore {
    async fn replace_templates(
        &self,
        org: OrgId,
        account: AccountId,
        templates: Vec<TemplateRecord>,
    ) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        // Lock the number's row so concurrent replaces of one number serialize.
        let locked = sqlx::query(
            "UPDATE organizations_addresses SET templates_synced_at = now(), updated_at = now() \
             WHERE id = $1 AND organization_id = $2",
        )
        .bind(account.0)
        .bind(org.0)
        .execute(&mut *tx)
        .await
        .db()?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        sqlx::query("DELETE FROM templates WHERE account_id = $1 AND organization_id = $2")
            .bind(account.0)
            .bind(org.0)
            .execute(&mut *tx)
            .await
            .db()?;
        upsert_all(&mut tx, org, account, &templates).await?;
        tx.commit().await.db()
    }

    async fn upsert_template(
        &self,
        org: OrgId,
        account: AccountId,
        template: TemplateRecord,
    ) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        ensure_account(&mut tx, org, account).await?;
        upsert_all(&mut tx, org, account, std::slice::from_ref(&template)).await?;
        tx.commit().await.db()
    }

    async fn list_templates(
        &self,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<(Vec<TemplateRecord>, Option<DateTime<Utc>>)> {
        let mut tx = self.tenant(org).await?;
        let synced = sqlx::query(
            "SELECT templates_synced_at FROM organizations_addresses WHERE id = $1 AND organization_id = $2",
        )
        .bind(account.0)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("account"))?;
        let synced: Option<DateTime<Utc>> = synced.try_get("templates_synced_at").db()?;
        let list = sqlx::query(
            "SELECT id, name, language, status, category, components FROM templates \
             WHERE account_id = $1 AND organization_id = $2 ORDER BY name, language",
        )
        .bind(account.0)
        .bind(org.0)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(rows::template)
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await.db()?;
        Ok((list, synced))
    }
}
