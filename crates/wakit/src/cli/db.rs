//! Which database to use, and opening it.
//!
//! No URL → `sqlite://$WAKIT_DATA_DIR/wakit.db`, created on first use. An explicit
//! `sqlite://` file (and its directory) is created by `wakit migrate`, `serve` and
//! `worker`; the admin commands refuse a missing one (a typo should not silently start
//! an empty database). `postgres://` URLs go to PostgreSQL.

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

/// Creates `dir` and its missing parents, readable only by the owner (0700 on Unix):
/// it holds the database and the key that seals Meta tokens.
pub fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
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

    /// Opens (and migrates) an existing database; the default SQLite file is created.
    /// A missing explicit SQLite file is an error that says to run `wakit migrate`.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let resolved = self.resolve();
        if !resolved.is_default && resolved.url.starts_with("sqlite:") {
            let path = wakit_store_sqlite::database_path(&resolved.url)?;
            if !path.exists() {
                bail!(
                    "no database at {} — run `wakit migrate` first",
                    path.display()
                );
            }
        }
        self.open_with(resolved.is_default).await
    }

    /// Opens (and migrates) the database, creating a missing SQLite file and its
    /// directory (`migrate`, `serve`, `worker`).
    pub async fn open_or_create(&self) -> anyhow::Result<Arc<dyn Store>> {
        self.open_with(true).await
    }

    async fn open_with(&self, create_if_missing: bool) -> anyhow::Result<Arc<dyn Store>> {
        let store = open_url(&self.resolve().url, create_if_missing).await?;
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
    let store = args.open_or_create().await?;
    println!("migrations applied ({})", store.backend());
    Ok(())
}
