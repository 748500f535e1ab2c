//! Connected numbers (`organizations_addresses`) and their sealed access tokens.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::{PgConnection, Row};
use wakit_core::{AccountId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::{Account, AccountStore, NewAccount, StoreError, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::rows::{self, ACCOUNT_COLUMNS};

/// `NotFound("account")` unless `account` belongs to `org`.
pub(crate) async fn ensure_account(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM organizations_addresses WHERE id = $1 AND organization_id = $2")
        .bind(account.0)
        .bind(org.0)
        .fetch_optional(conn)
        .await
        .db()?
        .map(|_| ())
        .ok_or(StoreError::NotFound("account"))
}

#[async_trait]
impl AccountStore for PgStore {
    async fn add_account(&self, org: OrgId, account: NewAccount) -> StoreResult<Account> {
        let mut tx = self.tenant(org).await?;
        let id = AccountId::new();
        let row = sqlx::query(&format!(
            "INSERT INTO organizations_addresses \
               (id, organization_id, address, phone_number, verified_name, waba_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ACCOUNT_COLUMNS}"
        ))
        .bind(id.0)
        .bind(org.0)
        .bind(&account.phone_number_id)
        .bind(account.phone.digits())
        .bind(&account.name)
        .bind(&account.waba_id)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "INSERT INTO secrets (organization_id, owner_id, name, sealed) \
             VALUES ($1, $2, 'access_token', $3)",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(&account.access_token.0)
        .execute(&mut *tx)
        .await
        .db()?;
        let created = rows::account(&row)?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn list_accounts(&self, org: OrgId) -> StoreResult<Vec<Account>> {
        let mut tx = self.tenant(org).await?;
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses \
             WHERE organization_id = $1 ORDER BY created_at, id"
        ))
        .bind(org.0)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(rows::account)
        .collect()
    }

    async fn account_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Account>> {
        let mut tx = self.internal().await?;
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE address = $1"
        ))
        .bind(phone_number_id)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .as_ref()
        .map(rows::account)
        .transpose()
    }

    async fn account_token(&self, org: OrgId, account: AccountId) -> StoreResult<SealedSecret> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(
            "SELECT s.sealed FROM organizations_addresses a \
             JOIN secrets s ON s.owner_id = a.id AND s.name = 'access_token' \
             WHERE a.id = $1 AND a.organization_id = $2",
        )
        .bind(account.0)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("account"))?;
        Ok(SealedSecret(row.try_get("sealed").db()?))
    }

    async fn get_account(&self, org: OrgId, id: AccountId) -> StoreResult<Account> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE id = $1 AND organization_id = $2"
        ))
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("account"))?;
        rows::account(&row)
    }

    async fn accounts_by_waba(&self, waba_id: &str) -> StoreResult<Vec<Account>> {
        let mut tx = self.internal().await?;
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE waba_id = $1 ORDER BY created_at, id"
        ))
        .bind(waba_id)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(rows::account)
        .collect()
    }

    async fn set_account_max_mps(
        &self,
        org: OrgId,
        id: AccountId,
        max_mps: Option<u32>,
    ) -> StoreResult<Account> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "UPDATE organizations_addresses SET updated_at = now(), extra = CASE WHEN $3::bigint IS NULL \
               THEN extra - 'max_mps' ELSE extra || jsonb_build_object('max_mps', $3::bigint) END \
             WHERE id = $1 AND organization_id = $2 RETURNING {ACCOUNT_COLUMNS}"
        ))
        .bind(id.0)
        .bind(org.0)
        .bind(max_mps.map(i64::from))
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("account"))?;
        tx.commit().await.db()?;
        rows::account(&row)
    }

    async fn record_account_health(
        &self,
        org: OrgId,
        id: AccountId,
        topic: &str,
        record: Value,
    ) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let done = sqlx::query(
            "UPDATE organizations_addresses SET updated_at = now(), extra = jsonb_set(extra, '{health}', \
               COALESCE(extra->'health', '{}'::jsonb) || jsonb_build_object($3::text, $4::jsonb)) \
             WHERE id = $1 AND organization_id = $2",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(topic)
        .bind(record)
        .execute(&mut *tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        tx.commit().await.db()
    }

    async fn replace_account_token(
        &self,
        org: OrgId,
        id: AccountId,
        token: SealedSecret,
    ) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let done = sqlx::query(
            "UPDATE organizations_addresses SET updated_at = now(), \
               extra = jsonb_set(extra, '{health}', COALESCE(extra->'health', '{}'::jsonb) - 'token') \
             WHERE id = $1 AND organization_id = $2",
        )
        .bind(id.0)
        .bind(org.0)
        .execute(&mut *tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("account"));
        }
        sqlx::query(
            "UPDATE secrets SET sealed = $1, updated_at = now() WHERE owner_id = $2 AND name = 'access_token'",
        )
        .bind(&token.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()
    }
}
