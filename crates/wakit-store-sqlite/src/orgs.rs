//! [`OrgStore`]: organizations.

use async_trait::async_trait;
use wakit_core::OrgId;
use wakit_store::{Org, OrgStore, StoreError, StoreResult};

use sqlx::{Sqlite, Transaction};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_time, now, us};

#[async_trait]
impl OrgStore for SqliteStore {
    async fn create_org(&self, name: &str, timezone: &str) -> StoreResult<Org> {
        let mut tx = self.write_tx().await?;
        let org = insert_org(&mut tx, name, timezone).await?;
        tx.commit().await.db()?;
        Ok(org)
    }

    async fn get_org(&self, org: OrgId) -> StoreResult<Org> {
        let row = sqlx::query("SELECT name, timezone, created_at FROM organizations WHERE id = ?1")
            .bind(org.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("organization"))?;
        Ok(Org {
            id: org,
            name: get(&row, "name")?,
            timezone: get(&row, "timezone")?,
            created_at: get_time(&row, "created_at")?,
        })
    }
}

/// Inserts an organization in `tx` (also used when a user creates one with its owner).
pub(crate) async fn insert_org(
    tx: &mut Transaction<'static, Sqlite>,
    name: &str,
    timezone: &str,
) -> StoreResult<Org> {
    let org = Org {
        id: OrgId::new(),
        name: name.to_string(),
        timezone: timezone.to_string(),
        created_at: now(),
    };
    sqlx::query(
        "INSERT INTO organizations (id, name, timezone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )
    .bind(org.id.to_string())
    .bind(&org.name)
    .bind(&org.timezone)
    .bind(us(org.created_at))
    .execute(&mut **tx)
    .await
    .db()?;
    Ok(org)
}
