//! Connection options, error mapping and migrations.

use std::time::{Duration as StdDuration, Instant};

use serde_json::json;
use sqlx::Row;
use wakit_core::{MessageContent, OrgId};
use wakit_store::*;

use super::{TestDb, at, new_account, org_with_account, outgoing};
use crate::error::{DbResultExt, db_err};
use crate::{PgOptions, PgStore};

#[tokio::test]
async fn statement_timeout_is_set_on_every_connection() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let options = PgOptions {
        max_connections: 3,
        acquire_timeout: StdDuration::from_secs(5),
        statement_timeout: Some(StdDuration::from_millis(250)),
    };
    let store = db.store(options).await;
    // Hold three connections at once so each one is checked, not one reused.
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(store.pool().acquire().await.expect("acquire"));
    }
    for c in &mut conns {
        let row = sqlx::query("SHOW statement_timeout")
            .fetch_one(&mut **c)
            .await
            .expect("show");
        assert_eq!(row.get::<String, _>(0), "250ms");
    }
    let started = Instant::now();
    let err = sqlx::query("SELECT pg_sleep(5)")
        .execute(&mut *conns[0])
        .await
        .expect_err("cancelled");
    assert!(
        started.elapsed() < StdDuration::from_secs(3),
        "the server cancelled the statement"
    );
    assert!(
        matches!(db_err(err), StoreError::Unavailable(_)),
        "a timed-out statement is retryable"
    );
    // The pool is exhausted: a further call waits acquire_timeout, then is Unavailable.
    drop(conns);

    let untimed = PgStore::connect(
        &db.url,
        PgOptions {
            statement_timeout: None,
            max_connections: 1,
            ..PgOptions::default()
        },
    )
    .await
    .expect("connect");
    let row = sqlx::query("SHOW statement_timeout")
        .fetch_one(untimed.pool())
        .await
        .expect("show");
    assert_eq!(
        row.get::<String, _>(0),
        "0",
        "None leaves the server default"
    );
    assert_eq!(store.backend(), "postgres");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn pool_exhaustion_and_unreachable_server_are_unavailable() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let options = PgOptions {
        max_connections: 1,
        acquire_timeout: StdDuration::from_millis(300),
        ..PgOptions::default()
    };
    let store = db.store(options).await;
    let held = store.pool().acquire().await.expect("acquire");
    let err = store
        .get_org(OrgId::new())
        .await
        .expect_err("no free connection");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    drop(held);
    assert!(matches!(
        store.get_org(OrgId::new()).await,
        Err(StoreError::NotFound("organization"))
    ));

    let refused = PgStore::connect(
        "postgres://postgres@127.0.0.1:1/none",
        PgOptions {
            acquire_timeout: StdDuration::from_secs(2),
            ..PgOptions::default()
        },
    )
    .await
    .expect_err("nothing listens on port 1");
    assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");
    let bad = PgStore::connect("postgres://u@h:notaport/db", PgOptions::default())
        .await
        .expect_err("bad url");
    assert!(matches!(bad, StoreError::Other(_)), "{bad:?}");
}

#[tokio::test]
async fn constraint_violations_map_by_constraint_name() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(PgOptions::default()).await;
    let (org, acct) = org_with_account(&store, "pnid-1").await;

    // Through the store API.
    let dup = store.add_account(org, new_account("pnid-1")).await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(ConflictKey::PhoneNumberId))),
        "{dup:?}"
    );
    let orphan = store.add_account(OrgId::new(), new_account("pnid-2")).await;
    assert!(
        matches!(orphan, Err(StoreError::NotFound("organization"))),
        "{orphan:?}"
    );
    let a = store
        .enqueue_outgoing(org, outgoing(&acct, "15550001111"))
        .await
        .expect("a");
    let b = store
        .enqueue_outgoing(org, outgoing(&acct, "15550001111"))
        .await
        .expect("b");
    store
        .mark_sent(org, a.message.id, "wamid.same", at(1))
        .await
        .expect("sent");
    let clash = store
        .mark_sent(org, b.message.id, "wamid.same", at(1))
        .await;
    assert!(
        matches!(clash, Err(StoreError::Conflict(ConflictKey::Wamid))),
        "{clash:?}"
    );
    let job = store
        .enqueue_job(NewJob {
            org_id: Some(OrgId::new()),
            kind: "k".into(),
            payload: json!({}),
            run_at: at(0),
            priority: 0,
        })
        .await;
    assert!(
        matches!(job, Err(StoreError::NotFound("organization"))),
        "{job:?}"
    );

    // Raw statements: the mapping looks at the constraint, not the message text.
    let raw = sqlx::query("UPDATE messages SET external_id = 'wamid.same' WHERE id = $1")
        .bind(b.message.id.0)
        .execute(store.pool())
        .await
        .expect_err("unique");
    assert!(matches!(
        db_err(raw),
        StoreError::Conflict(ConflictKey::Wamid)
    ));
    let other_unique = sqlx::query("INSERT INTO secrets (organization_id, owner_id, name, sealed) VALUES ($1, $2, 'access_token', '\\x00')")
        .bind(org.0)
        .bind(acct.id.0)
        .execute(store.pool())
        .await
        .expect_err("duplicate secret");
    assert!(
        matches!(db_err(other_unique), StoreError::Other(_)),
        "an unnamed rule is not a known conflict"
    );
    let bad_json = sqlx::query("SELECT '{\"kind\": 7}'::jsonb AS m_content")
        .fetch_one(store.pool())
        .await
        .expect("row");
    let decoded = bad_json
        .try_get::<sqlx::types::Json<MessageContent>, _>("m_content")
        .db();
    assert!(
        matches!(decoded, Err(StoreError::Corrupt(_))),
        "{decoded:?}"
    );
    // The failure names the statement that failed and keeps sqlx's error as its cause.
    let failure = decoded
        .err()
        .and_then(|e| e.failure().map(ToString::to_string));
    let failure = failure.unwrap_or_default();
    assert!(failure.contains("src/tests/connect.rs:"), "{failure}");
}

#[tokio::test]
async fn migrations_are_repeatable_and_safe_to_race() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let a = PgStore::connect(&db.url, PgOptions::default())
        .await
        .expect("a");
    let b = PgStore::connect(&db.url, PgOptions::default())
        .await
        .expect("b");
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.expect("migrate a");
    rb.expect("migrate b");
    a.migrate().await.expect("again");
    let versions: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(a.pool())
        .await
        .expect("versions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let shipped: Vec<i64> = sqlx::migrate!("./migrations")
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, shipped, "every shipped migration applied once");
    assert_eq!(shipped.first(), Some(&1));
}
