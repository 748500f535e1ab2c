//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database
//! created from `WAKIT_TEST_POSTGRES_URL` and dropped afterwards.

use std::io::Write;
use std::sync::{Arc, Once};
use wakit_store::Store;
use wakit_store_postgres::{PgOptions, PgStore};
use wakit_store_sqlite::SqliteStore;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the server named by `WAKIT_TEST_POSTGRES_URL`.
    Postgres,
}

/// A migrated store on a fresh database; dropping it removes the database.
pub struct TestStore {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The URL it was opened with (for tests that open a second connection).
    pub url: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    PgDatabase { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::PgDatabase { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a separate thread and runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            let _ = sqlx::query(&sql).execute(&pool).await;
                            pool.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// The Postgres server URL for tests, or None (after saying so once, visibly) when
/// Postgres tests are skipped. Panics when Postgres is required but not configured.
pub fn postgres_url() -> Option<String> {
    static SKIP_NOTICE: Once = Once::new();
    match std::env::var("WAKIT_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("WAKIT_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("WAKIT_TEST_REQUIRE_POSTGRES=1 but WAKIT_TEST_POSTGRES_URL is not set");
            }
            SKIP_NOTICE.call_once(|| {
                // Written to the real stderr (not the captured test output) so it shows.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n  NOTE: PostgreSQL tests SKIPPED (set WAKIT_TEST_POSTGRES_URL=postgres://... to run them)\n"
                );
            });
            None
        }
    }
}

/// Replaces the database name in a Postgres URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

impl TestStore {
    /// A fresh, migrated store, or None when the backend is skipped.
    pub async fn fresh(backend: Backend) -> Option<TestStore> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("wakit.db").display());
                let store = SqliteStore::open(&url, true).await.expect("open sqlite");
                store.migrate().await.expect("migrate sqlite");
                Some(TestStore {
                    store: Arc::new(store),
                    url,
                    _cleanup: Cleanup::Dir(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_url()?;
                let name = format!("wakit_t_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach WAKIT_TEST_POSTGRES_URL: {e}"));
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let cleanup = Cleanup::PgDatabase {
                    admin_url: admin_url.clone(),
                    name: name.clone(),
                };
                let url = with_database(&admin_url, &name);
                let options = PgOptions {
                    max_connections: 25,
                    ..PgOptions::default()
                };
                let store = PgStore::connect(&url, options)
                    .await
                    .expect("connect postgres");
                store.migrate().await.expect("migrate postgres");
                Some(TestStore {
                    store: Arc::new(store),
                    url,
                    _cleanup: cleanup,
                })
            }
        }
    }

    /// A second store on the same database, with connections of its own (as another
    /// process would have).
    pub async fn open_again(&self) -> Arc<dyn Store> {
        if self.url.starts_with("sqlite:") {
            Arc::new(
                SqliteStore::open(&self.url, false)
                    .await
                    .expect("open sqlite again"),
            )
        } else {
            let options = PgOptions {
                max_connections: 5,
                ..PgOptions::default()
            };
            Arc::new(
                PgStore::connect(&self.url, options)
                    .await
                    .expect("connect postgres again"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
