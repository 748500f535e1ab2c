//! [`DataApiStore`]: data-API statements on PostgreSQL. A statement may read several
//! organizations (a user's memberships) and carries the policies itself, so it runs in
//! the internal scope under `wakit_app`'s row-level security, bounded by the pool's
//! statement timeout.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};
use wakit_core::OrgId;
use wakit_store::{
    DataApiStore, Decide, ReadSummary, Refusal, RowEvent, SqlDialect, SqlParam, Statement,
    StoreResult,
};

use crate::PgStore;
use crate::conversations::append_event;
use crate::error::{DbResultExt, db_err};
use crate::scope;

/// The statement with its parameters bound (the SQL casts every text).
fn bound(s: &Statement) -> Query<'_, Postgres, PgArguments> {
    let mut q = sqlx::query(&s.sql);
    for p in &s.params {
        q = match p {
            SqlParam::Null => q.bind(None::<String>),
            SqlParam::Text(t) => q.bind(t.as_str()),
            SqlParam::Int(i) => q.bind(*i),
            SqlParam::Bool(b) => q.bind(*b),
        };
    }
    q
}

/// What the database refused, as the data API reports it; other errors (the database
/// unreachable, a statement timeout) stay store errors.
#[track_caller]
fn refusal(e: sqlx::Error) -> StoreResult<Refusal> {
    let unavailable =
        |code: &str| code == "57014" || code.starts_with("08") || code.starts_with("53");
    match e.as_database_error() {
        Some(d) if !unavailable(&d.code().unwrap_or_default()) => Ok(Refusal {
            code: d.code().unwrap_or_default().into_owned(),
            message: d.message().to_string(),
        }),
        _ => Err(db_err(e)),
    }
}

/// Runs `s`, its rows or what the database refused.
async fn rows(
    conn: &mut PgConnection,
    s: &Statement,
) -> StoreResult<Result<Vec<sqlx::postgres::PgRow>, Refusal>> {
    match bound(s).fetch_all(conn).await {
        Ok(rows) => Ok(Ok(rows)),
        Err(e) => refusal(e).map(Err),
    }
}

#[async_trait]
impl DataApiStore for PgStore {
    fn sql_dialect(&self) -> SqlDialect {
        SqlDialect::Postgres
    }

    async fn data_read(&self, read: Statement) -> StoreResult<Result<ReadSummary, Refusal>> {
        let mut tx = self.internal().await?;
        scope::bounded(&mut tx).await?;
        let found = match rows(&mut tx, &read).await? {
            Ok(found) => found,
            Err(refused) => return Ok(Err(refused)),
        };
        tx.commit().await.db()?;
        let Some(row) = found.first() else {
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
        let mut tx = self.internal().await?;
        let found = match rows(&mut tx, &write).await? {
            Ok(found) => found,
            Err(refused) => return Ok(Err(refused)),
        };
        let written = found
            .iter()
            .map(|r| r.try_get::<String, _>("j"))
            .collect::<Result<Vec<_>, _>>()
            .db()?;
        if let Some(e) = event {
            for row in &found {
                let id: uuid::Uuid = row.try_get("row_id").db()?;
                let org = OrgId(row.try_get("row_org").db()?);
                append_event(&mut tx, org, e.entity, e.action, id).await?;
            }
        }
        if let Some(then) = &follow_up
            && let Err(refused) = rows(&mut tx, then).await?
        {
            return Ok(Err(refused));
        }
        if decide(&written) {
            tx.commit().await.db()?;
        } else {
            tx.rollback().await.db()?;
        }
        Ok(Ok(written))
    }
}
