//! SQLite-specific tests. Behaviour shared with Postgres is checked by the conformance
//! suite in `wakit-store-tests`.

use chrono::{TimeZone, Utc};
use sqlx::Row;
use wakit_core::{MessageContent, Phone};
use wakit_store::secrets::SealedSecret;
use wakit_store::{
    AccountStore, InboundMessage, MessageStore, NewAccount, OrgStore, Store, StoreError,
};

use crate::SqliteStore;
use crate::conversations::{list_sql, page_sql};

pub(crate) async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let store = SqliteStore::open(&url, true).await.expect("open");
    store.migrate().await.expect("migrate");
    (dir, store)
}

pub(crate) fn phone(s: &str) -> Phone {
    Phone::parse(s).expect("phone")
}

async fn pragma(pool: &sqlx::SqlitePool, name: &str) -> String {
    let row = sqlx::query(&format!("PRAGMA {name}"))
        .fetch_one(pool)
        .await
        .expect("pragma");
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
        .expect("pragma value")
}

#[tokio::test]
async fn missing_file_without_create_is_unavailable_and_names_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope").join("wakit.db");
    let err = SqliteStore::open(&format!("sqlite://{}", path.display()), false)
        .await
        .expect_err("missing");
    match err {
        StoreError::Unavailable(f) => {
            assert!(f.message().contains(&path.display().to_string()), "{f}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(!path.exists(), "nothing created");
}

#[tokio::test]
async fn missing_file_with_create_makes_it_and_its_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a").join("b").join("wakit.db");
    let store = SqliteStore::open(&format!("sqlite:{}", path.display()), true)
        .await
        .expect("created");
    store.migrate().await.expect("migrate");
    store.ping().await.expect("ping");
    assert!(path.exists());
    drop(store);
    let again = SqliteStore::open(&format!("sqlite://{}", path.display()), false)
        .await
        .expect("reopen");
    again.migrate().await.expect("migrations are idempotent");
    assert_eq!(again.backend(), "sqlite");
    assert!(matches!(
        SqliteStore::open("sqlite::memory:", true).await,
        Err(StoreError::Other(_))
    ));
}

#[tokio::test]
async fn pragmas_are_set_on_both_pools() {
    let (_dir, store) = fresh().await;
    for pool in [&store.writer, &store.reader] {
        assert_eq!(pragma(pool, "journal_mode").await, "wal");
        assert_eq!(pragma(pool, "foreign_keys").await, "1");
        assert_eq!(pragma(pool, "synchronous").await, "2", "FULL");
        assert_eq!(pragma(pool, "busy_timeout").await, "5000");
    }
    assert_eq!(
        store.writer.options().get_max_connections(),
        1,
        "one writer"
    );
    let write = sqlx::query("CREATE TABLE t (x)")
        .execute(&store.reader)
        .await;
    assert!(write.is_err(), "readers are query-only");
}

#[tokio::test]
async fn hot_queries_use_their_indexes() {
    let (_dir, store) = fresh().await;
    let plan = |sql: String, args: usize| {
        let pool = store.reader.clone();
        async move {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
            for _ in 0..args {
                q = q.bind(1_i64);
            }
            let rows = q.fetch_all(&pool).await.expect("plan");
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
        }
    };
    let list = plan(list_sql(), 3).await;
    assert!(list.contains("conversations_list_idx"), "{list}");
    assert!(!list.contains("TEMP B-TREE"), "no sort: {list}");
    assert!(!list.contains("SCAN m"), "no scan of messages: {list}");
    for cursor in [false, true] {
        let page = plan(page_sql(cursor), if cursor { 5 } else { 3 }).await;
        assert!(page.contains("messages_conversation_time_idx"), "{page}");
        assert!(!page.contains("TEMP B-TREE"), "no sort: {page}");
    }
}

#[tokio::test]
async fn a_failing_batch_stores_nothing() {
    let (_dir, store) = fresh().await;
    let org = store.create_org("O", "UTC").await.expect("org").id;
    let account = NewAccount {
        phone: phone("15550001111"),
        name: "n".into(),
        phone_number_id: "pnid".into(),
        waba_id: "w".into(),
        access_token: SealedSecret(vec![1]),
    };
    let account = store.add_account(org, account).await.expect("account").id;
    let msg = |wamid: &str, account| InboundMessage {
        account_id: account,
        from: phone("15550002222").into(),
        profile_name: None,
        wamid: wamid.into(),
        timestamp: Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"),
        content: MessageContent::text("hola"),
    };
    let foreign = wakit_core::AccountId::new();
    let bad = vec![(org, msg("w1", account)), (org, msg("w2", foreign))];
    assert!(matches!(
        store.ingest_inbound_batch(bad).await,
        Err(StoreError::NotFound("account"))
    ));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&store.reader)
        .await
        .expect("count");
    assert_eq!(count, 0, "the whole batch rolled back");

    let good = vec![
        (org, msg("w1", account)),
        (org, msg("w1", account)),
        (org, msg("w2", account)),
    ];
    let got = store.ingest_inbound_batch(good).await.expect("batch");
    assert_eq!(
        got.iter().map(|g| g.created).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(got[0].message_id, got[1].message_id);
}

#[tokio::test]
async fn a_newer_schema_is_reported_as_corrupt() {
    let (_dir, store) = fresh().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&store.writer)
    .await
    .expect("fake migration");
    assert!(matches!(store.migrate().await, Err(StoreError::Corrupt(_))));
}
