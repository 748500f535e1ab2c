//! Reads on both engines: same JSON from each, and tenancy at every embed level.
#![allow(clippy::unwrap_used)]

mod common;

use common::{A, B, Engines, id};
use serde_json::json;
use uuid::Uuid;
use wakit_rest::{Auth, OrgRole};

fn member_of_a() -> Auth {
    Auth::user(
        Uuid::from_u128(1),
        vec![(Uuid::from_u128(A), OrgRole::Member)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_come_out_typed_the_same_on_both_engines() {
    let e = Engines::new().await;
    let rows = e
        .rows(
            "contacts",
            "select=id,name,vip:extra->vip,tags:extra->tags,n:extra->>n,created_at,extra&order=name.asc&limit=2",
            &Auth::service(),
        )
        .await;
    assert_eq!(
        rows,
        json!([
            {"id": id(0xA10), "name": "Ana", "vip": true, "tags": ["a", "b"], "n": "10",
             "created_at": "2026-01-02T03:04:05.123456+00:00",
             "extra": {"vip": true, "tags": ["a", "b"], "n": 10}},
            {"id": id(0xB10), "name": "Zed", "vip": true, "tags": null, "n": null,
             "created_at": "2026-01-02T03:04:05.123456+00:00", "extra": {"vip": true}},
        ])
    );
    let agents = e
        .rows(
            "agents",
            "select=name,ai,user_id&order=name",
            &Auth::service(),
        )
        .await;
    assert_eq!(
        agents,
        json!([
            {"name": "Bot", "ai": true, "user_id": null},
            {"name": "Owner A", "ai": false, "user_id": id(1)},
            {"name": "Owner B", "ai": false, "user_id": id(2)},
        ])
    );
    let cast = e
        .rows(
            "contacts",
            "select=name,n:extra->>n::int,c:created_at::text&name=eq.Ana",
            &Auth::service(),
        )
        .await;
    let created = "2026-01-02T03:04:05.123456+00:00";
    assert_eq!(cast, json!([{"name": "Ana", "n": 10, "c": created}]));
    let ai = e
        .rows("agents", "select=ai::text&name=eq.Bot", &Auth::service())
        .await;
    assert_eq!(ai, json!([{"ai": "true"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_conversation_list_with_composite_and_nested_embeds() {
    let e = Engines::new().await;
    let rows = e
        .rows(
            "conversations",
            "select=id,unread_count,messages(id,direction,content->>text),\
             contact_address:contacts_addresses(address,profile_name,contact:contacts(name))\
             &messages.direction=neq.internal&messages.order=timestamp.desc&messages.limit=10\
             &order=last_message_at.desc.nullslast",
            &member_of_a(),
        )
        .await;
    assert_eq!(
        rows,
        json!([
            {"id": id(0xA20), "unread_count": 2,
             "messages": [
                 {"id": id(0xA31), "direction": "outgoing", "text": "hello"},
                 {"id": id(0xA30), "direction": "incoming", "text": "hi"}],
             "contact_address": {"address": "5511", "profile_name": "Ana P", "contact": {"name": "Ana"}}},
            // A's address points at B's contact: the embed's own policy hides it.
            {"id": id(0xA22), "unread_count": 1, "messages": [],
             "contact_address": {"address": "5533", "profile_name": "Leak", "contact": null}},
            {"id": id(0xA21), "unread_count": 0,
             "messages": [{"id": id(0xA33), "direction": "incoming", "text": "yo"}],
             "contact_address": {"address": "5522", "profile_name": "Bob, Jr.", "contact": {"name": "bob"}}},
        ])
    );
    // The service role sees B's conversation (its own 5511, not A's) and the cross link.
    let all = e
        .rows(
            "conversations",
            &format!(
                "select=id,contacts_addresses(profile_name,contacts(name))&id=in.({},{})&order=id",
                id(0xB20),
                id(0xA22)
            ),
            &Auth::service(),
        )
        .await;
    assert_eq!(
        all,
        json!([
            {"id": id(0xA22), "contacts_addresses": {"profile_name": "Leak", "contacts": {"name": "Zed"}}},
            {"id": id(0xB20), "contacts_addresses": {"profile_name": "Zed Z", "contacts": {"name": "Zed"}}},
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_never_sees_another_organization_at_any_level() {
    let e = Engines::new().await;
    let a = member_of_a();
    let orgs = e
        .rows(
            "organizations",
            "select=name,contacts(name),conversations(id,messages(id))&order=name",
            &a,
        )
        .await;
    let names: Vec<_> = orgs
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Acme")]);
    // A's message sits in B's conversation: the to-one embed is null, not B's row.
    let stray = e
        .rows(
            "messages",
            &format!("select=id,conversations(id,name)&id=eq.{}", id(0xA34)),
            &a,
        )
        .await;
    assert_eq!(stray, json!([{"id": id(0xA34), "conversations": null}]));
    // !inner through a hidden policy drops the row; rel=is.null keeps exactly it.
    let inner = e
        .rows("messages", "select=id,conversations!inner(id)&order=id", &a)
        .await;
    assert_eq!(inner.as_array().unwrap().len(), 4);
    let orphan = e
        .rows(
            "messages",
            "select=id,conversations()&conversations=is.null",
            &a,
        )
        .await;
    assert_eq!(orphan, json!([{"id": id(0xA34)}]));
    for table in [
        "contacts",
        "contacts_addresses",
        "conversations",
        "messages",
        "agents",
        "quick_replies",
    ] {
        let rows = e.rows(table, "select=organization_id", &a).await;
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .all(|r| r["organization_id"] == json!(id(A))),
            "{table}: {rows}"
        );
        let none = e.rows(table, "select=organization_id", &Auth::anon()).await;
        assert_eq!(none, json!([]), "anonymous callers see no {table}");
    }
    // Owners read keys and admins webhooks; members neither.
    assert_eq!(e.rows("api_keys", "select=name", &a).await, json!([]));
    assert_eq!(e.rows("webhooks", "select=url", &a).await, json!([]));
    let owner_b = Auth::user(
        Uuid::from_u128(2),
        vec![(Uuid::from_u128(B), OrgRole::Owner)],
    );
    assert_eq!(
        e.rows("api_keys", "select=name", &owner_b).await,
        json!([{"name": "kb"}])
    );
    assert_eq!(
        e.rows(
            "organizations",
            "select=name,webhooks(url),api_keys(prefix)",
            &owner_b
        )
        .await,
        json!([{"name": "Beta", "webhooks": [{"url": "https://b.example"}], "api_keys": [{"prefix": "sk_b"}]}])
    );
    let key = Auth::api_key(Uuid::from_u128(0xA50), Uuid::from_u128(A), OrgRole::Member);
    assert_eq!(
        e.rows("api_keys", "select=name", &key).await,
        json!([{"name": "ka"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spreads_and_orders_by_a_to_one_embed() {
    let e = Engines::new().await;
    let rows = e
        .rows(
            "contacts_addresses",
            "select=address,...contacts(contact:name,vip:extra->vip,organizations(name))\
             &order=contacts(name).desc.nullslast,address",
            &member_of_a(),
        )
        .await;
    assert_eq!(
        rows,
        json!([
            {"address": "5522", "contact": "bob", "vip": null, "organizations": {"name": "Acme"}},
            {"address": "5511", "contact": "Ana", "vip": true, "organizations": {"name": "Acme"}},
            // B's contact is hidden from A's member: its columns are null, and it sorts last.
            {"address": "5533", "contact": null, "vip": null, "organizations": null},
        ])
    );
    let err = e
        .get(
            "organizations",
            "select=name,contacts(name)&order=contacts(name)",
            &member_of_a(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code.code(), err.message.as_str()),
        ("PGRST118", "A related order on 'contacts' is not possible")
    );
    let err = e
        .get(
            "organizations",
            "select=name,...contacts(name)",
            &member_of_a(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "PGRST127");
}
