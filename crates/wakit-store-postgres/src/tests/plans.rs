//! Query plans: the hot queries are served by their indexes.

use sqlx::{Executor, Row};
use wakit_store::*;

use super::TestDb;
use crate::scope::{self, Scope};
use crate::{PgOptions, PgStore};
use wakit_core::OrgId;

/// Contact search at scale: selective `LIKE '%part%'` patterns are answered from the
/// organization-scoped trigram GIN indexes (btree_gin, migration 0018) with the
/// organization inside the index condition, the unfiltered list from the ordered btree
/// (no sort).
#[tokio::test]
async fn contact_search_uses_org_scoped_trigram_indexes() {
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
            "contacts_addresses_org_name_trgm",
        ),
        (
            "ca.address LIKE '%550031234%' ESCAPE '\\'",
            "contacts_addresses_org_address_trgm",
        ),
        ("true", "contacts_addresses_search_order_idx"),
    ];
    for (filter, index) in plans {
        let sql = format!("EXPLAIN {}", search(org, filter));
        let plan = explain(&store, None, &sql, "").await;
        let (_, used) = plan
            .split_once(index)
            .unwrap_or_else(|| panic!("{filter} should use {index}:\n{plan}"));
        let cond = used.lines().nth(1).unwrap_or_default();
        assert!(
            cond.contains("Index Cond: ((organization_id =") || filter == "true",
            "the organization is part of the index condition:\n{plan}"
        );
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

/// `wakit_search_contacts`' query (migration 0009) for `org` with `filter`.
fn search(org: OrgId, filter: &str) -> String {
    format!(
        "SELECT ca.contact_id FROM contacts_addresses ca \
         WHERE ca.organization_id = '{}' AND ca.status = 'active' AND {filter} \
         ORDER BY ca.search_name, ca.address LIMIT 20",
        org.0
    )
}

/// One organization's search reads none of another's index entries. With the btree
/// paths hidden (in a transaction rolled back after) the trigram indexes are the only
/// way in: for an organization with one contact they return at most that one entry,
/// however many of another organization's rows match. 0003's shared indexes returned
/// every one of them, to be dropped by the organization filter after.
#[tokio::test]
async fn contact_search_reads_no_other_orgs_index_entries() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(PgOptions::default()).await;
    let big = store.create_org("Big", "UTC").await.expect("org").id;
    let small = store.create_org("Small", "UTC").await.expect("org").id;
    sqlx::query(
        "INSERT INTO contacts_addresses (organization_id, address, wa_id, search_name) \
         SELECT $1, (5215500000000 + g)::text, (5215500000000 + g)::text, 'maria garcia ' || g \
         FROM generate_series(1, 5000) g \
         UNION ALL SELECT $2, '5215600000001', '5215600000001', 'jose lopez'",
    )
    .bind(big.0)
    .bind(small.0)
    .execute(store.pool())
    .await
    .expect("seed");
    sqlx::query("ANALYZE contacts_addresses")
        .execute(store.pool())
        .await
        .expect("analyze");
    let hide_btrees = "DROP INDEX contacts_addresses_search_order_idx; \
         ALTER TABLE contacts_addresses DROP CONSTRAINT contacts_addresses_pkey; \
         SET LOCAL enable_seqscan = off";
    for (org, filter, entries) in [
        (small, "ca.search_name LIKE '%garcia%'", 1),
        (small, "ca.address LIKE '%2155000%'", 1),
        (big, "ca.search_name LIKE '%garcia 4999%'", 1),
    ] {
        let sql = format!(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {}",
            search(org, filter)
        );
        let plan = explain(&store, None, &sql, hide_btrees).await;
        assert!(
            plan.contains("Index Scan on contacts_addresses_org_"),
            "{filter}: an org-scoped trigram index serves:\n{plan}"
        );
        for line in plan.lines().filter(|l| l.contains("Index Scan")) {
            let rows: u64 = line
                .split_once("actual rows=")
                .and_then(|(_, r)| r.split(' ').next()?.parse().ok())
                .unwrap_or_else(|| panic!("rows in {line}"));
            assert!(
                rows <= entries,
                "{filter}: at most {entries} index entries (its own), not another org's:\n{plan}"
            );
        }
    }
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
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off",
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
/// `wakit_search_contacts`, a SECURITY DEFINER function, sees), after `setup` in the
/// same transaction (rolled back: planner settings, hidden indexes).
async fn explain(store: &PgStore, scope: Option<Scope>, sql: &str, setup: &str) -> String {
    let mut tx = match scope {
        Some(scope) => scope::begin(store.pool(), scope).await.expect("begin"),
        None => store.pool().begin().await.expect("begin"),
    };
    if !setup.is_empty() {
        tx.execute(setup).await.expect("setup");
    }
    let rows = sqlx::query(sql).fetch_all(&mut *tx).await.expect("explain");
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}
