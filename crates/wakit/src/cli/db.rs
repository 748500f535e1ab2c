//! Which database to use, and opening it.
//!
//! No URL → `sqlite://$WAKIT_DATA_DIR/wakit.db`, created on first use. An explicit
//! `sqlite://` URL must exist (a typo should not silently start an empty database);
//! `postgres://` URLs go to PostgreSQL.

use anyhow::{Context, bail};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wakit_store::Store;
use wakit_store_postgres::{PgOptions, PgStore};
use wakit_store_sqlite::SqliteStore;

/// Database selection shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://path` or `postgres://...`. Default: SQLite under WAKIT_DATA_DIR.
    #[arg(long, env = "WAKIT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

/// Where wakit keeps its files: `WAKIT_DATA_DIR`, else `$XDG_DATA_HOME/wakit`, else
/// `~/.local/share/wakit`, else `./wakit-data`.
pub fn data_dir() -> PathBuf {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("WAKIT_DATA_DIR")
        .or_else(|| non_empty("XDG_DATA_HOME").map(|p| p.join("wakit")))
        .or_else(|| non_empty("HOME").map(|p| p.join(".local/share/wakit")))
        .unwrap_or_else(|| PathBuf::from("wakit-data"))
}

/// The resolved database: its URL and whether it is the implicit default.
pub struct Resolved {
    /// URL to open.
    pub url: String,
    /// True when no URL was given (the default SQLite file).
    pub is_default: bool,
}

impl DbArgs {
    /// The URL to open.
    pub fn resolve(&self) -> Resolved {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => Resolved {
                url: url.trim().to_string(),
                is_default: false,
            },
            _ => Resolved {
                url: format!("sqlite://{}", data_dir().join("wakit.db").display()),
                is_default: true,
            },
        }
    }

    /// Opens (and migrates) the database.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let resolved = self.resolve();
        let store = open_url(&resolved.url, resolved.is_default).await?;
        store.migrate().await.context("applying migrations")?;
        Ok(store)
    }
}

/// Opens a store by URL without migrating.
pub async fn open_url(url: &str, create_if_missing: bool) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::open(url, create_if_missing)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url, pg_options()?)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Arc::new(store))
    } else {
        bail!("unsupported database URL {url:?}: use sqlite://path or postgres://...")
    }
}

fn pg_options() -> anyhow::Result<PgOptions> {
    let mut options = PgOptions::default();
    if let Some(n) = env_number("WAKIT_DB_MAX_CONNECTIONS")? {
        options.max_connections = n as u32;
    }
    if let Some(ms) = env_number("WAKIT_DB_STATEMENT_TIMEOUT_MS")? {
        options.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms));
    }
    if let Some(ms) = env_number("WAKIT_DB_ACQUIRE_TIMEOUT_MS")? {
        options.acquire_timeout = Duration::from_millis(ms);
    }
    Ok(options)
}

/// A numeric environment setting, if set.
fn env_number(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("{name}={v:?} is not a number")),
        Err(_) => Ok(None),
    }
}

/// `wakit migrate`.
pub async fn migrate(args: DbArgs) -> anyhow::Result<()> {
    let store = args.open().await?;
    println!("migrations applied ({})", store.backend());
    Ok(())
}
