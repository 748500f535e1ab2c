//! Organizations.

use async_trait::async_trait;
use wakit_core::OrgId;
use wakit_store::{Org, OrgStore, StoreError, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::rows;

#[async_trait]
impl OrgStore for PgStore {
    /// Scoped to the new organization: its id is chosen here.
    async fn create_org(&self, name: &str, timezone: &str) -> StoreResult<Org> {
        let id = OrgId::new();
        let mut tx = self.tenant(id).await?;
        let org = insert_org(&mut tx, id, name, timezone).await?;
        tx.commit().await.db()?;
        Ok(org)
    }

    async fn get_org(&self, org: OrgId) -> StoreResult<Org> {
        let mut tx = self.tenant(org).await?;
        let row =
            sqlx::query("SELECT id, name, timezone, created_at FROM organizations WHERE id = $1")
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await
                .db()?
                .ok_or(StoreError::NotFound("organization"))?;
        rows::org(&row)
    }
}

/// Inserts organization `id` (also used when a user creates one with its owner).
pub(crate) async fn insert_org(
    conn: &mut sqlx::PgConnection,
    id: OrgId,
    name: &str,
    timezone: &str,
) -> StoreResult<Org> {
    let row = sqlx::query(
        "INSERT INTO organizations (id, name, timezone) VALUES ($1, $2, $3) \
         RETURNING id, name, timezone, created_at",
    )
    .bind(id.0)
    .bind(name)
    .bind(timezone)
    .fetch_one(conn)
    .await
    .db()?;
    rows::org(&row)
}
