//! Row-level security (migration 0007): as `wakit_app`, a query sees and writes only the
//! rows of the organization its transaction is scoped to, and nothing without a scope.

use serde_json::json;
use sqlx::{PgConnection, Row};
use wakit_core::{MessageContent, MessageStatus, OrgId, Phone, Role};
use wakit_store::secrets::KeyHash;
use wakit_store::*;

use super::{TestDb, at, org_with_account, outgoing};
use crate::PgStore;
use crate::scope::{self, Scope, Tx};

/// The tables under row-level security: every table with an organization_id column
/// but the job queue, and organizations (keyed by its own id), read from the catalog.
/// (`jobs` and `event_counters` are the workers' and the event trigger's own: no tenant
/// data, only queue rows and each org's next event number.)
async fn tenant_tables(store: &PgStore) -> Vec<(String, &'static str)> {
    let mut tables: Vec<(String, &'static str)> = sqlx::query(
        "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'organization_id' \
           AND table_name NOT IN ('jobs', 'event_counters') ORDER BY table_name",
    )
    .fetch_all(store.pool())
    .await
    .expect("tables")
    .iter()
    .map(|r| (r.get(0), "organization_id"))
    .collect();
    tables.push(("organizations".into(), "id"));
    tables
}

/// One org with a row in every tenant table: through the store where it has a method,
/// directly (as the test's superuser) for the tables it does not write yet.
async fn populated_org(store: &PgStore, pnid: &str) -> OrgId {
    let (org, account) = org_with_account(store, pnid).await;
    let mut send = outgoing(&account, "5215511112222");
    send.idempotency = Some(Idempotency {
        key: format!("k-{pnid}"),
        request_hash: "h".into(),
    });
    store.enqueue_outgoing(org, send).await.expect("enqueue");
    let inbound = InboundMessage {
        account_id: account.id,
        from: Phone::parse("5215533334444").expect("phone").into(),
        profile_name: Some("Ana".into()),
        wamid: format!("wamid.in.{pnid}"),
        timestamp: at(1),
        content: MessageContent::text("hola"),
    };
    store.ingest_inbound(org, inbound).await.expect("ingest");
    let unknown = StatusUpdate {
        account_id: account.id,
        wamid: format!("wamid.unknown.{pnid}"),
        status: MessageStatus::Delivered,
        at: at(2),
        error: None,
    };
    store.apply_status(org, unknown).await.expect("status");
    let template = TemplateRecord {
        id: format!("t-{pnid}"),
        name: "welcome".into(),
        language: "es".into(),
        status: "APPROVED".into(),
        category: "UTILITY".into(),
        components: json!([]),
    };
    store
        .upsert_template(org, account.id, template)
        .await
        .expect("template");
    let key = NewApiKey {
        name: "k".into(),
        role: Role::Admin,
        hash: KeyHash::of(pnid),
        prefix: "sk_".into(),
    };
    store.create_api_key(org, key).await.expect("key");
    let file = NewMedia {
        sha256: "0".repeat(64),
        size: 1,
        mime_type: "image/jpeg".into(),
        filename: None,
        storage_key: format!("{org}/00/{}", "0".repeat(64)),
        message_id: None,
    };
    store.insert_media(org, file).await.expect("media");
    let hook = NewWebhook {
        id: uuid::Uuid::new_v4(),
        account_id: None,
        table_name: "messages".into(),
        operations: vec![],
        url: "https://x".into(),
        token: None,
        secret: secrets::SealedSecret(vec![1]),
    };
    let hook = store
        .create_webhook(org, hook, 20)
        .await
        .expect("webhook")
        .expect("cap");
    let ping = NewDelivery {
        webhook_id: hook.id,
        event_seq: None,
        event_type: "webhook.test".into(),
        conversation_id: None,
        payload: "{}".into(),
    };
    store.add_delivery(org, ping).await.expect("delivery");
    for sql in [
        "INSERT INTO agents (organization_id, name) VALUES ($1, 'agent')",
        "INSERT INTO quick_replies (organization_id, name, content) VALUES ($1, 'hi', 'hola')",
        "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, organization_id, latency_ms) \
         SELECT id, 1, organization_id, 5 FROM webhook_deliveries WHERE organization_id = $1",
    ] {
        sqlx::query(sql)
            .bind(org.0)
            .execute(store.pool())
            .await
            .expect(sql);
    }
    org
}

/// A transaction as wakit_app in `scope`, or with no scope at all (`None`).
async fn as_app(store: &PgStore, scope: Option<Scope>) -> Tx {
    match scope {
        Some(s) => scope::begin(store.pool(), s).await.expect("begin"),
        None => {
            let mut tx = store.pool().begin().await.expect("begin");
            sqlx::query("SET LOCAL ROLE wakit_app")
                .execute(&mut *tx)
                .await
                .expect("role");
            tx
        }
    }
}

/// `(all rows, rows of org)` of `table` as `conn` sees them.
async fn count(
    conn: &mut PgConnection,
    (table, column): &(String, &str),
    org: OrgId,
) -> (i64, i64) {
    let row = sqlx::query(&format!(
        "SELECT count(*), count(*) FILTER (WHERE {column} = $1) FROM {table}"
    ))
    .bind(org.0)
    .fetch_one(conn)
    .await
    .expect(table);
    (row.get(0), row.get(1))
}

