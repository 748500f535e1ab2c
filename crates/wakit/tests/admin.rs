//! The admin flow through the real binary, on a fresh SQLite file and on PostgreSQL:
//! org → number → key, the errors an operator can hit, and no secret readable in a dump.

mod procs;

use std::path::Path;
use std::process::Output;
use wakit_store_tests::{Backend, TestStore};

const TOKEN: &str = "EAAGm0PX4ZCpsBAPlainTextMetaToken123";

struct Env {
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Env {
    fn wakit(&self, args: &[&str]) -> Output {
        let mut cmd = procs::wakit();
        cmd.args(args)
            .env("WAKIT_DATA_DIR", self.data_dir.path())
            .env_remove("WAKIT_SECRET_KEY")
            .env_remove("WAKIT_DATABASE_URL");
        if let Some(url) = &self.database_url {
            cmd.env("WAKIT_DATABASE_URL", url)
                .env("WAKIT_SECRET_KEY", "ab".repeat(32));
        }
        cmd.output().expect("run wakit")
    }

    fn ok_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.wakit(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn fails(&self, args: &[&str], code: i32, needle: &str) {
        let out = self.wakit(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
    }
}

fn admin_flow(env: &Env) -> (String, String) {
    let org = env.ok_json(&[
        "admin",
        "org",
        "create",
        "--name",
        "Mirlo",
        "--timezone",
        "America/Mexico_City",
        "--json",
    ]);
    let org_id = org["id"].as_str().expect("org id").to_string();

    let acct = env.ok_json(&[
        "admin",
        "account",
        "add",
        "--org",
        &org_id,
        "--phone",
        "+52 1 55 8839 2274",
        "--name",
        "Mirlo",
        "--phone-number-id",
        "238013449404478",
        "--waba-id",
        "102290129340398",
        "--access-token",
        TOKEN,
        "--json",
    ]);
    assert_eq!(acct["phone"], "5215588392274");

    let key = env.ok_json(&[
        "admin", "key", "create", "--org", &org_id, "--name", "ci", "--role", "admin", "--json",
    ]);
    let plain = key["key"].as_str().expect("key").to_string();
    assert!(plain.starts_with("sk_") && plain.len() >= 35);

    let list = env.ok_json(&["admin", "key", "list", "--org", &org_id, "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["prefix"], key["prefix"]);
    assert!(
        !list.to_string().contains(&plain),
        "listing never shows the key"
    );

    // Operator errors: clear messages, exit 1 for failures, 2 for usage.
    let unknown = "00000000-0000-7000-8000-000000000000";
    env.fails(
        &["admin", "key", "create", "--org", unknown, "--name", "x"],
        1,
        &format!("organization {unknown} not found"),
    );
    env.fails(
        &[
            "admin",
            "account",
            "add",
            "--org",
            unknown,
            "--phone",
            "15550001111",
            "--name",
            "x",
            "--phone-number-id",
            "1",
            "--waba-id",
            "1",
            "--access-token",
            "t",
        ],
        1,
        "not found",
    );
    env.fails(
        &[
            "admin",
            "account",
            "add",
            "--org",
            &org_id,
            "--phone",
            "15550001111",
            "--name",
            "x",
            "--phone-number-id",
            "238013449404478",
            "--waba-id",
            "1",
            "--access-token",
            "t",
        ],
        1,
        "phone-number id 238013449404478 is already connected",
    );
    env.fails(
        &[
            "admin",
            "account",
            "add",
            "--org",
            &org_id,
            "--phone",
            "55-abc",
            "--name",
            "x",
            "--phone-number-id",
            "2",
            "--waba-id",
            "1",
            "--access-token",
            "t",
        ],
        2,
        "contains characters other than digits",
    );
    env.fails(
        &[
            "admin",
            "org",
            "create",
            "--name",
            "x",
            "--timezone",
            "Mars/Olympus",
        ],
        2,
        "unknown timezone",
    );
    env.fails(&["admin", "key", "revoke", unknown], 1, "not found");

    let id = list[0]["id"].as_str().expect("id").to_string();
    let revoked = env.ok_json(&["admin", "key", "revoke", &id, "--json"]);
    assert!(revoked["revoked_at"].is_string());
    let list = env.ok_json(&["admin", "key", "list", "--org", &org_id, "--json"]);
    assert!(list[0]["revoked_at"].is_string());
    (org_id, plain)
}

fn assert_no_secret(dump: &[u8], api_key: &str) {
    let text = String::from_utf8_lossy(dump);
    for secret in [TOKEN, api_key, &api_key[12..]] {
        assert!(!text.contains(secret), "dump contains {secret:?}");
        let hex_form: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !text.contains(&hex_form),
            "dump contains {secret:?} hex-encoded"
        );
    }
}

fn read_sqlite_files(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["wakit.db", "wakit.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            all.extend(bytes);
        }
    }
    assert!(!all.is_empty(), "database file exists");
    all
}

#[test]
fn admin_flow_on_a_fresh_sqlite_file() {
    let env = Env {
        data_dir: tempfile::tempdir().expect("tmp"),
        database_url: None,
    };
    let (_, key) = admin_flow(&env);
    assert!(
        env.data_dir.path().join("secret.key").exists(),
        "a key was generated for sealing tokens"
    );
    assert_no_secret(&read_sqlite_files(env.data_dir.path()), &key);

    // An admin command on an explicit URL to a missing file is an error, not a new
    // empty database.
    let missing = env.data_dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    env.fails(
        &[
            "admin",
            "org",
            "create",
            "--name",
            "X",
            "--database-url",
            &url,
        ],
        1,
        &format!(
            "no database at {} — run `wakit migrate` first",
            missing.display()
        ),
    );
    assert!(!missing.exists());
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A fresh operator picks where the database lives: `wakit migrate` creates the file and
/// its directories (private to the owner), then the admin commands use it.
#[test]
fn migrate_creates_an_explicit_sqlite_database() {
    let env = Env {
        data_dir: tempfile::tempdir().expect("tmp"),
        database_url: None,
    };
    for (dir, query) in [("var/lib/wakit", ""), ("other", "?mode=rwc")] {
        let path = env.data_dir.path().join(dir).join("wakit.db");
        let url = format!("sqlite://{}{query}", path.display());
        let out = env.wakit(&["migrate", "--database-url", &url]);
        assert!(
            out.status.success(),
            "migrate {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(path.exists(), "{url} created");
        let org = env.ok_json(&[
            "admin",
            "org",
            "create",
            "--name",
            "Ops",
            "--json",
            "--database-url",
            &url,
        ]);
        assert!(org["id"].is_string());
        #[cfg(unix)]
        {
            assert_eq!(
                mode_of(path.parent().expect("dir")),
                0o700,
                "{url}: directory"
            );
            for suffix in ["", "-wal", "-shm"] {
                let file = format!("{}{suffix}", path.display());
                if Path::new(&file).exists() {
                    assert_eq!(mode_of(Path::new(&file)), 0o600, "{file}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_flow_on_postgres() {
    let Some(ts) = TestStore::fresh(Backend::Postgres).await else {
        return;
    };
    let url = ts.url.clone();
    let env = Env {
        data_dir: tempfile::tempdir().expect("tmp"),
        database_url: Some(url.clone()),
    };
    let (_, key) = tokio::task::spawn_blocking(move || {
        let k = admin_flow(&env);
        drop(env);
        k
    })
    .await
    .expect("join");

    // A logical dump of every table, as text.
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut dump = String::new();
    for (t,) in tables {
        let (rows,): (Option<String>,) =
            sqlx::query_as(&format!("SELECT json_agg(t)::text FROM \"{t}\" t"))
                .fetch_one(&pool)
                .await
                .expect("dump table");
        dump.push_str(&rows.unwrap_or_default());
    }
    assert!(dump.contains("238013449404478"), "the dump sees the data");
    assert_no_secret(dump.as_bytes(), &key);
    pool.close().await;
}
