//! [`InboxStore`]: raw webhook bodies, stored with their processing job in one
//! transaction before Meta is answered.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;
use wakit_core::JobId;
use wakit_store::{
    InboxItem, InboxOutcome, InboxStore, NewInboxItem, PROCESS_WEBHOOK, Priority, ProcessWebhook,
    StoreError, StoreResult, body_digest,
};

use crate::SqliteStore;
use crate::error::{DbResultExt, corrupt};
use crate::rows::{get, get_time, get_uuid, now, to_json, us};
use crate::shared::changed;

/// Rows per multi-row INSERT: 4 parameters each, far below SQLite's 32766-parameter limit.
const INSERT_ROWS: usize = 256;

const INBOX_COLUMNS: &str = "id, received_at, body, signature, state, attempts, last_error";

/// Inserts one pending row inside the caller's write transaction; `false` (nothing
/// written) when the same body is stored already.
async fn insert_item(conn: &mut SqliteConnection, item: &InboxItem) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_inbox (id, received_at, body, signature, state, attempts, body_sha256) \
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5) \
         ON CONFLICT (body_sha256) WHERE body_sha256 IS NOT NULL DO NOTHING",
    )
    .bind(item.id.to_string())
    .bind(us(item.received_at))
    .bind(&item.body)
    .bind(item.signature.as_deref())
    .bind(body_digest(&item.body))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(changed(&done))
}

/// The stored ids of bodies with these digests.
async fn stored_ids(
    conn: &mut SqliteConnection,
    digests: &[String],
) -> StoreResult<HashMap<String, Uuid>> {
    let rows = sqlx::query(
        "SELECT body_sha256, id FROM webhook_inbox \
         WHERE body_sha256 IN (SELECT value FROM json_each(?1))",
    )
    .bind(to_json(&digests)?)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    rows.iter()
        .map(|row| Ok((get(row, "body_sha256")?, get_uuid(row, "id")?)))
        .collect()
}

/// A new item for `item` (not yet stored).
fn pending(item: NewInboxItem) -> StoreResult<InboxItem> {
    Ok(InboxItem {
        id: Uuid::now_v7(),
        body: item.body,
        signature: item.signature,
        received_at: crate::rows::time(us(item.received_at))?,
        state: "pending".into(),
        attempts: 0,
        last_error: None,
    })
}

/// Gives the items whose bodies were stored before (replays) the stored ids.
async fn point_replays_at_stored(
    conn: &mut SqliteConnection,
    items: &mut [InboxItem],
    inserted: &HashSet<Uuid>,
) -> StoreResult<()> {
    let replays: Vec<String> = items
        .iter()
        .filter(|i| !inserted.contains(&i.id))
        .map(|i| body_digest(&i.body))
        .collect();
    if replays.is_empty() {
        return Ok(());
    }
    let ids = stored_ids(conn, &replays).await?;
    for item in items.iter_mut().filter(|i| !inserted.contains(&i.id)) {
        if let Some(id) = ids.get(&body_digest(&item.body)) {
            item.id = *id;
        }
    }
    Ok(())
}

/// Queues the `process_webhook` job for stored rows inside the caller's transaction.
/// Queues the processing of these new inbox rows.
async fn insert_job(conn: &mut SqliteConnection, ids: Vec<Uuid>, at: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at, created_at, updated_at) \
         VALUES (?1, NULL, ?2, ?3, 'queued', ?4, 0, ?5, ?5, ?5)",
    )
    .bind(JobId::new().to_string())
    .bind(PROCESS_WEBHOOK)
    .bind(to_json(&ProcessWebhook::of(ids))?)
    .bind(Priority::Interactive.value())
    .bind(at)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

fn read_item(row: &SqliteRow) -> StoreResult<InboxItem> {
    Ok(InboxItem {
        id: get_uuid(row, "id")?,
        body: row.try_get("body").db()?,
        signature: get(row, "signature")?,
        received_at: get_time(row, "received_at")?,
        state: get(row, "state")?,
        attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(0),
        last_error: get(row, "last_error")?,
    })
}