/// [`count`] inside a transaction as wakit_app in `scope`.
async fn visible(
    store: &PgStore,
    scope: Option<Scope>,
    t: &(String, &str),
    org: OrgId,
) -> (i64, i64) {
    let mut tx = as_app(store, scope).await;
    count(&mut tx, t, org).await
}

/// A migrated database with two populated orgs, A and B.
async fn two_orgs() -> Option<(TestDb, PgStore, OrgId, OrgId)> {
    let db = TestDb::create().await?;
    let store = db.store(crate::PgOptions::default()).await;
    let a = populated_org(&store, "rls-a").await;
    let b = populated_org(&store, "rls-b").await;
    Some((db, store, a, b))
}

#[tokio::test]
async fn a_query_sees_only_its_scope() {
    let Some((_db, store, a, b)) = two_orgs().await else {
        return;
    };
    let tables = tenant_tables(&store).await;
    assert_eq!(tables.len(), 18, "{tables:?}");
    for t in &tables {
        // The test's own (superuser) connection bypasses the policies: both orgs' rows.
        let mut owner = store.pool().acquire().await.expect("conn");
        let (all, of_a) = count(&mut owner, t, a).await;
        assert!(of_a > 0 && all > of_a, "{}: rows of both orgs", t.0);

        assert_eq!(
            visible(&store, None, t, a).await,
            (0, 0),
            "{}: no scope",
            t.0
        );
        assert_eq!(
            visible(&store, Some(Scope::Org(a)), t, a).await,
            (of_a, of_a),
            "{}: only org A",
            t.0
        );
        let (_, of_b) = visible(&store, Some(Scope::Org(b)), t, b).await;
        assert!(of_b > 0, "{}: org B sees its own", t.0);
        assert_eq!(
            visible(&store, Some(Scope::Internal), t, a).await,
            (all, of_a),
            "{}: internal sees every org",
            t.0
        );
    }
}

#[tokio::test]
async fn a_scoped_transaction_cannot_write_another_orgs_rows() {
    let Some((_db, store, a, b)) = two_orgs().await else {
        return;
    };

    let mut tx = scope::begin(store.pool(), Scope::Org(a))
        .await
        .expect("begin");
    let err = sqlx::query(
        "INSERT INTO quick_replies (organization_id, name, content) VALUES ($1, 'x', 'y')",
    )
    .bind(b.0)
    .execute(&mut *tx)
    .await
    .expect_err("insert of org B refused");
    assert!(
        err.to_string().contains("row-level security"),
        "refused by the policy: {err}"
    );
    drop(tx);

    let mut tx = scope::begin(store.pool(), Scope::Org(a))
        .await
        .expect("begin");
    // Org B's rows are invisible to writes too, even without a tenant filter.
    let touched = sqlx::query("UPDATE quick_replies SET content = 'changed'")
        .execute(&mut *tx)
        .await
        .expect("update")
        .rows_affected();
    assert_eq!(touched, 1, "only org A's quick reply");
    // Moving a row of A to B is refused as well.
    let err = sqlx::query("UPDATE quick_replies SET organization_id = $1")
        .bind(b.0)
        .execute(&mut *tx)
        .await
        .expect_err("move to org B refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);

    // A transaction without a scope may not write at all.
    let mut tx = as_app(&store, None).await;
    let err = sqlx::query(
        "INSERT INTO quick_replies (organization_id, name, content) VALUES ($1, 'x', 'y')",
    )
    .bind(a.0)
    .execute(&mut *tx)
    .await
    .expect_err("unscoped insert refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn every_tenant_table_has_row_level_security() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = db.store(crate::PgOptions::default()).await;
    for (table, _) in tenant_tables(&store).await {
        let row = sqlx::query(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, \
                    (SELECT count(*) FROM pg_policies p \
                     WHERE p.schemaname = current_schema() AND p.tablename = c.relname) \
             FROM pg_class c WHERE c.oid = $1::regclass",
        )
        .bind(&table)
        .fetch_one(store.pool())
        .await
        .expect("catalog");
        let (enabled, forced, policies): (bool, bool, i64) = (row.get(0), row.get(1), row.get(2));
        // Contact search reads these two as their owner (wakit_search_contacts).
        let owner_reads = ["contacts", "contacts_addresses"].contains(&table.as_str());
        assert!(
            enabled && forced != owner_reads && policies == 1,
            "{table}: {enabled} {forced} {policies}"
        );
    }
}

#[tokio::test]
async fn contact_search_reads_only_the_scoped_org() {
    let Some((_db, store, a, _)) = two_orgs().await else {
        return;
    };
    let search = "SELECT count(*) FROM wakit_search_contacts(NULL, NULL, 100)";
    let mut counts = Vec::new();
    for scope in [None, Some(Scope::Org(a)), Some(Scope::Internal)] {
        let mut tx = as_app(&store, scope).await;
        let n: i64 = sqlx::query_scalar(search)
            .fetch_one(&mut *tx)
            .await
            .expect("search");
        counts.push(n);
    }
    let all: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts_addresses")
        .fetch_one(store.pool())
        .await
        .expect("count");
    // Org A has two contact addresses (one outgoing, one inbound); the internal scope
    // names no organization, so the search (which needs one) finds nothing either.
    assert_eq!(all, 4);
    assert_eq!(counts, vec![0, 2, 0]);
}
