//! [`MediaStore`]: the `media` rows (migration 0015) and the file part of a message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use wakit_core::content::FileRef;
use wakit_core::{AccountId, MediaId, MessageContent, MessageId, OrgId};
use wakit_store::media::{expired_file, names_media, unique_keys, with_file};
use wakit_store::{ExpiredMedia, MediaRecord, MediaStore, NewMedia, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::people_rows::Tx;
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
        set_file_in(&mut tx, org, message, file).await?;
        tx.commit().await.db()
    }

    async fn expire_media(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<ExpiredMedia> {
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media WHERE created_at < ? ORDER BY created_at LIMIT ?"
        ))
        .bind(us(before))
        .bind(crate::shared::limit(limit))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let expired = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
        for m in &expired {
            sqlx::query("DELETE FROM media WHERE id = ?")
                .bind(m.id.to_string())
                .execute(&mut *tx)
                .await
                .db()?;
            if let Some(message) = m.file.message_id {
                expire_part(&mut tx, m, message).await?;
            }
        }
        let mut gone = Vec::new();
        for key in unique_keys(&expired) {
            let named: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM media WHERE storage_key = ? LIMIT 1")
                    .bind(&key)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
            if named.is_none() {
                gone.push(key);
            }
        }
        tx.commit().await.db()?;
        Ok(ExpiredMedia {
            rows: expired.len(),
            unnamed: gone,
        })
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

/// Marks the part of `message` that names `m` expired (a message whose part names
/// another file, or that is gone, is left alone).
async fn expire_part(tx: &mut Tx, m: &MediaRecord, message: MessageId) -> StoreResult<()> {
    let row = sqlx::query("SELECT content FROM messages WHERE organization_id = ? AND id = ?")
        .bind(m.org_id.to_string())
        .bind(message.to_string())
        .fetch_optional(&mut **tx)
        .await
        .db()?;
    let Some(row) = row else { return Ok(()) };
    let content: MessageContent = get_json(&row, "content")?;
    match names_media(&content, m.id) {
        Some(file) => set_file_in(tx, m.org_id, message, expired_file(file)).await,
        None => Ok(()),
    }
}

/// Replaces the file part of the org's message `message` and records the event.
async fn set_file_in(
    tx: &mut Tx,
    org: OrgId,
    message: MessageId,
    file: FileRef,
) -> StoreResult<()> {
    let row = sqlx::query("SELECT content FROM messages WHERE organization_id = ? AND id = ?")
        .bind(org.to_string())
        .bind(message.to_string())
        .fetch_optional(&mut **tx)
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
    .execute(&mut **tx)
    .await
    .db()
    .map(drop)
}