/// Records one outcome inside the caller's write transaction; false for an unknown id.
async fn finish_in(
    conn: &mut SqliteConnection,
    id: Uuid,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_inbox SET attempts = attempts + 1, \
           state = CASE WHEN ?2 IS NULL THEN 'done' ELSE 'failed' END, \
           last_error = ?2, processed_at = CASE WHEN ?2 IS NULL THEN ?3 ELSE processed_at END \
         WHERE id = ?1",
    )
    .bind(id.to_string())
    .bind(error)
    .bind(us(at))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(changed(&done))
}

impl SqliteStore {
    /// Queues the oldest `limit` bodies in `state` for processing again (one job) and
    /// marks them pending.
    async fn retry_state(&self, state: &str, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        let mut tx = self.write_tx().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM webhook_inbox WHERE state = ?1 ORDER BY received_at LIMIT ?2",
        )
        .bind(state)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if ids.is_empty() {
            return Ok(0);
        }
        sqlx::query(
            "UPDATE webhook_inbox SET state = 'pending' \
             WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(to_json(&ids)?)
        .execute(&mut *tx)
        .await
        .db()?;
        let count = ids.len();
        let ids = ids
            .iter()
            .map(|id| id.parse().map_err(|e| corrupt("inbox id", e)))
            .collect::<StoreResult<Vec<Uuid>>>()?;
        insert_job(&mut tx, ids, us(at)).await?;
        tx.commit().await.db()?;
        Ok(count)
    }
}

#[async_trait]
impl InboxStore for SqliteStore {
    async fn inbox_put(
        &self,
        body: &[u8],
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<InboxItem> {
        let mut item = pending(NewInboxItem {
            body: body.to_vec(),
            signature: signature.map(str::to_owned),
            received_at,
        })?;
        let mut tx = self.write_tx().await?;
        if insert_item(&mut tx, &item).await? {
            insert_job(&mut tx, vec![item.id], us(received_at)).await?;
        } else {
            point_replays_at_stored(&mut tx, std::slice::from_mut(&mut item), &HashSet::new())
                .await?;
        }
        tx.commit().await.db()?;
        Ok(item)
    }

    async fn inbox_put_batch(&self, items: Vec<NewInboxItem>) -> StoreResult<Vec<InboxItem>> {
        let Some(first) = items.first() else {
            return Ok(Vec::new());
        };
        let run_at = us(first.received_at);
        let mut stored: Vec<InboxItem> =
            items.into_iter().map(pending).collect::<StoreResult<_>>()?;
        let mut tx = self.write_tx().await?;
        let mut inserted = HashSet::new();
        // Each statement is a round trip to the connection's thread, which costs more
        // than inserting a row: one multi-row INSERT per chunk instead of one per body.
        for chunk in stored.chunks(INSERT_ROWS) {
            let rows = vec!["(?, ?, ?, ?, 'pending', 0, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO webhook_inbox (id, received_at, body, signature, state, attempts, body_sha256) \
                 VALUES {rows} ON CONFLICT (body_sha256) WHERE body_sha256 IS NOT NULL DO NOTHING \
                 RETURNING id"
            );
            // Not cached: each group size would be a prepared statement of its own.
            let mut insert = sqlx::query(&sql).persistent(false);
            for item in chunk {
                insert = insert
                    .bind(item.id.to_string())
                    .bind(us(item.received_at))
                    .bind(item.body.as_slice())
                    .bind(item.signature.as_deref())
                    .bind(body_digest(&item.body));
            }
            for row in insert.fetch_all(&mut *tx).await.db()? {
                inserted.insert(get_uuid(&row, "id")?);
            }
        }
        let ids: Vec<Uuid> = stored
            .iter()
            .filter(|i| inserted.contains(&i.id))
            .map(|i| i.id)
            .collect();
        if !ids.is_empty() {
            insert_job(&mut tx, ids, run_at).await?;
        }
        point_replays_at_stored(&mut tx, &mut stored, &inserted).await?;
        tx.commit().await.db()?;
        Ok(stored)
    }

    async fn inbox_oldest_pending(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let oldest: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(received_at) FROM webhook_inbox WHERE state = 'pending'",
        )
        .fetch_one(self.reads())
        .await
        .db()?;
        oldest.map(crate::rows::time).transpose()
    }

