//! [`MediaStore`]: the `media` rows (migration 0015) and the file part of a message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use wakit_core::content::FileRef;
use wakit_core::{AccountId, MediaId, MessageContent, MessageId, OrgId};
use wakit_store::media::with_file;
use wakit_store::{MediaRecord, MediaStore, NewMedia, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{
    get, get_json, get_opt_time, get_opt_uuid, get_time, get_uuid, now, to_json, us,
};
use crate::shared::{changed, event_sql, require_org};

const COLUMNS: &str = "id, organization_id, sha256, size, mime_type, filename, storage_key, \
     message_id, meta_media_id, meta_account_id, meta_expires_at, created_at";

fn record(row: &SqliteRow) -> StoreResult<MediaRecord> {
    let size: i64 = get(row, "size")?;
    Ok(MediaRecord {
        id: MediaId(get_uuid(row, "id")?),
        org_id: OrgId(get_uuid(row, "organization_id")?),
        file: NewMedia {
            sha256: get(row, "sha256")?,
            size: u64::try_from(size).unwrap_or(0),
            mime_type: get(row, "mime_type")?,
            filename: get(row, "filename")?,
            storage_key: get(row, "storage_key")?,
            message_id: get_opt_uuid(row, "message_id")?.map(MessageId),
        },
        meta_media_id: get(row, "meta_media_id")?,
        meta_account_id: get_opt_uuid(row, "meta_account_id")?.map(AccountId),
        meta_expires_at: get_opt_time(row, "meta_expires_at")?,
        created_at: get_time(row, "created_at")?,
    })
}

#[async_trait]
impl MediaStore for SqliteStore {
    async fn insert_media(&self, org: OrgId, new: NewMedia) -> StoreResult<MediaRecord> {
        let id = MediaId::new();
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO media (id, organization_id, sha256, size, mime_type, filename, \
             storage_key, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING {COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(&new.sha256)
        .bind(i64::try_from(new.size).unwrap_or(i64::MAX))
        .bind(&new.mime_type)
        .bind(&new.filename)
        .bind(&new.storage_key)
        .bind(new.message_id.map(|m| m.to_string()))
        .bind(us(now()))
        .fetch_one(&mut *tx)
        .await
        .db()?;
        let rec = record(&row)?;
        tx.commit().await.db()?;
        Ok(rec)
    }

    async fn get_media(&self, org: OrgId, id: MediaId) -> StoreResult<MediaRecord> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media WHERE organization_id = ? AND id = ?"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(self.reads())
        .await
        .db()?
        .ok_or(StoreError::NotFound("media"))?;
        record(&row)
    }

    async fn set_message_file(
        &self,
        org: OrgId,
        message: MessageId,
        file: FileRef,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT content FROM messages WHERE organization_id = ? AND id = ?")
            .bind(org.to_string())
            .bind(message.to_string())
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound("message"))?;
        let content: MessageContent = get_json(&row, "content")?;
        let content = with_file(content, file)?;
        let at = us(now());
        sqlx::query(&format!(
            "UPDATE messages SET content = ?, updated_at = ? WHERE organization_id = ? AND id = ?; {}",
            event_sql("messages", "update")
        ))
        .bind(to_json(&content)?)
        .bind(at)
        .bind(org.to_string())
        .bind(message.to_string())
        .bind(org.to_string())
        .bind(message.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()
    }

    async fn cache_meta_media(
        &self,
        org: OrgId,
        id: MediaId,
        account: AccountId,
        meta_media_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE media SET meta_media_id = ?, meta_account_id = ?, meta_expires_at = ? \
             WHERE organization_id = ? AND id = ?",
        )
        .bind(meta_media_id)
        .bind(account.to_string())
        .bind(us(expires_at))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        if !changed(&done) {
            return Err(StoreError::NotFound("media"));
        }
        tx.commit().await.db()
    }
}
