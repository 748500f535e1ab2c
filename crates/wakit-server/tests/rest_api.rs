//! The data API at `/rest/v1` over HTTP, with `sk_` keys as supabase-js sends them
//! (`apikey` + `Authorization: Bearer`): reads with embeds, policies by role, tenancy,
//! and PostgREST's error shapes — on both engines.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{connect_number, fast_dispatch, key_with_role, world};
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

/// A request as supabase-js makes it with `key`.
fn rest(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
) -> reqwest::RequestBuilder {
    http.request(method, url)
        .header("apikey", key)
        .header("Authorization", format!("Bearer {key}"))
        .header("Accept-Profile", "public")
}

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// POSTs `row` with `key` and expects PostgREST's error `code` with `status`.
async fn post_refused(
    http: &reqwest::Client,
    url: String,
    key: &str,
    row: &Value,
    want: (u16, &str),
) {
    let resp = rest(http, reqwest::Method::POST, url, key)
        .json(row)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(resp).await;
    assert_eq!(
        (status, body["code"].clone()),
        (want.0, json!(want.1)),
        "{body}"
    );
    for key in ["code", "details", "hint", "message"] {
        assert!(
            body.get(key).is_some(),
            "PostgREST errors carry {key}: {body}"
        );
    }
}

async fn the_data_api_serves_an_orgs_tables_by_role(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    let org = w.account.org_id;
    let store = &*w.ts.store;
    let member = key_with_role(store, org, Role::Member).await;
    let admin = key_with_role(store, org, Role::Admin).await;
    let org_b = store.create_org("Org B", "UTC").await.unwrap();
    connect_number(&w.ts, &w.sim, org_b.id, "15550405258").await;
    let stranger = key_with_role(store, org_b.id, Role::Owner).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}/rest/v1/{path}", w.server.root());

    // A conversation with its messages and its contact address, as the hosted dashboard reads it.
    let select = "conversations?select=*,messages(*),contact_address:contacts_addresses(*)\
                  &messages.order=timestamp.desc";
    let (status, body) = json_of(
        rest(&http, reqwest::Method::GET, url(select), &member)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let convs = body.as_array().unwrap();
    assert_eq!(convs.len(), 1, "{body}");
    assert_eq!(convs[0]["organization_id"], json!(org.0.to_string()));
    assert_eq!(convs[0]["messages"][0]["direction"], "incoming");
    assert_eq!(convs[0]["contact_address"]["wa_id"], CUSTOMER);

    // Another organization's key sees none of it, even asking by id.
    let by_id = format!("conversations?id=eq.{}", convs[0]["id"].as_str().unwrap());
    let (status, body) = json_of(
        rest(&http, reqwest::Method::GET, url(&by_id), &stranger)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, json!([])));

    // Quick replies: members read, admins write.
    let reply = json!({"organization_id": org.0.to_string(), "name": "hi", "content": "Hello!"});
    post_refused(&http, url("quick_replies"), &member, &reply, (403, "42501")).await;
    let created = rest(&http, reqwest::Method::POST, url("quick_replies"), &admin)
        .header("Prefer", "return=representation")
        .json(&reply)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(created).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body[0]["content"], "Hello!");
    // Messages are sent through the send path, not written here (yet).
    let send = json!({"conversation_id": convs[0]["id"], "content": {"text": "hi"}});
    post_refused(&http, url("messages"), &admin, &send, (400, "PGRST127")).await;

    // Nor does a key write into another organization.
    let foreign = json!({"organization_id": org_b.id.0.to_string(), "name": "x"});
    post_refused(&http, url("contacts"), &member, &foreign, (403, "42501")).await;
    let counted = rest(&http, reqwest::Method::HEAD, url("quick_replies"), &member)
        .header("Prefer", "count=exact")
        .send()
        .await
        .unwrap();
    assert_eq!(counted.status(), 200);
    let range = counted.headers()["content-range"].to_str().unwrap();
    assert_eq!(range, "0-0/1");

    // `.single()` on nothing, an unknown table, no key, a bad key.
    let single = rest(&http, reqwest::Method::GET, url("webhooks"), &admin)
        .header("Accept", "application/vnd.pgrst.object+json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(single).await;
    assert_eq!((status, body["code"].clone()), (406, json!("PGRST116")));
    assert_eq!(body["details"], "The result contains 0 rows");
    let (status, body) = json_of(
        rest(&http, reqwest::Method::GET, url("nope"), &member)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].clone()), (404, json!("PGRST205")));
    let anonymous = http.get(url("contacts")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let bad = rest(
        &http,
        reqwest::Method::GET,
        url("contacts"),
        "sk_not_a_real_key_at_all",
    )
    .send()
    .await
    .unwrap();
    let (status, body) = json_of(bad).await;
    assert_eq!((status, body["code"].clone()), (401, json!("PGRST301")));
    w.stop().await;
}

/// Who may create what, by the key's role (the hosted product's policies).
async fn writes_follow_the_keys_role(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let server = common::start(&ts, false).await;
    let org = ts.store.create_org("Roles", "UTC").await.unwrap();
    let o = org.id.0.to_string();
    let hash = "ab".repeat(32);
    let rows = [
        ("contacts", json!({"organization_id": o, "name": "Ana"})),
        (
            "quick_replies",
            json!({"organization_id": o, "name": "hi", "content": "Hola"}),
        ),
        (
            "webhooks",
            json!({"organization_id": o, "table_name": "messages", "url": "https://example.com/h"}),
        ),
        (
            "agents",
            json!({"organization_id": o, "name": "Bot", "ai": true}),
        ),
        (
            "api_keys",
            json!({"organization_id": o, "name": "ci", "key_hash": hash, "prefix": "sk_ci"}),
        ),
    ];
    // Per role, the tables it may insert into (the rest answer 403 / 42501).
    let allowed: [(Role, &[&str]); 3] = [
        (Role::Member, &["contacts"]),
        (
            Role::Admin,
            &["contacts", "quick_replies", "webhooks", "agents"],
        ),
        (
            Role::Owner,
            &[
                "contacts",
                "quick_replies",
                "webhooks",
                "agents",
                "api_keys",
            ],
        ),
    ];
    let http = reqwest::Client::new();
    for (role, may) in allowed {
        let key = key_with_role(&*ts.store, org.id, role).await;
        for (table, row) in &rows {
            let url = format!("{}/rest/v1/{table}", server.root());
            let mut row = row.clone();
            if *table == "api_keys" {
                // Key hashes are unique: one per role.
                row["key_hash"] = json!(format!("{}{:02x}", &hash[..62], role as u8));
            }
            let resp = rest(&http, reqwest::Method::POST, url, &key)
                .json(&row)
                .send()
                .await
                .unwrap();
            let (status, body) = json_of_or_empty(resp).await;
            let expected = if may.contains(table) { 201 } else { 403 };
            assert_eq!(status, expected, "{role:?} inserting into {table}: {body}");
        }
    }
    server.stop().await;
}

async fn json_of_or_empty(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

on_both_backends!(
    the_data_api_serves_an_orgs_tables_by_role,
    writes_follow_the_keys_role
);
