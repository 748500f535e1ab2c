//! [`AccountStore`]: connected numbers and their sealed tokens.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::SqliteConnection;
use wakit_core::{AccountId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::{
    Account, AccountStatus, AccountStore, ConflictKey, NewAccount, StoreError, StoreResult,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{ACCOUNT_COLUMNS, account, get, get_json, now, to_json, us};
use crate::shared::require_org;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn add_account(&self, org: OrgId, new: NewAccount) -> StoreResult<Account> {
        let at = now();
        let acc = Account {
            id: AccountId::new(),
            org_id: org,
            phone: new.phone,
            name: new.name,
            phone_number_id: new.phone_number_id,
            waba_id: new.waba_id,
            status: AccountStatus::Connected,
            created_at: at,
            max_mps: None,
            health: Default::default(),
        };
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        let taken = sqlx::query("SELECT 1 FROM organizations_addresses WHERE address = ?1")
            .bind(&acc.phone_number_id)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        if taken.is_some() {
            return Err(StoreError::Conflict(ConflictKey::PhoneNumberId));
        }
        sqlx::query(
            "INSERT INTO organizations_addresses (id, organization_id, address, phone_number, verified_name, \
             waba_id, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        )
        .bind(acc.id.to_string())
        .bind(org.to_string())
        .bind(&acc.phone_number_id)
        .bind(acc.phone.digits())
        .bind(&acc.name)
        .bind(&acc.waba_id)
        .bind(acc.status.as_str())
        .bind(us(at))
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "INSERT INTO secrets (organization_id, owner_id, name, sealed, created_at, updated_at) \
             VALUES (?1, ?2, 'access_token', ?3, ?4, ?4)",
        )
        .bind(org.to_string())
        .bind(acc.id.to_string())
        .bind(&new.access_token.0)
        .bind(us(at))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(acc)
    }

    async fn list_accounts(&self, org: OrgId) -> StoreResult<Vec<Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE organization_id = ?1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(self.reads())
            .await
            .db()?;
        rows.iter().map(account).collect()
    }

    async fn account_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Account>> {
        let sql =
            format!("SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE address = ?1");
        let row = sqlx::query(&sql)
            .bind(phone_number_id)
            .fetch_optional(self.reads())
            .await
            .db()?;
        row.as_ref().map(account).transpose()
    }

    async fn account_token(&self, org: OrgId, account: AccountId) -> StoreResult<SealedSecret> {
        let row = sqlx::query(
            "SELECT s.sealed FROM organizations_addresses a \
             JOIN secrets s ON s.owner_id = a.id AND s.name = 'access_token' \
             WHERE a.id = ?1 AND a.organization_id = ?2",
        )
        .bind(account.to_string())
        .bind(org.to_string())
        .fetch_optional(self.reads())
        .await
        .db()?
        .ok_or(StoreError::NotFound("account"))?;
        Ok(SealedSecret(get(&row, "sealed")?))
    }

    async fn get_account(&self, org: OrgId, id: AccountId) -> StoreResult<Account> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE id = ?1 AND organization_id = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(org.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("account"))?;
        account(&row)
    }

    async fn accounts_by_waba(&self, waba_id: &str) -> StoreResult<Vec<Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM organizations_addresses WHERE waba_id = ?1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(waba_id)
            .fetch_all(self.reads())
            .await
            .db()?;
        rows.iter().map(account).collect()
    }

    async fn set_account_max_mps(
        &self,
        org: OrgId,
        id: AccountId,
        max_mps: Option<u32>,
    ) -> StoreResult<Account> {
        let mut tx = self.write_tx().await?;
        let mut extra = load_extra(&mut tx, org, id).await?;
        match max_mps {
            Some(v) => extra["max_mps"] = Value::from(v),
            None => {
                if let Some(m) = extra.as_object_mut() {
                    m.remove("max_mps");
                }
            }
        }
        save_extra(&mut tx, id, &extra).await?;
        tx.commit().await.db()?;
        self.get_account(org, id).await
    }

    async fn record_account_health(
        &self,
        org: OrgId,
        id: AccountId,
        topic: &str,
        record: Value,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let mut extra = load_extra(&mut tx, org, id).await?;
        if !extra["health"].is_object() {
            extra["health"] = Value::Object(Default::default());
        }
        extra["health"][topic] = record;
        save_extra(&mut tx, id, &extra).await?;
        tx.commit().await.db()
    }

    async fn replace_account_token(
        &self,
        org: OrgId,
        id: AccountId,
        token: SealedSecret,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let mut extra = load_extra(&mut tx, org, id).await?;
        if let Some(h) = extra.get_mut("health").and_then(Value::as_object_mut) {
            h.remove("token");
        }
        save_extra(&mut tx, id, &extra).await?;
        sqlx::query("UPDATE secrets SET sealed = ?1, updated_at = ?2 WHERE owner_id = ?3 AND name = 'access_token'")
            .bind(&token.0)
            .bind(us(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()
    }
}

/// The number's `extra` JSON (always an object), inside the writer's transaction.
async fn load_extra(conn: &mut SqliteConnection, org: OrgId, id: AccountId) -> StoreResult<Value> {
    let row = sqlx::query(
        "SELECT extra FROM organizations_addresses WHERE id = ?1 AND organization_id = ?2",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await
    .db()?
    .ok_or(StoreError::NotFound("account"))?;
    let extra: Value = get_json(&row, "extra")?;
    Ok(if extra.is_object() {
        extra
    } else {
        Value::Object(Default::default())
    })
}

async fn save_extra(conn: &mut SqliteConnection, id: AccountId, extra: &Value) -> StoreResult<()> {
    sqlx::query("UPDATE organizations_addresses SET extra = ?1, updated_at = ?2 WHERE id = ?3")
        .bind(to_json(extra)?)
        .bind(us(now()))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}
