//! SQLite contact search: the gram table follows every write, the searches run on their
//! indexes, and one organization's rows are never examined by another's search
//! (counted in SQLite virtual-machine steps, which grow with every row a statement
//! reads, whatever the timing).

use std::path::Path;

use chrono::{TimeZone, Utc};
use rusqlite::types::Value;
use rusqlite::{OpenFlags, StatementStatus};
use wakit_core::{MessageContent, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::{
    AccountStore, ContactQuery, ContactStore, InboundMessage, MessageStore, NewAccount,
    NewOutgoing, OrgStore, Priority,
};

use crate::SqliteStore;
use crate::contacts::{Arg, SearchSql, bind, search_sql};
use crate::tests::{fresh, phone};

async fn names(store: &SqliteStore, org: OrgId, name: &str) -> Vec<String> {
    let q = ContactQuery {
        name: Some(name.into()),
        number: None,
        limit: 10,
    };
    let hits = store.search_contacts(org, q).await.expect("search");
    hits.into_iter()
        .map(|h| h.name.unwrap_or_default())
        .collect()
}

/// The gram table holds exactly the grams of every active address (nothing missing,
/// nothing left over).
async fn grams_integrity(store: &SqliteStore) {
    let expected = "SELECT o.n, v.gram, ca.search_name, ca.address, ca.rid \
         FROM contacts_addresses ca \
         JOIN contacts_search_orgs o ON o.organization_id = ca.organization_id \
         JOIN contacts_addresses_grams v ON v.rid = ca.rid";
    let stored = "SELECT org, gram, search_name, address, rid FROM contacts_grams";
    for (a, b) in [(expected, stored), (stored, expected)] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM ({a} EXCEPT {b})"))
            .fetch_one(&store.writer)
            .await
            .expect("compare");
        assert_eq!(n, 0, "rows of\n{a}\nmissing from\n{b}");
    }
}

async fn org_with_account(store: &SqliteStore, name: &str) -> (OrgId, wakit_core::AccountId) {
    let org = store.create_org(name, "UTC").await.expect("org").id;
    let account = NewAccount {
        phone: phone("15550001111"),
        name: "n".into(),
        phone_number_id: format!("pnid-{name}"),
        waba_id: "w".into(),
        access_token: SealedSecret(vec![1, 2, 3]),
    };
    (
        org,
        store.add_account(org, account).await.expect("account").id,
    )
}

#[tokio::test]
async fn grams_follow_name_changes_status_and_deletes() {
    let (_dir, store) = fresh().await;
    let (org, account) = org_with_account(&store, "O").await;
    // An outgoing message creates the address with no name.
    let out = NewOutgoing {
        account_id: account,
        to: phone("5215551234567").into(),
        content: MessageContent::text("hola"),
        scheduled_at: None,
        agent_id: None,
        priority: Priority::Normal,
        idempotency: None,
    };
    store.enqueue_outgoing(org, out).await.expect("enqueue");
    assert!(names(&store, org, "maria").await.is_empty());
    grams_integrity(&store).await;
    // The contact answers with a profile name: the search name changes, and the grams too.
    let inbound = InboundMessage {
        account_id: account,
        from: phone("525551234567").into(),
        profile_name: Some("María García".into()),
        wamid: "wamid.1".into(),
        timestamp: Utc.timestamp_opt(1_700_000_000, 0).single().expect("time"),
        content: MessageContent::text("hola"),
    };
    store.ingest_inbound(org, inbound).await.expect("ingest");
    assert_eq!(names(&store, org, "mari").await, ["María García"]);
    assert_eq!(names(&store, org, "garc").await, ["María García"]);
    grams_integrity(&store).await;

    let write = |sql: &'static str| {
        let store = &store;
        async move {
            sqlx::query(sql)
                .bind(org.to_string())
                .execute(&store.writer)
                .await
                .expect(sql);
            grams_integrity(store).await;
        }
    };
    write("UPDATE contacts_addresses SET search_name = 'zoe' WHERE organization_id = ?1").await;
    assert!(
        names(&store, org, "maria").await.is_empty(),
        "old name left the index"
    );
    assert_eq!(names(&store, org, "zoe").await.len(), 1);
    write("UPDATE contacts_addresses SET status = 'blocked' WHERE organization_id = ?1").await;
    assert!(
        names(&store, org, "zoe").await.is_empty(),
        "only active ones"
    );
    write("UPDATE contacts_addresses SET status = 'active' WHERE organization_id = ?1").await;
    assert_eq!(names(&store, org, "zoe").await.len(), 1);
    write("DELETE FROM contacts_addresses WHERE organization_id = ?1").await;
    assert!(names(&store, org, "zoe").await.is_empty());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts_grams")
        .fetch_one(&store.writer)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

fn query(name: Option<&str>, number: Option<&str>) -> ContactQuery {
    ContactQuery {
        name: name.map(String::from),
        number: number.map(String::from),
        limit: 10,
    }
}

