//! API keys: hash and visible prefix only.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;
use wakit_core::{ApiKeyId, OrgId};
use wakit_store::secrets::KeyHash;
use wakit_store::{ApiKeyRecord, AuthContext, KeyStore, NewApiKey, StoreError, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::rows::{self, API_KEY_COLUMNS};
use crate::scope::{self, Scope};

#[async_trait]
impl KeyStore for PgStore {
    async fn create_api_key(&self, org: OrgId, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO api_keys (id, organization_id, name, role, key_hash, prefix) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(ApiKeyId::new().0)
        .bind(org.0)
        .bind(&key.name)
        .bind(key.role.as_str())
        .bind(&key.hash.0)
        .bind(&key.prefix)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        rows::api_key(&row)
    }

    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut tx = self.tenant(org).await?;
        sqlx::query(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id"
        ))
        .bind(org.0)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(rows::api_key)
        .collect()
    }

    async fn revoke_api_key(&self, org: Option<OrgId>, id: ApiKeyId) -> StoreResult<ApiKeyRecord> {
        let mut tx = scope::begin(&self.pool, org.map_or(Scope::Internal, Scope::Org)).await?;
        let row = sqlx::query(&format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()), updated_at = now() \
             WHERE id = $1 AND ($2::uuid IS NULL OR organization_id = $2) \
             RETURNING {API_KEY_COLUMNS}"
        ))
        .bind(id.0)
        .bind(org.map(|o| o.0))
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("api key"))?;
        tx.commit().await.db()?;
        rows::api_key(&row)
    }

    async fn authenticate(&self, hash: &KeyHash) -> StoreResult<Option<AuthContext>> {
        let mut tx = self.internal().await?;
        let Some(row) = sqlx::query(
            "SELECT id, organization_id, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(&hash.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        else {
            return Ok(None);
        };
        Ok(Some(AuthContext {
            org_id: OrgId(row.try_get::<Uuid, _>("organization_id").db()?),
            key_id: ApiKeyId(row.try_get::<Uuid, _>("id").db()?),
            role: rows::role(&row.try_get::<String, _>("role").db()?)?,
        }))
    }
}
