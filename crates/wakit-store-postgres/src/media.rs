//! [`MediaStore`]: the `media` rows (migration 0015) and the file part of a message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use wakit_core::content::FileRef;
use wakit_core::{AccountId, MediaId, MessageContent, MessageId, OrgId};
use wakit_store::media::{expired_file, names_media, unique_keys, with_file};
use wakit_store::{ExpiredMedia, MediaRecord, MediaStore, NewMedia, StoreError, StoreResult};

use crate::PgStore;
use crate::conversations::append_event;
use crate::error::DbResultExt;
use crate::scope::Tx;

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
        let content = content_of(&mut tx, org, message)
            .await?
            .ok_or(StoreError::NotFound("message"))?;
        set_file_in(&mut tx, org, message, with_file(content, file)?).await?;
        tx.commit().await.db()
    }

    async fn expire_media(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<ExpiredMedia> {
        // Every organization's files: the cross-tenant internal scope. Rows another
        // pruner holds are skipped, not waited for.
        let mut tx = self.internal().await?;
        let rows = sqlx::query(&format!(
            "DELETE FROM media WHERE id IN (SELECT id FROM media WHERE created_at < $1 \
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let expired = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
        for m in &expired {
            let Some(message) = m.file.message_id else {
                continue;
            };
            let Some(content) = content_of(&mut tx, m.org_id, message).await? else {
                continue;
            };
            if let Some(file) = names_media(&content, m.id) {
                let content = with_file(content, expired_file(file))?;
                set_file_in(&mut tx, m.org_id, message, content).await?;
            }
        }
        let keys = unique_keys(&expired);
        let named: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT storage_key FROM media WHERE storage_key = ANY($1)",
        )
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(ExpiredMedia {
            rows: expired.len(),
            unnamed: keys.into_iter().filter(|k| !named.contains(k)).collect(),
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

/// The content of the org's message `message`, locked for the update that follows.
async fn content_of(
    tx: &mut Tx,
    org: OrgId,
    message: MessageId,
) -> StoreResult<Option<MessageContent>> {
    let row = sqlx::query(
        "SELECT content FROM messages WHERE organization_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(org.0)
    .bind(message.0)
    .fetch_optional(&mut **tx)
    .await
    .db()?;
    row.map(|r| {
        r.try_get::<Json<MessageContent>, _>("content")
            .db()
            .map(|Json(c)| c)
    })
    .transpose()
}

/// Stores `content` as the org's message `message` and records the event.
async fn set_file_in(
    tx: &mut Tx,
    org: OrgId,
    message: MessageId,
    content: MessageContent,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE messages SET content = $3, updated_at = now() \
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(message.0)
    .bind(Json(&content))
    .execute(&mut **tx)
    .await
    .db()?;
    append_event(tx, org, "messages", "update", message.0).await
}
