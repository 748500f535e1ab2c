//! [`MediaStore`]: the `media` rows (migration 0015) and the file part of a message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use wakit_core::content::FileRef;
use wakit_core::{AccountId, MediaId, MessageContent, MessageId, OrgId};
use wakit_store::media::with_file;
use wakit_store::{MediaRecord, MediaStore, NewMedia, StoreError, StoreResult};

use crate::PgStore;
use crate::conversations::append_event;
use crate::error::DbResultExt;

const COLUMNS: &str = "id, organization_id, sha256, size, mime_type, filename, storage_key, \
     message_id, meta_media_id, meta_account_id, meta_expires_at, created_at";

fn record(row: &PgRow) -> StoreResult<MediaRecord> {
    let size: i64 = row.try_get("size").db()?;
    Ok(MediaRecord {
        id: MediaId(row.try_get("id").db()?),
        org_id: OrgId(row.try_get("organization_id").db()?),
        file: NewMedia {
            sha256: row.try_get("sha256").db()?,
            size: u64::try_from(size).unwrap_or(0),
            mime_type: row.try_get("mime_type").db()?,
            filename: row.try_get("filename").db()?,
            storage_key: row.try_get("storage_key").db()?,
            message_id: row
                .try_get::<Option<uuid::Uuid>, _>("message_id")
                .db()?
                .map(MessageId),
        },
        meta_media_id: row.try_get("meta_media_id").db()?,
        meta_account_id: row
            .try_get::<Option<uuid::Uuid>, _>("meta_account_id")
            .db()?
            .map(AccountId),
        meta_expires_at: row.try_get("meta_expires_at").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

#[async_trait]
impl MediaStore for PgStore {
    async fn insert_media(&self, org: OrgId, new: NewMedia) -> StoreResult<MediaRecord> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO media (id, organization_id, sha256, size, mime_type, filename, \
             storage_key, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {COLUMNS}"
        ))
        .bind(MediaId::new().0)
        .bind(org.0)
        .bind(&new.sha256)
        .bind(i64::try_from(new.size).unwrap_or(i64::MAX))
        .bind(&new.mime_type)
        .bind(&new.filename)
        .bind(&new.storage_key)
        .bind(new.message_id.map(|m| m.0))
        .fetch_one(&mut *tx)
        .await
        .db()?;
        let rec = record(&row)?;
        tx.commit().await.db()?;
        Ok(rec)
    }

    async fn get_media(&self, org: OrgId, id: MediaId) -> StoreResult<MediaRecord> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(&mut *tx)
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
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(
            "SELECT content FROM messages WHERE organization_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(org.0)
        .bind(message.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("message"))?;
        let Json(content): Json<MessageContent> = row.try_get("content").db()?;
        let content = with_file(content, file)?;
        sqlx::query(
            "UPDATE messages SET content = $3, updated_at = now() \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(message.0)
        .bind(Json(&content))
        .execute(&mut *tx)
        .await
        .db()?;
        append_event(&mut tx, org, "messages", "update", message.0).await?;
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
        let mut tx = self.tenant(org).await?;
        let done = sqlx::query(
            "UPDATE media SET meta_media_id = $3, meta_account_id = $4, meta_expires_at = $5 \
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(meta_media_id)
        .bind(account.0)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("media"));
        }
        tx.commit().await.db()
    }
}
