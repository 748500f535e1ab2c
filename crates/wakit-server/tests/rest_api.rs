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

    // The hosted product's function: the organizations where the key's role suffices.
    let rpc = url("rpc/get_authorized_orgs");
    let calls = [
        (
            reqwest::Method::POST,
            rpc.clone(),
            Some(json!({})),
            json!([org.0.to_string()]),
        ),
        (
            reqwest::Method::POST,
            rpc.clone(),
            Some(json!({"role": "admin"})),
            json!([]),
        ),
        (
            reqwest::Method::GET,
            format!("{rpc}?role=member"),
            None,
            json!([org.0.to_string()]),
        ),
    ];
    for (method, at, args, want) in calls {
        let mut req = rest(&http, method, at, &member);
        if let Some(args) = args {
            req = req.json(&args);
        }
        assert_eq!(json_of(req.send().await.unwrap()).await, (200, want));
    }
    let bad_role = json!({"role": "boss"});
    post_refused(&http, rpc, &member, &bad_role, (400, "22P02")).await;
    post_refused(
        &http,
        url("rpc/no_such_fn"),
        &member,
        &json!({}),
        (404, "PGRST202"),
    )
    .await;
    post_refused(
        &http,
        url("rpc/init_data"),
        &member,
        &json!({}),
        (400, "PGRST127"),
    )
    .await;

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
            json!({"organization_id": o, "name": "ci", "role": "admin"}),
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
            let row = row.clone();
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

/// An outgoing message inserted through /rest/v1/messages is a send: checked like
/// `POST /messages`, stored, and delivered to Meta (the sandbox) by the dispatcher.
async fn inserting_a_message_sends_it(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    w.customer_writes(CUSTOMER, "hola").await;
    let org = w.account.org_id;
    let member = key_with_role(&*w.ts.store, org, Role::Member).await;
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/rest/v1/messages", w.server.root());
    let post = |row: Value| {
        rest(&http, reqwest::Method::POST, url.clone(), &member)
            .header("Prefer", "return=representation")
            .json(&row)
    };

    // The hosted product's documented shape, by recipient and number.
    let row = json!({"organization_id": org.0.to_string(), "contact_address": CUSTOMER,
                     "organization_address": w.account.phone_number_id, "direction": "outgoing",
                     "service": "whatsapp", "content": {"type": "text", "text": {"body": "¿En qué te ayudo?"}}});
    let (status, body) = json_of(post(row).send().await.unwrap()).await;
    assert_eq!(status, 201, "{body}");
    let sent = &body[0];
    assert_eq!(
        (sent["direction"].as_str(), sent["content"]["text"].as_str()),
        (Some("outgoing"), Some("¿En qué te ayudo?")),
        "{body}"
    );
    let id = wakit_core::MessageId(sent["id"].as_str().unwrap().parse().unwrap());
    let done = w
        .wait_status(
            &[id],
            wakit_core::MessageStatus::Sent,
            std::time::Duration::from_secs(10),
        )
        .await;
    assert!(
        done[0].external_id.is_some(),
        "Meta (the sandbox) accepted it: {:?}",
        done[0]
    );

    // By conversation, in wakit's own parts format, with only the columns asked for.
    let conv = done[0].conversation_id.0.to_string();
    let row = json!({"conversation_id": conv, "content": {"type": "text", "kind": "text", "text": "¡Listo!"}});
    let resp = rest(
        &http,
        reqwest::Method::POST,
        format!("{url}?select=conversation_id,status"),
        &member,
    )
    .header("Prefer", "return=representation")
    .json(&row)
    .send()
    .await
    .unwrap();
    let (status, body) = json_of(resp).await;
    assert_eq!(
        (status, body),
        (201, json!([{"conversation_id": conv, "status": "pending"}]))
    );

    // What POST /messages refuses is refused here too, with its sentence.
    let refusals = [
        (
            json!({"contact_address": "5215500009999", "content": {"type": "text", "text": "hi"}}),
            "Service window is closed",
        ),
        (
            json!({"contact_address": CUSTOMER, "content": {"type": "text", "text": ""}}),
            "text must not be empty",
        ),
        (
            json!({"contact_address": CUSTOMER, "content": {"type": "data", "kind": "template",
                 "data": {"name": "nope", "language": {"code": "es"}}}}),
            "Template nope not found",
        ),
        (
            json!({"contact_address": CUSTOMER, "direction": "incoming", "content": {"type": "text", "text": "x"}}),
            "Only outgoing messages",
        ),
        (
            json!({"contact_address": CUSTOMER, "status": "sent", "content": {"type": "text", "text": "x"}}),
            "messages.status is set by wakit",
        ),
        (
            json!({"contact_address": CUSTOMER, "content": {"type": "data", "kind": "location", "data": {}}}),
            "cannot be sent",
        ),
    ];
    for (row, sentence) in refusals {
        let (status, body) = json_of(post(row.clone()).send().await.unwrap()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("P0001")),
            "{row}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains(sentence),
            "{row}: {body}"
        );
    }
    // Nothing of the above was stored: the conversation still has three messages.
    let count = rest(
        &http,
        reqwest::Method::HEAD,
        format!("{url}?conversation_id=eq.{conv}"),
        &member,
    )
    .header("Prefer", "count=exact")
    .send()
    .await
    .unwrap();
    assert_eq!(count.headers()["content-range"].to_str().unwrap(), "0-2/3");

    // Not into another organization, and not with the anon key or without a recipient.
    let foreign = json!({"organization_id": org_b.id.0.to_string(), "contact_address": CUSTOMER,
                         "content": {"type": "text", "text": "x"}});
    post_refused(&http, url.clone(), &member, &foreign, (403, "42501")).await;
    let nobody = json!({"content": {"type": "text", "text": "x"}});
    post_refused(&http, url.clone(), &member, &nobody, (400, "P0001")).await;
    let stranger_conv = json!({"conversation_id": uuid::Uuid::now_v7().to_string(),
                               "content": {"type": "text", "text": "x"}});
    post_refused(&http, url.clone(), &member, &stranger_conv, (400, "P0001")).await;
    // No update or delete of a message.
    let patch = rest(
        &http,
        reqwest::Method::PATCH,
        format!("{url}?id=eq.{}", id.0),
        &member,
    )
    .json(&json!({"status": "read"}))
    .send()
    .await
    .unwrap();
    assert_eq!(patch.status(), 403);
    w.stop().await;
}