    async fn inbox_retry_failed(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        self.retry_state("failed", limit, at).await
    }

    async fn inbox_retry_ignored(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        self.retry_state("ignored", limit, at).await
    }

    async fn inbox_get(&self, id: Uuid) -> StoreResult<InboxItem> {
        let sql = format!("SELECT {INBOX_COLUMNS} FROM webhook_inbox WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("inbox item"))?;
        read_item(&row)
    }

    async fn inbox_get_batch(&self, ids: &[Uuid]) -> StoreResult<Vec<InboxItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement whatever the count: the ids travel as one JSON array.
        let wanted: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let sql = format!(
            "SELECT {INBOX_COLUMNS} FROM webhook_inbox WHERE id IN (SELECT value FROM json_each(?1))"
        );
        let rows = sqlx::query(&sql)
            .bind(to_json(&wanted)?)
            .fetch_all(self.reads())
            .await
            .db()?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let item = read_item(row)?;
            found.insert(item.id, item);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn inbox_finish(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        if !finish_in(&mut tx, id, error, at).await? {
            return Err(StoreError::NotFound("inbox item"));
        }
        tx.commit().await.db()
    }

    async fn inbox_finish_batch(
        &self,
        outcomes: &[(Uuid, InboxOutcome)],
        jobs: &[(JobId, Uuid)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        if outcomes.is_empty() && jobs.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Value> = outcomes
            .iter()
            .map(|(id, outcome)| {
                json!({ "id": id.to_string(), "state": outcome.state(), "note": outcome.note() })
            })
            .collect();
        let leases: Vec<Value> = jobs
            .iter()
            .map(|(id, token)| json!({ "id": id.to_string(), "token": token.to_string() }))
            .collect();
        let distinct = outcomes.iter().map(|(id, _)| id).collect::<HashSet<_>>();
        let mut tx = self.write_tx().await?;
        // One statement per table whatever the count: the rows travel as JSON arrays.
        let done = sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, \
               state = o.state, last_error = o.note, \
               processed_at = CASE WHEN o.state = 'failed' THEN processed_at ELSE ?2 END \
             FROM (SELECT value ->> 'id' AS id, value ->> 'state' AS state, value ->> 'note' AS note \
                   FROM json_each(?1)) AS o \
             WHERE webhook_inbox.id = o.id",
        )
        .bind(to_json(&rows)?)
        .bind(us(at))
        .execute(&mut *tx)
        .await
        .db()?;
        if done.rows_affected() < distinct.len() as u64 {
            // Returning before the commit rolls the whole group back.
            return Err(StoreError::NotFound("inbox item"));
        }
        // As `complete_job`, for every lease at once.
        let completed = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ?2 \
             FROM (SELECT value ->> 'id' AS id, value ->> 'token' AS token FROM json_each(?1)) AS l \
             WHERE jobs.id = l.id AND jobs.state = 'running' AND jobs.lease_token = l.token \
             RETURNING jobs.id",
        )
        .bind(to_json(&leases)?)
        .bind(us(now()))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let completed = completed
            .iter()
            .map(|row| get_uuid(row, "id"))
            .collect::<StoreResult<HashSet<_>>>()?;
        tx.commit().await.db()?;
        Ok(jobs
            .iter()
            .map(|(id, _)| completed.contains(&id.0))
            .collect())
    }
}
