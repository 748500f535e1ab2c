//! The lease-based job queue. Claims are one statement: an `UPDATE` over the rows a
//! `SELECT ... FOR UPDATE SKIP LOCKED` picked, so concurrent claimers (on any replica)
//! never wait for each other and never get the same job.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::JobId;
use wakit_store::{Job, JobState, JobStore, NewJob, StoreError, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::rows::{self, JOB_COLUMNS};

/// Queues a job in the caller's transaction.
pub(crate) async fn insert_job(conn: &mut PgConnection, job: &NewJob) -> StoreResult<JobId> {
    let id = JobId::new();
    sqlx::query(
        "INSERT INTO jobs (id, organization_id, kind, payload, state, priority, attempts, run_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6)",
    )
    .bind(id.0)
    .bind(job.org_id.map(|o| o.0))
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.priority)
    .bind(job.run_at)
    .execute(conn)
    .await
    .db()?;
    Ok(id)
}

#[async_trait]
impl JobStore for PgStore {
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<JobId> {
        let mut conn = self.pool.acquire().await.db()?;
        insert_job(&mut conn, &job).await
    }

    async fn claim_jobs(
        &self,
        kinds: &[&str],
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>> {
        if limit == 0 || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let until = now
            .checked_add_signed(lease)
            .ok_or_else(|| StoreError::other(format!("lease {lease} overflows the clock")))?;
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        // The picked set is MATERIALIZED so the LIMIT/SKIP LOCKED subquery runs exactly
        // once (an `IN (subquery)` may be re-planned as a join and re-evaluated).
        let rows = sqlx::query(&format!(
            "WITH picked AS MATERIALIZED ( \
               SELECT id FROM jobs \
               WHERE kind = ANY($1) \
                 AND ((state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until < $2)) \
               ORDER BY priority DESC, run_at \
               LIMIT $3 \
               FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $4, \
               lease_token = gen_random_uuid(), lease_owner = $5, updated_at = now() \
             FROM picked WHERE jobs.id = picked.id \
             RETURNING {}",
            JOB_COLUMNS.split(", ").map(|c| format!("jobs.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(&kinds)
        .bind(now)
        .bind(i64::from(limit))
        .bind(until)
        .bind(self.lease_owner())
        .fetch_all(&self.pool)
        .await
        .db()?;
        let mut jobs = rows
            .iter()
            .map(rows::job)
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING has no order: restore the claim order.
        jobs.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)));
        Ok(jobs)
    }

    async fn defer_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        run_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = GREATEST(attempts - 1, 0), \
             lease_until = NULL, lease_token = NULL, updated_at = now() \
             WHERE id = $2 AND state = 'running' AND lease_token = $3",
        )
        .bind(run_at)
        .bind(id.0)
        .bind(lease_token)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete_job(&self, id: JobId, lease_token: Uuid) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, lease_token = NULL, updated_at = now() \
             WHERE id = $1 AND state = 'running' AND lease_token = $2",
        )
        .bind(id.0)
        .bind(lease_token)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<JobState>> {
        let row = sqlx::query(
            "UPDATE jobs SET \
               state = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'queued' END, \
               run_at = COALESCE($4, run_at), last_error = $3, \
               lease_until = NULL, lease_token = NULL, updated_at = now() \
             WHERE id = $1 AND state = 'running' AND lease_token = $2 \
             RETURNING state",
        )
        .bind(id.0)
        .bind(lease_token)
        .bind(error)
        .bind(retry_at)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        let Some(row) = row else { return Ok(None) };
        let state: String = row.try_get("state").db()?;
        JobState::parse(&state)
            .map(Some)
            .ok_or_else(|| crate::error::corrupt(format!("job state {state:?}")))
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, String, i64)>> {
        sqlx::query_as("SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state")
            .fetch_all(&self.pool)
            .await
            .db()
    }

    async fn resume_orphaned_leases(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        self.resume_leases(now).await
    }

    async fn get_job(&self, id: JobId) -> StoreResult<Job> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?
            .ok_or(StoreError::NotFound("job"))?;
        rows::job(&row)
    }
}
