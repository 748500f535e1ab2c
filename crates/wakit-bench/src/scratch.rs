//! Scratch databases for benchmarks: a SQLite file in a temporary directory, or a
//! uniquely named PostgreSQL database created on the given server and dropped after
//! (unless kept). Both are opened as `wakit serve` opens them and migrated.

use anyhow::Context;
use std::sync::Arc;
use wakit_store::Store;
use wakit_store_postgres::{PgOptions, PgStore};
use wakit_store_sqlite::SqliteStore;

/// Which databases a benchmark runs on (options every benchmark shares).
#[derive(clap::Args)]
pub struct Databases {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    pub backend: String,
    /// Server for the Postgres run (a scratch database is created and dropped on it).
    #[arg(
        long,
        env = "WAKIT_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres_url: String,
    /// Keep the Postgres scratch database (its name is printed) for inspection.
    #[arg(long)]
    pub keep: bool,
}

impl Databases {
    /// The backends `--backend` names.
    pub fn backends(&self) -> anyhow::Result<Vec<&'static str>> {
        backends(&self.backend)
    }

    /// A fresh, migrated database of `backend`.
    pub async fn create(&self, backend: &str) -> anyhow::Result<Scratch> {
        Scratch::create(backend, &self.postgres_url).await
    }

    /// Closes `db` and drops it unless `--keep`; PostgreSQL's count of deadlocks in it.
    pub async fn finish(&self, db: Scratch) -> anyhow::Result<Option<i64>> {
        db.drop_database(self.keep).await
    }
}

/// The backends a `--backend` value names.
fn backends(arg: &str) -> anyhow::Result<Vec<&'static str>> {
    match arg {
        "both" => Ok(vec!["sqlite", "postgres"]),
        "sqlite" => Ok(vec!["sqlite"]),
        "postgres" => Ok(vec!["postgres"]),
        other => anyhow::bail!("unknown backend {other} (sqlite, postgres or both)"),
    }
}

/// A migrated store on a fresh database.
pub struct Scratch {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The URL a `wakit` process opens the same database with.
    pub url: String,
    _dir: tempfile::TempDir,
    postgres: Option<Postgres>,
}

struct Postgres {
    pool: sqlx::PgPool,
    admin_url: String,
    name: String,
}

impl Scratch {
    /// Creates the database and migrates it.
    pub async fn create(backend: &str, postgres_url: &str) -> anyhow::Result<Scratch> {
        let dir = tempfile::tempdir()?;
        let (store, postgres, url): (Arc<dyn Store>, _, _) = match backend {
            "sqlite" => {
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                (Arc::new(SqliteStore::open(&url, true).await?), None, url)
            }
            "postgres" => {
                let name = format!("wakit_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(postgres_url)
                    .await
                    .context("connect to postgres (WAKIT_BENCH_POSTGRES_URL)")?;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                let url = replace_db(postgres_url, &name);
                let pg = PgStore::connect(&url, PgOptions::default()).await?;
                let postgres = Postgres {
                    pool: pg.pool().clone(),
                    admin_url: postgres_url.to_string(),
                    name,
                };
                (Arc::new(pg), Some(postgres), url)
            }
            other => anyhow::bail!("unknown backend {other}"),
        };
        store.migrate().await?;
        Ok(Scratch {
            store,
            url,
            _dir: dir,
            postgres,
        })
    }

    /// Another handle on the same database with its own connection pool, as a second
    /// replica process would open (Postgres only: SQLite is one process per file).
    pub async fn replica_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let Some(pg) = &self.postgres else {
            anyhow::bail!("replicas need PostgreSQL (SQLite is one process per database file)");
        };
        let url = replace_db(&pg.admin_url, &pg.name);
        Ok(Arc::new(
            PgStore::connect(&url, PgOptions::default()).await?,
        ))
    }

    /// Refreshes Postgres's planner statistics (steady state: autovacuum keeps them
    /// fresh, a bulk load outruns it). Nothing to do on SQLite.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if let Some(pg) = &self.postgres {
            sqlx::query("ANALYZE").execute(&pg.pool).await?;
        }
        Ok(())
    }

    /// The durability settings the figures were taken with.
    pub async fn durability(&self) -> anyhow::Result<String> {
        let Some(pg) = &self.postgres else {
            return Ok(
                "SQLite WAL, synchronous=FULL (wakit-store-sqlite sets it on every connection)"
                    .into(),
            );
        };
        let mut settings = Vec::new();
        for name in [
            "synchronous_commit",
            "fsync",
            "wal_sync_method",
            "commit_delay",
        ] {
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&pg.pool)
                .await?;
            settings.push(format!("{name}={value}"));
        }
        Ok(format!(
            "PostgreSQL (server settings) {}",
            settings.join(", ")
        ))
    }

    /// Closes the store and drops the Postgres database unless `keep` (its name is then
    /// printed); the SQLite directory goes with `self`. Returns how many deadlocks
    /// PostgreSQL detected in the database (`pg_stat_database`, read once every
    /// connection to it is closed, so each has reported its statistics).
    pub async fn drop_database(self, keep: bool) -> anyhow::Result<Option<i64>> {
        let Scratch {
            store, postgres, ..
        } = self;
        drop(store);
        let Some(pg) = postgres else {
            return Ok(None);
        };
        pg.pool.close().await;
        let admin = sqlx::PgPool::connect(&pg.admin_url).await?;
        let deadlocks = deadlocks(&admin, &pg.name).await?;
        if keep {
            println!("# kept database {}", pg.name);
            admin.close().await;
            return Ok(Some(deadlocks));
        }
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            pg.name
        ))
        .execute(&admin)
        .await?;
        admin.close().await;
        Ok(Some(deadlocks))
    }
}

/// Deadlocks PostgreSQL counted in database `name`. A backend reports its statistics as
/// it exits, which can trail the pool's close: the count is read until it holds still
/// (a few tries, bounded).
async fn deadlocks(admin: &sqlx::PgPool, name: &str) -> anyhow::Result<i64> {
    let read = || async {
        sqlx::query_scalar::<_, i64>("SELECT deadlocks FROM pg_stat_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(admin)
            .await
            .map(|n| n.unwrap_or(0))
    };
    let mut last = read().await?;
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let now = read().await?;
        if now == last {
            break;
        }
        last = now;
    }
    Ok(last)
}

/// `url` with its database name replaced by `db`.
fn replace_db(url: &str, db: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].find('/') {
        Some(i) => format!("{}/{db}", &url[..scheme_end + i]),
        None => format!("{url}/{db}"),
    }
}
