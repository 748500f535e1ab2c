//! [`JobStore`]: the lease-based job queue. Claims run inside the single-writer
//! transaction, so two claimers can never lease the same job.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;
use uuid::Uuid;
use wakit_core::JobId;
use wakit_store::{Job, JobState, JobStore, NewJob, StoreError, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{JOB_COLUMNS, get_uuid, job, now, to_json, us};
use crate::shared::{changed, limit};

/// Queues a job in the caller's transaction.
pub(crate) async fn insert_job(conn: &mut SqliteConnection, new: &NewJob) -> StoreResult<JobId> {
    let id = JobId::new();
    sqlx::query(
        "INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, 0, ?6, ?7, ?7)",
    )
    .bind(id.to_string())
    .bind(new.org_id.map(|o| o.to_string()))
    .bind(&new.kind)
    .bind(to_json(&new.payload)?)
    .bind(new.priority)
    .bind(us(new.run_at))
    .bind(us(now()))
    .execute(conn)
    .await
    .db()?;
    Ok(id)
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue_job(&self, new: NewJob) -> StoreResult<JobId> {
        let mut tx = self.write_tx().await?;
        if let Some(org) = new.org_id {
            crate::shared::require_org(&mut *tx, org).await?;
        }
        let id = insert_job(&mut tx, &new).await?;
        tx.commit().await.db()?;
        Ok(id)
    }

    async fn claim_jobs(
        &self,
        kinds: &[&str],
        n: u32,
        lease: Duration,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>> {
        if kinds.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; kinds.len()].join(", ");
        // Each branch walks its partial index (jobs_queued_idx / jobs_running_idx).
        let pick = format!(
            "SELECT id, priority, run_at FROM ( \
               SELECT id, priority, run_at FROM jobs \
               WHERE state = 'queued' AND kind IN ({marks}) AND run_at <= ? \
               ORDER BY priority DESC, run_at LIMIT ?) \
             UNION ALL \
             SELECT id, priority, run_at FROM ( \
               SELECT id, priority, run_at FROM jobs \
               WHERE state = 'running' AND lease_until < ? AND kind IN ({marks}) \
               ORDER BY priority DESC, run_at LIMIT ?) \
             ORDER BY priority DESC, run_at LIMIT ?"
        );
        let mut tx = self.write_tx().await?;
        let mut q = sqlx::query(&pick);
        for k in kinds {
            q = q.bind(*k);
        }
        q = q.bind(us(at)).bind(limit(n)).bind(us(at));
        for k in kinds {
            q = q.bind(*k);
        }
        let picked = q
            .bind(limit(n))
            .bind(limit(n))
            .fetch_all(&mut *tx)
            .await
            .db()?;
        let lease_until = us(at + lease);
        let claim = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?1, lease_token = ?2, \
             updated_at = ?3 WHERE id = ?4 RETURNING {JOB_COLUMNS}"
        );
        let mut jobs = Vec::with_capacity(picked.len());
        for row in &picked {
            let id = get_uuid(row, "id")?;
            let row = sqlx::query(&claim)
                .bind(lease_until)
                .bind(Uuid::new_v4().to_string())
                .bind(us(now()))
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await
                .db()?;
            jobs.push(job(&row)?);
        }
        tx.commit().await.db()?;
        Ok(jobs)
    }

    async fn defer_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        run_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = ?1, attempts = MAX(attempts - 1, 0), \
             lease_until = NULL, lease_token = NULL, updated_at = ?2 \
             WHERE id = ?3 AND state = 'running' AND lease_token = ?4",
        )
        .bind(us(run_at))
        .bind(us(now()))
        .bind(id.to_string())
        .bind(lease_token.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(changed(&done))
    }

    async fn complete_job(&self, id: JobId, lease_token: Uuid) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ?1 \
             WHERE id = ?2 AND state = 'running' AND lease_token = ?3",
        )
        .bind(us(now()))
        .bind(id.to_string())
        .bind(lease_token.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(changed(&done))
    }

    async fn fail_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<JobState>> {
        let state = if retry_at.is_some() {
            JobState::Queued
        } else {
            JobState::Dead
        };
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = ?1, run_at = COALESCE(?2, run_at), last_error = ?3, lease_until = NULL, \
             lease_token = NULL, updated_at = ?4 WHERE id = ?5 AND state = 'running' AND lease_token = ?6",
        )
        .bind(state.as_str())
        .bind(retry_at.map(us))
        .bind(error)
        .bind(us(now()))
        .bind(id.to_string())
        .bind(lease_token.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(changed(&done).then_some(state))
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, String, i64)>> {
        sqlx::query_as("SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state")
            .fetch_all(self.reads())
            .await
            .db()
    }

    async fn resume_orphaned_leases(&self, at: DateTime<Utc>) -> StoreResult<u64> {
        self.resume_leases(at).await
    }

    async fn get_job(&self, id: JobId) -> StoreResult<Job> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("job"))?;
        job(&row)
    }
}
