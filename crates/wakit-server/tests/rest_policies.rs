//! The policy matrix of the data API (supabase-compat.md §10) over HTTP: each caller — an
//! `sk_` key with role member, admin or owner, the anon key, the service-role key —
//! reads, updates and deletes a row of each table, and the row (read back with the
//! service-role key) shows what actually happened. Inserts by role are in rest_api.rs.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::{JWT_SECRET, start_auth};
use common::sandbox::key_with_role;
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_server::routes::auth::JwtSecret;
use wakit_store_tests::fixture::Fixture;
use wakit_store_tests::{Backend, TestStore};

/// Who asks: a key's role, or the anon key (`None`).
type Caller = Option<Role>;

/// Per table: the row to seed, the column an update changes, and the least role that
/// reads, updates and deletes it (`None`: no client may; the service role always may).
struct Rule {
    table: &'static str,
    row: fn(&str) -> Value,
    column: &'static str,
    read: Caller,
    update: Caller,
    delete: Caller,
}

const M: Caller = Some(Role::Member);
const A: Caller = Some(Role::Admin);
const O: Caller = Some(Role::Owner);

const RULES: [Rule; 6] = [
    Rule {
        table: "contacts",
        row: |o| json!({"organization_id": o, "name": "Ana"}),
        column: "name",
        read: M,
        update: M,
        delete: M,
    },
    Rule {
        table: "quick_replies",
        row: |o| json!({"organization_id": o, "name": "hi", "content": "Hola"}),
        column: "content",
        read: M,
        update: A,
        delete: A,
    },
    Rule {
        table: "webhooks",
        row: |o| json!({"organization_id": o, "table_name": "messages", "url": "https://example.com/h"}),
        column: "url",
        read: A,
        update: A,
        delete: A,
    },
    Rule {
        table: "agents",
        row: |o| json!({"organization_id": o, "name": "Bot", "ai": true}),
        column: "name",
        read: M,
        update: A,
        delete: A,
    },
    Rule {
        table: "api_keys",
        row: |o| json!({"organization_id": o, "name": "ci"}),
        column: "name",
        read: O,
        update: None,
        delete: O,
    },
    Rule {
        table: "organizations_addresses",
        row: |_| Value::Null, // connected by the operator, never by a client
        column: "verified_name",
        read: M,
        update: None,
        delete: None,
    },
];

fn may(caller: Caller, least: Caller) -> bool {
    matches!((caller, least), (Some(c), Some(l)) if c >= l)
}

struct Api {
    http: reqwest::Client,
    root: String,
    anon: String,
    service: String,
}

impl Api {
    fn request(&self, method: reqwest::Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/rest/v1/{path}", self.root))
            .header("apikey", &self.anon)
            .header("Authorization", format!("Bearer {key}"))
            .header("Prefer", "return=representation")
    }

    /// The row as the service role sees it (`None` once deleted).
    async fn row(&self, table: &str, id: &str) -> Option<Value> {
        let resp = self
            .request(
                reqwest::Method::GET,
                &format!("{table}?id=eq.{id}"),
                &self.service,
            )
            .send()
            .await
            .unwrap();
        let rows: Vec<Value> = resp.json().await.unwrap();
        rows.into_iter().next()
    }

    /// A new row of `rule`'s table, written with the service role; its id.
    async fn seed(&self, rule: &Rule, org: &str) -> String {
        let resp = self
            .request(reqwest::Method::POST, rule.table, &self.service)
            .json(&(rule.row)(org))
            .send()
            .await
            .unwrap();
        let body: Value = resp.json().await.unwrap();
        body[0]["id"].as_str().expect("seeded").to_string()
    }
}

