//! Query plans: the hot queries are served by their indexes.

use sqlx::{Executor, Row};
use wakit_store::*;

use super::TestDb;
use crate::scope::{self, Scope};
use crate::{PgOptions, PgStore};

/// Contact search at scale: selective `LIKE '%part%'` patterns are answered from the
/// pg_trgm GIN indexes, the unfiltered list from the ordered btree (no sort).
#[tokio::test]
async fn contact_search_uses_trigram_indexes() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(PgOptions::default()).await;
    let org = store.create_org("Big", "UTC").await.expect("org").id;
    let other = store.create_org("Other", "UTC").await.expect("org").id;
    sqlx::query(
        "INSERT INTO contacts_addresses (organization_id, address, wa_id, search_name) \
         SELECT CASE WHEN g % 2 = 0 THEN $1 ELSE $2 END, (15550000000 + g)::text, \
                (15550000000 + g)::text, md5(g::text) \
         FROM generate_series(1, 40000) g",
    )
    .bind(org.0)
    .bind(other.0)
    .execute(store.pool())
    .await
    .expect("seed");
    sqlx::query("ANALYZE contacts_addresses")
        .execute(store.pool())
        .await
        .expect("analyze");
    let plans = [
        (
            "ca.search_name LIKE '%c4ca42%' ESCAPE '\\'",
            "contacts_addresses_search_name_trgm",
        ),
        (
            "(ca.address LIKE '%550031234%' ESCAPE '\\' OR ca.wa_id LIKE '%550031234%' ESCAPE '\\')",
            "contacts_addresses_wa_id_trgm",
        ),
        ("true", "contacts_addresses_search_order_idx"),
    ];
    for (filter, index) in plans {
        let sql = format!(
            "EXPLAIN SELECT ca.address FROM contacts_addresses ca \
             WHERE ca.organization_id = '{}' AND ca.status = 'active' AND {filter} \
             ORDER BY ca.search_name, ca.address LIMIT 20",
            org.0
        );
        let plan = explain(&store, None, &sql, false).await;
        assert!(plan.contains(index), "{filter} should use {index}:\n{plan}");
    }
    let hits = store
        .search_contacts(
            org,
            ContactQuery {
                name: None,
                number: Some("555 0031".into()),
                limit: 5,
            },
        )
        .await
        .expect("search");
    assert_eq!(hits.len(), 5);
    assert!(hits.iter().all(|h| h.phone.as_str().contains("5550031")));
}

/// The list, paging and service-window queries can be served by their indexes
/// (sequential scans and sorts disabled, so this holds on an empty table).
#[tokio::test]
async fn hot_message_queries_use_their_indexes() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(PgOptions::default()).await;
    let org = store.create_org("Org", "UTC").await.expect("org").id;
    let id = uuid::Uuid::nil();
    let plans = [
        (
            format!(
                "SELECT id FROM conversations WHERE account_id = '{id}' AND status = 'active' \
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 20"
            ),
            "conversations_list_idx",
        ),
        (
            format!(
                "SELECT id FROM messages WHERE conversation_id = '{id}' AND direction <> 'internal' \
                     ORDER BY \"timestamp\" DESC, id DESC LIMIT 51"
            ),
            "messages_conversation_idx",
        ),
        (
            format!(
                "SELECT \"timestamp\" FROM messages WHERE account_id = '{id}' AND contact_address = 'x' \
                     AND direction = 'incoming' ORDER BY \"timestamp\" DESC LIMIT 1"
            ),
            "messages_incoming_idx",
        ),
    ];
    for (sql, index) in plans {
        let plan = explain(
            &store,
            Some(Scope::Org(org)),
            &format!("EXPLAIN {sql}"),
            true,
        )
        .await;
        assert!(
            plan.contains(index) && !plan.contains("Sort"),
            "{sql}\nshould use {index}:\n{plan}"
        );
    }
}

/// The plan of `sql` as the store runs it: as wakit_app in `scope` (the row-level
/// security policies are part of the plan), or as the tables' owner (`None`: what
/// `wakit_search_contacts`, a SECURITY DEFINER function, sees).
async fn explain(store: &PgStore, scope: Option<Scope>, sql: &str, force_index: bool) -> String {
    let mut tx = match scope {
        Some(scope) => scope::begin(store.pool(), scope).await.expect("begin"),
        None => store.pool().begin().await.expect("begin"),
    };
    if force_index {
        tx.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
            .await
            .expect("set");
    }
    let rows = sqlx::query(sql).fetch_all(&mut *tx).await.expect("explain");
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}
