//! [`TemplateStore`]: the per-number cache of Meta's templates.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use wakit_core::{AccountId, OrgId};
use wakit_store::{StoreError, StoreResult, TemplateRecord, TemplateStore};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_json, get_opt_time, now, to_json, us};
use crate::shared::require_account;

/// Inserts or replaces one template row.
async fn put(
    conn: &mut SqliteConnection,
    org: OrgId,
    account: AccountId,
    t: &TemplateRecord,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO templates (organization_id, account_id, id, name, language, status, category, components, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, language = excluded.language, \
         status = excluded.status, category = excluded.category, components = excluded.components, \
         updated_at = excluded.updated_at",
    )
    .bind(org.to_string())
    .bind(account.to_string())
    .bind(&t.id)
    .bind(&t.name)
    .bind(&t.language)
    .bind(&t.status)
    .bind(&t.category)
    .bind(to_json(&t.components)?)
    .bind(us(at))
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

#[async_trait]
impl TemplateStore for SqliteStore {
    async fn replace_templates(
        &self,
        org: OrgId,
        account: AccountId,
        templates: Vec<TemplateRecord>,
    ) -> StoreResult<()> {
        let at = now();
        let mut tx = self.write_tx().await?;
        require_account(&mut *tx, org, account).await?;
        sqlx::query("DELETE FROM templates WHERE account_id = ?1")
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        for t in &templates {
            put(&mut tx, org, account, t, at).await?;
        }
        sqlx::query("UPDATE organizations_addresses SET templates_synced_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(us(at))
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()
    }

    async fn upsert_template(
        &self,
        org: OrgId,
        account: AccountId,
        template: TemplateRecord,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        require_account(&mut *tx, org, account).await?;
        put(&mut tx, org, account, &template, now()).await?;
        tx.commit().await.db()
    }

    async fn list_templates(
        &self,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<(Vec<TemplateRecord>, Option<DateTime<Utc>>)> {
        // One round trip: the number (NotFound when not the org's) joined to its templates.
        let rows = sqlx::query(
            "SELECT a.templates_synced_at, t.id, t.name, t.language, t.status, t.category, t.components \
             FROM organizations_addresses a LEFT JOIN templates t ON t.account_id = a.id \
             WHERE a.id = ?1 AND a.organization_id = ?2 ORDER BY t.name, t.language, t.id",
        )
        .bind(account.to_string())
        .bind(org.to_string())
        .fetch_all(self.reads())
        .await
        .db()?;
        let synced = rows.first().ok_or(StoreError::NotFound("account"))?;
        let synced = get_opt_time(synced, "templates_synced_at")?;
        let mut list = Vec::with_capacity(rows.len());
        for r in &rows {
            let Some(id) = get::<Option<String>>(r, "id")? else {
                continue;
            };
            list.push(TemplateRecord {
                id,
                name: get(r, "name")?,
                language: get(r, "language")?,
                status: get(r, "status")?,
                category: get(r, "category")?,
                components: get_json(r, "components")?,
            });
        }
        Ok((list, synced))
    }
}