async fn each_role_reads_updates_and_deletes_what_it_may(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let f = Fixture::new(&*ts.store).await;
    let (server, auth) = start_auth(&ts, false).await;
    let secret = JwtSecret::new(JWT_SECRET.as_bytes()).unwrap();
    let api = Api {
        http: reqwest::Client::new(),
        root: server.root(),
        service: secret.api_key(true).unwrap(),
        anon: auth.anon.clone(),
    };
    let org = f.org_a.0.to_string();
    let mut callers: Vec<(Caller, String)> = Vec::new();
    for role in [Role::Member, Role::Admin, Role::Owner] {
        callers.push((Some(role), key_with_role(&*ts.store, f.org_a, role).await));
    }
    callers.push((None, api.anon.clone()));

    for rule in &RULES {
        for (caller, key) in &callers {
            let seeded = match rule.table {
                "organizations_addresses" => f.acct_a.id.0.to_string(),
                _ => api.seed(rule, &org).await,
            };
            let what = format!("{caller:?} on {}", rule.table);
            let path = format!("{}?id=eq.{seeded}", rule.table);

            let read = api
                .request(reqwest::Method::GET, &path, key)
                .send()
                .await
                .unwrap();
            let rows: Vec<Value> = read.json().await.unwrap();
            assert_eq!(
                rows.len() == 1,
                may(*caller, rule.read),
                "{what}: read {rows:?}"
            );

            let value = format!("changed by {caller:?}");
            let patch = api
                .request(reqwest::Method::PATCH, &path, key)
                .json(&json!({rule.column: value}))
                .send()
                .await
                .unwrap();
            let status = patch.status().as_u16();
            let now = api.row(rule.table, &seeded).await.unwrap();
            let changed = now[rule.column] == json!(value);
            assert_eq!(
                changed,
                may(*caller, rule.update),
                "{what}: update answered {status}, row {now}"
            );
            if !changed {
                assert!(
                    [200, 401, 403].contains(&status),
                    "{what}: update answered {status}"
                );
            }

            let delete = api
                .request(reqwest::Method::DELETE, &path, key)
                .send()
                .await
                .unwrap();
            let status = delete.status().as_u16();
            let gone = api.row(rule.table, &seeded).await.is_none();
            assert_eq!(
                gone,
                may(*caller, rule.delete),
                "{what}: delete answered {status}"
            );
        }
    }
    // The organization itself: members read it, admins change its timezone, only
    // owners its name.
    let path = format!("organizations?id=eq.{org}");
    for (caller, key) in &callers {
        for (column, least) in [("timezone", A), ("name", O)] {
            let value = match column {
                "timezone" => "America/Mexico_City".to_string(),
                _ => format!("Renamed by {caller:?}"),
            };
            let reset = json!({column: if column == "timezone" { "UTC" } else { "A" }});
            api.request(reqwest::Method::PATCH, &path, &api.service)
                .json(&reset)
                .send()
                .await
                .unwrap();
            api.request(reqwest::Method::PATCH, &path, key)
                .json(&json!({column: value}))
                .send()
                .await
                .unwrap();
            let now = api.row("organizations", &org).await.unwrap();
            assert_eq!(
                now[column] == json!(value),
                may(*caller, least),
                "{caller:?} sets {column}: {now}"
            );
        }
    }
    server.stop().await;
}

/// The hosted product's clients send the anon key as their Bearer token and their
/// `sk_` key in an `api-key` header: they act with the key's organization and role.
async fn the_api_key_header_acts_with_its_key(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let f = Fixture::new(&*ts.store).await;
    let (server, auth) = start_auth(&ts, false).await;
    let member = key_with_role(&*ts.store, f.org_a, Role::Member).await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/rest/v1/organizations_addresses?select=id",
        server.root()
    );
    let ask = |key: Option<&str>| {
        let req = http
            .get(&url)
            .header("apikey", &auth.anon)
            .bearer_auth(&auth.anon);
        match key {
            Some(k) => req.header("api-key", k),
            None => req,
        }
    };
    let anon: Vec<Value> = ask(None).send().await.unwrap().json().await.unwrap();
    assert!(anon.is_empty(), "{anon:?}");
    let keyed: Vec<Value> = ask(Some(&member))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keyed, vec![json!({"id": f.acct_a.id.0.to_string()})]);
    let bad = ask(Some("sk_not_a_key_at_all_00000000000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    server.stop().await;
}

on_both_backends!(
    each_role_reads_updates_and_deletes_what_it_may,
    the_api_key_header_acts_with_its_key
);
