//! Writes on both engines: inserts (bulk, defaults, upsert), updates and deletes under
//! the write policies, planned once and answering the same JSON from each engine.
#![allow(clippy::unwrap_used)]

mod common;

use common::{A, B, Engines, id};
use serde_json::json;
use uuid::Uuid;
use wakit_rest::{Auth, Method, OrgRole};

fn user(n: u128, org: u128, role: OrgRole) -> Auth {
    Auth::user(Uuid::from_u128(n), vec![(Uuid::from_u128(org), role)])
}

fn range(r: &wakit_rest::Response) -> &str {
    let found = r.headers.iter().find(|(k, _)| k == "Content-Range");
    found.map_or("", |(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_fill_defaults_and_return_the_representation() {
    let e = Engines::new().await;
    let a = user(1, A, OrgRole::Member);
    let new = json!({"organization_id": id(A), "name": "Cleo", "extra": {"k": [1]}}).to_string();
    let q = "select=name,extra,status,organizations(name)";
    let prefer = [("Prefer", "return=representation")];
    let r = e
        .write(Method::Post, "contacts", q, &prefer, &new, &a)
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let rows: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    let cleo = json!({"name": "Cleo", "extra": {"k": [1]}, "status": "active", "organizations": {"name": "Acme"}});
    assert_eq!(rows, json!([cleo]));
    let rows = e
        .rows("contacts", "select=name,status&name=eq.Cleo", &a)
        .await;
    assert_eq!(rows, json!([{"name": "Cleo", "status": "active"}]));

    // Bulk with `columns`: keys outside it are ignored; defaults fill the rest.
    let bulk = json!([
        {"organization_id": id(A), "name": "qr1", "content": "one", "ignored": 1},
        {"organization_id": id(A), "name": "qr2", "content": "two"},
    ])
    .to_string();
    let admin = user(1, A, OrgRole::Admin);
    let prefer = [("Prefer", "return=minimal, count=exact")];
    let q = "columns=organization_id,name,content";
    let r = e
        .write(Method::Post, "quick_replies", q, &prefer, &bulk, &admin)
        .await
        .unwrap();
    assert_eq!((r.status, r.body.is_none(), range(&r)), (201, true, "*/2"));
    let q = format!("select=name&order=name&organization_id=eq.{}", id(A));
    let names = e.rows("quick_replies", &q, &admin).await;
    assert_eq!(
        names,
        json!([{"name": "hello"}, {"name": "qr1"}, {"name": "qr2"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_policies_hold_on_both_engines() {
    let e = Engines::new().await;
    let a = user(1, A, OrgRole::Member);
    // A row for another organization is refused before any SQL runs.
    let into_b = json!({"organization_id": id(B), "name": "x"}).to_string();
    let err = e
        .write(Method::Post, "contacts", "", &[], &into_b, &a)
        .await
        .unwrap_err();
    assert_eq!((err.code.code(), err.status_for(true)), ("42501", 403));
    assert_eq!(
        err.message,
        "new row violates row-level security policy for table \"contacts\""
    );
    // Members may not manage quick replies, nobody may update messages, anon nothing.
    let qr = json!({"organization_id": id(A), "name": "n", "content": "c"}).to_string();
    assert_eq!(
        e.refused(Method::Post, "quick_replies", "", &qr, &a).await,
        "42501"
    );
    let read = "{\"status\":\"read\"}";
    let err = e
        .write(Method::Patch, "messages", "", &[], read, &a)
        .await
        .unwrap_err();
    assert_eq!(err.message, "permission denied for table messages");
    let err = e
        .write(Method::Delete, "contacts", "", &[], "", &Auth::anon())
        .await
        .unwrap_err();
    assert_eq!(err.status_for(false), 401);

    // Updates and deletes only reach rows the policy allows: B's rows stay.
    let prefer = [("Prefer", "return=representation")];
    let zero = "{\"unread_count\":0}";
    let r = e
        .write(
            Method::Patch,
            "conversations",
            "select=id",
            &prefer,
            zero,
            &a,
        )
        .await
        .unwrap();
    assert_eq!(range(&r), "0-2/*");
    let counts = e
        .rows(
            "conversations",
            "select=unread_count&order=id",
            &Auth::service(),
        )
        .await;
    let expected =
        json!([{"unread_count": 0}, {"unread_count": 0}, {"unread_count": 0}, {"unread_count": 5}]);
    assert_eq!(counts, expected);
    let admin_a = user(1, A, OrgRole::Admin);
    let r = e
        .write(
            Method::Delete,
            "quick_replies",
            "name=eq.bye",
            &[],
            "",
            &admin_a,
        )
        .await
        .unwrap();
    assert_eq!((r.status, range(&r)), (204, "*/*"));
    let left = e
        .rows("quick_replies", "select=name&name=eq.bye", &Auth::service())
        .await;
    assert_eq!(left, json!([{"name": "bye"}]));

    // Agents: a member renames their own row but may not make it an AI; admins manage
    // AI agents only.
    let me = user(1, A, OrgRole::Member);
    let renamed = e
        .written(
            Method::Patch,
            "agents",
            "select=name",
            "{\"name\":\"Me\"}",
            &me,
        )
        .await;
    assert_eq!(renamed, json!([{"name": "Me"}]));
    let ai = e
        .written(Method::Patch, "agents", "select=name", "{\"ai\":true}", &me)
        .await;
    assert_eq!(ai, json!([]));
    let admin = user(9, A, OrgRole::Admin);
    let gone = e
        .written(Method::Delete, "agents", "select=name", "", &admin)
        .await;
    assert_eq!(gone, json!([{"name": "Bot"}]));
    let human = json!({"organization_id": id(A), "name": "H"}).to_string();
    assert_eq!(
        e.refused(Method::Post, "agents", "", &human, &admin).await,
        "42501"
    );
    let bot = json!({"organization_id": id(A), "name": "B2", "ai": true}).to_string();
    let r = e
        .write(Method::Post, "agents", "", &[], &bot, &admin)
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    // A provider key never lands in extra in plain text.
    let keyed = json!({"organization_id": id(A), "name": "B3", "ai": true,
        "extra": {"api_url": "openai", "api_key": "sk-plain"}})
    .to_string();
    assert_eq!(
        e.refused(Method::Post, "agents", "", &keyed, &admin).await,
        "PGRST102"
    );
    let rekey = "{\"extra\":{\"api_key\":\"sk-plain\"}}";
    assert_eq!(
        e.refused(Method::Patch, "agents", "", rekey, &admin).await,
        "PGRST102"
    );
    // Nor do its tools' headers; a sealed value (as reads show it) may be written back.
    let tools = |value: &str| {
        json!({"extra": {"tools": [{"type": "http", "config": {"headers": {"Authorization": value}}}]}})
            .to_string()
    };
    assert_eq!(
        e.refused(Method::Patch, "agents", "", &tools("Bearer plain"), &admin)
            .await,
        "PGRST102"
    );
    let r = e
        .write(
            Method::Patch,
            "agents",
            "name=eq.B2",
            &[],
            &tools("wakit-sealed:v1:AAAA"),
            &admin,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    // contacts_addresses: only contact_id changes.
    let wa = "{\"wa_id\":\"1\"}";
    assert_eq!(
        e.refused(Method::Patch, "contacts_addresses", "", wa, &a)
            .await,
        "42501"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserts_strict_limits_and_rollback() {
    let e = Engines::new().await;
    let a = user(1, A, OrgRole::Member);
    let rows = json!([
        {"organization_id": id(A), "address": "5511", "wa_id": "5511", "contact_id": id(0xA11)},
        {"organization_id": id(A), "address": "5599", "wa_id": "5599"},
    ])
    .to_string();
    let q = "on_conflict=organization_id,%20address&select=address,contact_id,profile_name";
    let ignore = [(
        "Prefer",
        "return=representation,resolution=ignore-duplicates",
    )];
    let r = e
        .write(Method::Post, "contacts_addresses", q, &ignore, &rows, &a)
        .await
        .unwrap();
    let added: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        added,
        json!([{"address": "5599", "contact_id": null, "profile_name": null}])
    );

    let merge = [(
        "Prefer",
        "return=representation,resolution=merge-duplicates",
    )];
    let one = json!([{"organization_id": id(A), "address": "5511", "wa_id": "5511", "contact_id": id(0xA11)}])
        .to_string();
    // A member may change only contact_id of an existing address: a merge writing wa_id is refused.
    let err = e
        .write(Method::Post, "contacts_addresses", q, &merge, &one, &a)
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "42501");
    let r = e
        .write(
            Method::Post,
            "contacts_addresses",
            q,
            &merge,
            &one,
            &Auth::service(),
        )
        .await
        .unwrap();
    let merged: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        merged,
        json!([{"address": "5511", "contact_id": id(0xA11), "profile_name": "Ana P"}])
    );
    // Writing into someone else's organization is refused, merge or not.
    let b_row = json!([{"organization_id": id(B), "address": "5511", "wa_id": "1"}]).to_string();
    let owner_a = user(1, A, OrgRole::Owner);
    let err = e
        .write(
            Method::Post,
            "contacts_addresses",
            q,
            &merge,
            &b_row,
            &owner_a,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "42501");

    // More rows than max-affected: refused and rolled back; tx=rollback leaves no trace.
    let strict = [("Prefer", "handling=strict, max-affected=1")];
    let err = e
        .write(
            Method::Delete,
            "messages",
            "",
            &strict,
            "",
            &Auth::service(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "PGRST124");
    let rollback = [("Prefer", "tx=rollback")];
    e.write(
        Method::Delete,
        "messages",
        "",
        &rollback,
        "",
        &Auth::service(),
    )
    .await
    .unwrap();
    let left = e.rows("messages", "select=id", &Auth::service()).await;
    assert_eq!(left.as_array().unwrap().len(), 6);

    // .single() after a write; admins may not rename the organization.
    let admin_b = user(2, B, OrgRole::Admin);
    let single = [
        ("Accept", "application/vnd.pgrst.object+json"),
        ("Prefer", "return=representation"),
    ];
    let q = format!("id=eq.{}&select=name", id(B));
    let paris = "{\"timezone\":\"Europe/Paris\"}";
    let r = e
        .write(Method::Patch, "organizations", &q, &single, paris, &admin_b)
        .await
        .unwrap();
    let org: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(org, json!({"name": "Beta"}));
    let renamed = e
        .write(
            Method::Patch,
            "organizations",
            "",
            &[],
            "{\"name\":\"B2\"}",
            &admin_b,
        )
        .await;
    assert_eq!(renamed.unwrap().status, 204);
    let names = e
        .rows("organizations", "select=name&order=name", &Auth::service())
        .await;
    assert_eq!(names, json!([{"name": "Acme"}, {"name": "Beta"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_violations_answer_the_same_code_on_both_engines() {
    let e = Engines::new().await;
    let s = Auth::service();
    let dup = json!({"organization_id": id(A), "address": "5511", "wa_id": "5511"}).to_string();
    let err = e
        .write(Method::Post, "contacts_addresses", "", &[], &dup, &s)
        .await
        .unwrap_err();
    assert_eq!((err.code.code(), err.status()), ("23505", 409));
    let dangling = json!({"organization_id": id(0xF), "name": "x"}).to_string();
    let err = e
        .write(Method::Post, "contacts", "", &[], &dangling, &s)
        .await
        .unwrap_err();
    assert_eq!((err.code.code(), err.status()), ("23503", 409));
    let nameless = json!({"organization_id": id(A)}).to_string();
    let err = e
        .write(Method::Post, "quick_replies", "", &[], &nameless, &s)
        .await
        .unwrap_err();
    assert_eq!((err.code.code(), err.status()), ("23502", 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_creating_an_organization_becomes_its_owner() {
    let e = Engines::new().await;
    let mut creator = Auth::user(Uuid::from_u128(7), vec![]);
    creator.name = Some("Grace".into());
    let new = e
        .written(
            Method::Post,
            "organizations",
            "select=id,name",
            "{\"name\":\"New\"}",
            &creator,
        )
        .await;
    let org = new[0]["id"].as_str().unwrap().to_string();
    let q = format!("select=name,user_id,ai,role:extra->>role&organization_id=eq.{org}");
    let agents = e.rows("agents", &q, &Auth::service()).await;
    assert_eq!(
        agents,
        json!([{"name": "Grace", "user_id": id(7), "ai": false, "role": "owner"}])
    );
    // Keys and anonymous callers may not create organizations.
    let key = Auth::api_key(Uuid::from_u128(0xA50), Uuid::from_u128(A), OrgRole::Owner);
    let named = "{\"name\":\"K\"}";
    assert_eq!(
        e.refused(Method::Post, "organizations", "", named, &key)
            .await,
        "42501"
    );
    assert_eq!(
        e.refused(Method::Post, "organizations", "", named, &Auth::anon())
            .await,
        "42501"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_owner_stays() {
    let e = Engines::new().await;
    let owner = user(1, A, OrgRole::Owner);
    let q = format!("id=eq.{}&select=name", id(0xA40));
    let demote = "{\"extra\":{\"role\":\"member\"}}";
    // Owner A is A's only owner: neither deleted nor demoted, by anyone.
    for auth in [&owner, &Auth::service()] {
        assert_eq!(
            e.written(Method::Delete, "agents", &q, "", auth).await,
            json!([])
        );
        assert_eq!(
            e.written(Method::Patch, "agents", &q, demote, auth).await,
            json!([])
        );
    }
    // With a second owner, the first may go.
    let second =
        json!({"organization_id": id(A), "name": "Second", "extra": {"role": "owner"}}).to_string();
    e.write(Method::Post, "agents", "", &[], &second, &owner)
        .await
        .unwrap();
    let gone = e.written(Method::Delete, "agents", &q, "", &owner).await;
    assert_eq!(gone, json!([{"name": "Owner A"}]));
}