#[tokio::test]
async fn searches_use_their_indexes() {
    let (_dir, store) = fresh().await;
    let plan = |search: SearchSql| {
        let pool = store.reader.clone();
        async move {
            let explain = format!("EXPLAIN QUERY PLAN {}", search.sql);
            let rows: Vec<(i64, i64, i64, String)> = bind(&explain, &search.args)
                .fetch_all(&pool)
                .await
                .expect("plan")
                .iter()
                .map(|r| {
                    use sqlx::Row;
                    (r.get(0), r.get(1), r.get(2), r.get(3))
                })
                .collect();
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
        }
    };
    let org = OrgId::new();
    let grams = plan(search_sql(org, &query(Some("maria"), Some("5512"))).expect("sql")).await;
    assert!(
        grams.starts_with("SEARCH g USING PRIMARY KEY (org=? AND gram=?)"),
        "one organization's range of one gram drives: {grams}"
    );
    assert_eq!(
        grams.matches("TEMP B-TREE").count(),
        1,
        "only the query's grams are sorted (by count), never the rows: {grams}"
    );
    assert!(
        !grams.contains("SCAN g") && !grams.contains("SCAN ca"),
        "{grams}"
    );
    let walk = plan(search_sql(org, &query(Some("ma"), None)).expect("sql")).await;
    assert!(
        walk.contains(
            "COVERING INDEX contacts_addresses_search_idx (organization_id=? AND status=?)"
        ),
        "{walk}"
    );
    assert_eq!(
        walk.matches("TEMP B-TREE").count(),
        1,
        "only the winners are sorted: {walk}"
    );
}

/// Runs `search` on its own connection: the virtual-machine steps it took and the
/// wa_ids it answered.
fn examined(path: &Path, search: &SearchSql) -> (i32, Vec<String>) {
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open");
    let mut stmt = conn.prepare(search.sql).expect("prepare");
    let args = search.args.iter().map(|a| match a {
        Arg::Text(s) => Value::Text(s.clone()),
        Arg::Int(n) => Value::Integer(*n),
        Arg::Null => Value::Null,
    });
    let hits = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            r.get::<_, String>("wa_id")
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    (stmt.get_status(StatementStatus::VmStep), hits)
}

/// The shared FTS5 index made org B's search read every org-A row matching its terms
/// (then drop them on the organization filter). Now org B's searches take the same
/// steps, and answer the same, before and after org A gains 400 contacts matching
/// every term. (A range read ends by looking at the first entry past it: orgs A and C
/// hold rows on both sides of B's from the start, so that entry always exists.)
#[tokio::test]
async fn another_orgs_rows_are_never_examined() {
    let (dir, store) = fresh().await;
    let path = dir.path().join("w.db");
    let (org_a, _) = org_with_account(&store, "A").await;
    let (org_b, _) = org_with_account(&store, "B").await;
    let (org_c, _) = org_with_account(&store, "C").await;
    let add = |org: OrgId, address: String, name: String| {
        sqlx::query(
            "INSERT INTO contacts_addresses (organization_id, address, wa_id, search_name, \
             created_at, updated_at) VALUES (?1, ?2, ?2, ?3, 0, 0)",
        )
        .bind(org.to_string())
        .bind(address)
        .bind(name)
        .execute(&store.writer)
    };
    let everything = "amar maria garcia azul li";
    add(org_a, "5215551299999".into(), everything.into())
        .await
        .expect("a");
    for (address, name) in [("5215551230001", "mar azul"), ("5215551230002", "li")] {
        add(org_b, address.into(), name.into()).await.expect("b");
    }
    add(org_c, "5215551299999".into(), everything.into())
        .await
        .expect("c");
    let searches: Vec<SearchSql> = [
        query(Some("mar"), None),
        query(Some("maria garcia"), None),
        query(Some("ma"), None),
        query(None, Some("55512300")),
        query(None, Some("99999")),
        query(Some("azul"), Some("0001")),
        query(None, None),
    ]
    .iter()
    .map(|q| search_sql(org_b, q).expect("sql"))
    .collect();
    let before: Vec<_> = searches.iter().map(|s| examined(&path, s)).collect();
    assert_eq!(before[0].1, ["5215551230001"]);
    assert!(before[4].1.is_empty());

    for i in 0..400 {
        let name = format!("amar maria garcia azul {i}");
        add(org_a, format!("52155512{i:05}"), name)
            .await
            .expect("a");
    }
    add(org_a, "5219999900000".into(), "x".into())
        .await
        .expect("a");
    grams_integrity(&store).await;
    for (search, before) in searches.iter().zip(&before) {
        assert_eq!(
            &examined(&path, search),
            before,
            "org A's rows were examined by org B's search {:?}",
            search.args
        );
    }
    // Org A's own search does read its rows.
    let a = search_sql(org_a, &query(Some("mar"), None)).expect("sql");
    assert_eq!(examined(&path, &a).1.len(), 10);
}
