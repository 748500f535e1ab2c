//! [`KeyStore`]: API keys, stored as hash + prefix.

use async_trait::async_trait;
use wakit_core::{ApiKeyId, OrgId, Role};
use wakit_store::secrets::KeyHash;
use wakit_store::{ApiKeyRecord, AuthContext, KeyStore, NewApiKey, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::{DbResultExt, corrupt};
use crate::rows::{KEY_COLUMNS, api_key, get, get_uuid, now, us};
use crate::shared::require_org;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_api_key(&self, org: OrgId, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        let rec = ApiKeyRecord {
            id: ApiKeyId::new(),
            org_id: org,
            name: key.name,
            role: key.role,
            prefix: key.prefix,
            created_at: now(),
            revoked_at: None,
        };
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        sqlx::query(
            "INSERT INTO api_keys (id, organization_id, name, role, key_hash, prefix, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .bind(rec.id.to_string())
        .bind(org.to_string())
        .bind(&rec.name)
        .bind(rec.role.as_str())
        .bind(&key.hash.0)
        .bind(&rec.prefix)
        .bind(us(rec.created_at))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(rec)
    }

    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKeyRecord>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE organization_id = ?1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(self.reads())
            .await
            .db()?;
        rows.iter().map(api_key).collect()
    }

    async fn revoke_api_key(&self, org: Option<OrgId>, id: ApiKeyId) -> StoreResult<ApiKeyRecord> {
        let at = us(now());
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1), updated_at = ?1 \
             WHERE id = ?2 AND (?3 IS NULL OR organization_id = ?3) RETURNING {KEY_COLUMNS}"
        );
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&sql)
            .bind(at)
            .bind(id.to_string())
            .bind(org.map(|o| o.to_string()))
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound("api key"))?;
        let rec = api_key(&row)?;
        tx.commit().await.db()?;
        Ok(rec)
    }

    async fn authenticate(&self, hash: &KeyHash) -> StoreResult<Option<AuthContext>> {
        let row = sqlx::query(
            "SELECT id, organization_id, role FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(&hash.0)
        .fetch_optional(self.reads())
        .await
        .db()?;
        let Some(row) = row else { return Ok(None) };
        let role: String = get(&row, "role")?;
        Ok(Some(AuthContext {
            org_id: get_uuid(&row, "organization_id")?.into(),
            key_id: get_uuid(&row, "id")?.into(),
            role: role.parse::<Role>().map_err(|e| corrupt("role", e))?,
        }))
    }
}
