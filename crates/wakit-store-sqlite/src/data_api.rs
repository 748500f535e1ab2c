//! [`DataApiStore`]: data-API statements on SQLite. Reads are bounded heavy reads
//! (see `bounded.rs`); writes run on the single writer.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use wakit_store::{
    DataApiStore, Decide, ReadSummary, Refusal, RowEvent, SqlDialect, SqlParam, Statement,
    StoreResult,
};

use crate::SqliteStore;
use crate::error::{DbResultExt, db};
use crate::rows::us;
use crate::shared::event_sql;

/// The statement with its parameters bound.
fn bound(s: &Statement) -> Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut q = sqlx::query(&s.sql);
    for p in &s.params {
        q = match p {
            SqlParam::Null => q.bind(None::<String>),
            SqlParam::Text(t) => q.bind(t.as_str()),
            SqlParam::Int(i) => q.bind(*i),
            SqlParam::Bool(b) => q.bind(i64::from(*b)),
        };
    }
    q
}

/// What the database refused, as the data API reports it; other errors (the database
/// unreachable, busy) stay store errors.
#[track_caller]
fn refusal(e: sqlx::Error) -> StoreResult<Refusal> {
    match e.as_database_error() {
        Some(d) => Ok(Refusal {
            code: d.code().unwrap_or_default().into_owned(),
            message: d.message().to_string(),
        }),
        None => Err(db(e)),
    }
}

#[async_trait]
impl DataApiStore for SqliteStore {
    fn sql_dialect(&self) -> SqlDialect {
        SqlDialect::Sqlite
    }

    async fn data_read(&self, read: Statement) -> StoreResult<Result<ReadSummary, Refusal>> {
        let rows = match self.bounded_read("the query", bound(&read)).await? {
            Ok(rows) => rows,
            Err(e) => return refusal(e).map(Err),
        };
        let Some(row) = rows.first() else {
            return Err(wakit_store::StoreError::other(
                "a data-API read returned no row",
            ));
        };
        Ok(Ok(ReadSummary {
            body: row.try_get("body").db()?,
            page_count: row.try_get("page_count").db()?,
            total: row.try_get("total").db()?,
        }))
    }

    async fn data_write(
        &self,
        write: Statement,
        follow_up: Option<Statement>,
        event: Option<RowEvent>,
        decide: Decide,
    ) -> StoreResult<Result<Vec<String>, Refusal>> {
        let mut tx = self.write_tx().await?;
        let rows = match bound(&write).fetch_all(&mut *tx).await {
            Ok(rows) => rows,
            Err(e) => return refusal(e).map(Err),
        };
        let written = rows
            .iter()
            .map(|r| r.try_get::<String, _>("j"))
            .collect::<Result<Vec<_>, _>>()
            .db()?;
        if let Some(e) = event {
            let now = us(chrono::Utc::now());
            for row in &rows {
                let (id, org): (String, String) =
                    (row.try_get("row_id").db()?, row.try_get("row_org").db()?);
                sqlx::query(&event_sql(e.entity, e.action))
                    .bind(org)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
        }
        if let Some(then) = &follow_up
            && let Err(e) = bound(then).fetch_all(&mut *tx).await
        {
            return refusal(e).map(Err);
        }
        if decide(&written) {
            tx.commit().await.db()?;
        } else {
            tx.rollback().await.db()?;
        }
        Ok(Ok(written))
    }
}
