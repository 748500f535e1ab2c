//! Pages of embedded reads from `/rest/v1`, as the hosted dashboard's inbox asks for
//! them: the newest conversations first with their contact embedded, a page at a time,
//! and a to-many embed limited and ordered inside each row — on both engines.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{fast_dispatch, key_with_role, world};
use serde_json::Value;
use wakit_core::Role;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMERS: [&str; 3] = ["5215551230001", "5215551230002", "5215551230003"];

async fn get(http: &reqwest::Client, url: String, key: &str) -> Vec<Value> {
    let resp = http
        .get(url)
        .header("apikey", key)
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body.as_array().unwrap().clone()
}

fn wa_ids(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["contact_address"]["wa_id"].as_str().unwrap())
        .collect()
}

async fn inbox_pages_come_newest_first_with_their_embeds(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world(ts, Quirks::none(), fast_dispatch()).await;
    // Three customers write in turn; the first also writes last, so its conversation is
    // the newest and the order is not the order of creation.
    for customer in CUSTOMERS {
        w.customer_writes(customer, "hola").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    w.customer_writes(CUSTOMERS[0], "¿sigue ahí?").await;
    let key = key_with_role(&*w.ts.store, w.account.org_id, Role::Member).await;
    let http = reqwest::Client::new();
    let page = |offset: u32| {
        format!(
            "{}/rest/v1/conversations?select=id,updated_at,contact_address:contacts_addresses(wa_id,contact:contacts(name)),\
             messages(direction,content)&messages.order=created_at.desc&messages.limit=1\
             &order=updated_at.desc&limit=2&offset={offset}",
            w.server.root()
        )
    };

    let first = get(&http, page(0), &key).await;
    assert_eq!(wa_ids(&first), [CUSTOMERS[0], CUSTOMERS[2]], "{first:?}");
    assert!(first[0]["updated_at"].as_str() > first[1]["updated_at"].as_str());
    // The contact inside the contact address, and only the newest message of each.
    assert!(first[0]["contact_address"]["contact"]["name"].is_string());
    let newest = first[0]["messages"].as_array().unwrap();
    assert_eq!(newest.len(), 1, "{first:?}");
    assert_eq!(newest[0]["content"]["text"], "¿sigue ahí?", "{first:?}");

    let second = get(&http, page(2), &key).await;
    assert_eq!(wa_ids(&second), [CUSTOMERS[1]], "{second:?}");
    assert_eq!(second[0]["messages"].as_array().unwrap().len(), 1);
    assert!(get(&http, page(4), &key).await.is_empty());
    w.stop().await;
}

on_both_backends!(inbox_pages_come_newest_first_with_their_embeds);
