//! Send pacing shared by every replica: a number's next free send slot lives in the
//! UNLOGGED `send_pacing` table; a dispatcher reserves a short block of slots in one
//! statement, by the database's clock (so replicas' clocks need not agree).

use sqlx::PgPool;
use std::time::Duration;
use wakit_core::AccountId;
use wakit_store::StoreResult;

use crate::error::DbResultExt;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn duration(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

pub(crate) async fn reserve(
    pool: &PgPool,
    account: AccountId,
    interval: Duration,
    count: u32,
    horizon: Duration,
) -> StoreResult<Result<Duration, Duration>> {
    let block = micros(interval).saturating_mul(i64::from(count.max(1)));
    // The first slot of the block is `wait` µs away; the row moves on by the block. A
    // number whose next free slot is beyond the horizon is left as it is.
    let reserved: Option<i64> = sqlx::query_scalar(
        "INSERT INTO send_pacing AS p (account_id, next_free_at) \
         VALUES ($1, clock_timestamp() + $2 * interval '1 microsecond') \
         ON CONFLICT (account_id) DO UPDATE \
           SET next_free_at = GREATEST(p.next_free_at, clock_timestamp()) + $2 * interval '1 microsecond' \
           WHERE GREATEST(p.next_free_at, clock_timestamp()) \
                 <= clock_timestamp() + $3 * interval '1 microsecond' \
         RETURNING CAST(EXTRACT(EPOCH FROM (p.next_free_at - $2 * interval '1 microsecond' \
                   - clock_timestamp())) * 1000000 AS bigint)",
    )
    .bind(account.0)
    .bind(block)
    .bind(micros(horizon))
    .fetch_optional(pool)
    .await
    .db()?;
    if let Some(wait) = reserved {
        return Ok(Ok(duration(wait)));
    }
    let ahead: i64 = sqlx::query_scalar(
        "SELECT CAST(EXTRACT(EPOCH FROM (next_free_at - clock_timestamp())) * 1000000 AS bigint) \
         FROM send_pacing WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(pool)
    .await
    .db()?
    .unwrap_or(0);
    Ok(Err(
        duration(ahead.saturating_sub(micros(horizon))).max(interval)
    ))
}
