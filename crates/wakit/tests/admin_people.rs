//! `wakit admin user ...` and `wakit admin supabase-keys` through the real binary, on a
//! fresh SQLite file and on PostgreSQL: a user created with a password from stdin (and a
//! membership), listed without secrets, a taken address and a weak password refused;
//! the keys are JWTs of the anon and service roles.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod procs;

use std::io::Write;
use std::process::{Output, Stdio};
use wakit_store_tests::{Backend, TestStore};

struct Env {
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Env {
    fn wakit(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = procs::wakit();
        cmd.args(args)
            .env("WAKIT_DATA_DIR", self.data_dir.path())
            .env_remove("WAKIT_SECRET_KEY")
            .env_remove("WAKIT_JWT_SECRET")
            .env_remove("WAKIT_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = &self.database_url {
            cmd.env("WAKIT_DATABASE_URL", url)
                .env("WAKIT_SECRET_KEY", "cd".repeat(32));
        }
        let mut child = cmd.spawn().expect("run wakit");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        child.wait_with_output().expect("wait wakit")
    }

    fn ok_json(&self, args: &[&str], stdin: &str) -> serde_json::Value {
        let out = self.wakit(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON output")
    }
}

/// The payload of a JWT (not verified: the server tests do that).
fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn people_flow(env: &Env) {
    let keys = env.ok_json(&["admin", "supabase-keys", "--json"], "");
    assert_eq!(claims(keys["anon"].as_str().unwrap())["role"], "anon");
    assert_eq!(claims(keys["anon"].as_str().unwrap())["iss"], "supabase");
    assert_eq!(
        claims(keys["service_role"].as_str().unwrap())["role"],
        "service_role"
    );

    let org = env.ok_json(&["admin", "org", "create", "--name", "Mirlo", "--json"], "");
    let org = org["id"].as_str().unwrap();
    let user = env.ok_json(
        &[
            "admin",
            "user",
            "create",
            "--email",
            "Ana@Example.com",
            "--password-stdin",
            "--org",
            org,
            "--role",
            "owner",
            "--json",
        ],
        "a long password\n",
    );
    assert_eq!(user["email"], "ana@example.com");
    let list = env.ok_json(&["admin", "user", "list", "--json"], "");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], user["id"]);
    assert!(!list.to_string().contains("password"), "{list}");

    let dup = env.wakit(
        &[
            "admin",
            "user",
            "create",
            "--email",
            "ana@EXAMPLE.com",
            "--password-stdin",
        ],
        "another long password\n",
    );
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists"));
    let weak = env.wakit(
        &[
            "admin",
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(weak.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too weak"));

    // The org's only owner is not deleted; once another owner exists, she is.
    let last = env.wakit(&["admin", "user", "delete", "ana@example.com"], "");
    assert_eq!(last.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&last.stderr).contains("last owner"));
    let args = [
        "admin",
        "user",
        "create",
        "--email",
        "bob@example.com",
        "--password-stdin",
        "--org",
        org,
        "--role",
        "owner",
        "--json",
    ];
    env.ok_json(&args, "a long password\n");
    let id = user["id"].as_str().unwrap();
    let gone = env.ok_json(&["admin", "user", "delete", id, "--json"], "");
    assert_eq!(gone, serde_json::json!({"id": id, "deleted": true}));
    let list = env.ok_json(&["admin", "user", "list", "--json"], "");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let again = env.wakit(&["admin", "user", "delete", id], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no user"));
}

#[test]
fn people_on_a_fresh_sqlite_file() {
    let env = Env {
        data_dir: tempfile::tempdir().expect("tmp"),
        database_url: None,
    };
    let created = env.ok_json(&["admin", "org", "create", "--name", "First", "--json"], "");
    assert!(created["id"].is_string());
    people_flow(&env);
}

#[tokio::test(flavor = "multi_thread")]
async fn people_on_postgres() {
    let Some(ts) = TestStore::fresh(Backend::Postgres).await else {
        return;
    };
    let env = Env {
        data_dir: tempfile::tempdir().expect("tmp"),
        database_url: Some(ts.url.clone()),
    };
    tokio::task::spawn_blocking(move || people_flow(&env))
        .await
        .expect("join");
}
