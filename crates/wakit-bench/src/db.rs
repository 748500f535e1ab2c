//! Fresh databases for a benchmark run: a temp SQLite file or a new Postgres database
//! (dropped afterwards unless kept).

use anyhow::Context;
use std::sync::Arc;
use wakit_store::Store;
use wakit_store_postgres::{PgOptions, PgStore};
use wakit_store_sqlite::SqliteStore;

/// A migrated store and what to clean up after.
pub struct BenchDb {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The Postgres pool, for direct queries (ANALYZE) and closing.
    pub pg_pool: Option<sqlx::PgPool>,
    /// The Postgres server URL and database name to drop.
    pg_db: Option<(String, String)>,
    _tmp: tempfile::TempDir,
}

impl BenchDb {
    /// A fresh, migrated `sqlite` or `postgres` database.
    pub async fn fresh(backend: &str, postgres_url: &str) -> anyhow::Result<BenchDb> {
        let tmp = tempfile::tempdir()?;
        let (store, pg_pool, pg_db): (Arc<dyn Store>, _, _) = match backend {
            "sqlite" => {
                let url = format!("sqlite://{}", tmp.path().join("bench.db").display());
                (Arc::new(SqliteStore::open(&url, true).await?), None, None)
            }
            "postgres" => {
                let name = format!("wakit_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(postgres_url)
                    .await
                    .context("connect to postgres")?;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                let opts = PgOptions {
                    max_connections: 8,
                    ..PgOptions::default()
                };
                let pg = PgStore::connect(&replace_db(postgres_url, &name), opts).await?;
                let pool = pg.pool().clone();
                (
                    Arc::new(pg),
                    Some(pool),
                    Some((postgres_url.to_string(), name)),
                )
            }
            other => anyhow::bail!("unknown backend {other}"),
        };
        store.migrate().await?;
        Ok(BenchDb {
            store,
            pg_pool,
            pg_db,
            _tmp: tmp,
        })
    }

    /// Closes the store and drops a Postgres database (unless `keep`).
    pub async fn finish(self, keep: bool) -> anyhow::Result<()> {
        if let Some(p) = &self.pg_pool {
            p.close().await;
        }
        drop(self.store);
        match self.pg_db {
            Some((_, name)) if keep => println!("# kept database {name}"),
            Some((admin_url, name)) => {
                let admin = sqlx::PgPool::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&admin)
                    .await?;
            }
            None => {}
        }
        Ok(())
    }
}

/// `url` with its database name replaced by `db`.
fn replace_db(url: &str, db: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].find('/') {
        Some(i) => format!("{}/{db}", &url[..scheme_end + i]),
        None => format!("{url}/{db}"),
    }
}

/// The backends `--backend` names.
pub fn backends(arg: &str) -> Vec<&str> {
    match arg {
        "both" => vec!["sqlite", "postgres"],
        one => vec![one],
    }
}