/// An owner creates an API key through /rest/v1/api_keys: the key comes back once, works
/// on the REST API, and its hash is never readable.
async fn owners_create_keys_shown_once(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let server = common::start(&ts, false).await;
    let org = ts.store.create_org("Keys", "UTC").await.unwrap();
    let owner = key_with_role(&*ts.store, org.id, Role::Owner).await;
    let http = reqwest::Client::new();
    let url = format!("{}/rest/v1/api_keys", server.root());
    let resp = rest(&http, reqwest::Method::POST, url.clone(), &owner)
        .header("Accept", "application/vnd.pgrst.object+json")
        .json(&json!({"name": "zapier", "role": "member"}))
        .send()
        .await
        .unwrap();
    let (status, created) = json_of(resp).await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    assert!(
        key.starts_with(created["prefix"].as_str().unwrap()),
        "{created}"
    );
    assert_eq!(
        (
            created["role"].as_str(),
            created["organization_id"].as_str()
        ),
        (Some("member"), Some(org.id.0.to_string().as_str()))
    );
    let accounts = http
        .get(format!("{}/functions/v1/api/accounts", server.root()))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(accounts.status(), 200, "the new key works");

    // Listed without its value or hash; asking for the hash is refused.
    let (status, listed) = json_of(
        rest(&http, reqwest::Method::GET, url.clone(), &owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert!(
        !listed.to_string().contains(&key) && listed[0].get("key_hash").is_none(),
        "{listed}"
    );
    let hashed = rest(
        &http,
        reqwest::Method::GET,
        format!("{url}?select=key_hash"),
        &owner,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(json_of(hashed).await.1["code"], "42501");
    // Nothing but a name and a role is set by the caller; the role must be one.
    let forged = json!({"name": "x", "key_hash": "ab".repeat(32)});
    post_refused(&http, url.clone(), &owner, &forged, (400, "P0001")).await;
    let boss = json!({"name": "x", "role": "boss"});
    post_refused(&http, url, &owner, &boss, (400, "22P02")).await;
    server.stop().await;
}

async fn json_of_or_empty(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

on_both_backends!(
    the_data_api_serves_an_orgs_tables_by_role,
    inserting_a_message_sends_it,
    owners_create_keys_shown_once,
    writes_follow_the_keys_role
);
