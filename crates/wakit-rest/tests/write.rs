//! Writes on both engines: inserts (bulk, defaults, upsert), updates and deletes under
//! the write policies, planned once and answering the same JSON from each engine.
#![allow(clippy::unwrap_used)]

mod common;

use common::{A, B, Engines, id};
use serde_json::{Value, json};
use uuid::Uuid;
use wakit_rest::{Auth, Method, OrgRole};

const REPR: (&str, &str) = ("Prefer", "return=representation");

fn user(n: u128, org: u128, role: OrgRole) -> Auth {
    Auth::user(Uuid::from_u128(n), vec![(Uuid::from_u128(org), role)])
}

fn body(r: &wakit_rest::Response) -> Value {
    serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_fill_defaults_and_return_the_representation() {
    let e = Engines::new().await;
    let a = user(1, A, OrgRole::Member);
    let new = json!({"organization_id": id(A), "name": "Cleo", "extra": {"k": [1]}}).to_string();
    let r = e
        .write(
            Method::Post,
            "contacts",
            "select=name,extra,status,organizations(name)",
            &[REPR],
            &new,
            &a,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(
        body(&r),
        json!([{"name": "Cleo", "extra": {"k": [1]}, "status": "active", "organizations": {"name": "Acme"}}])
    );
    let rows = e
        .rows("contacts", "select=name,status&name=eq.Cleo", &a)
        .await;
    assert_eq!(rows, json!([{"name": "Cleo", "status": "active"}]));

    // Bulk with `columns`: keys outside it are ignored; missing=default fills defaults.
    let bulk = json!([
        {"organization_id": id(A), "name": "qr1", "content": "one", "ignored": 1},
        {"organization_id": id(A), "name": "qr2", "content": "two"},
    ])
    .to_string();
    let admin = user(1, A, OrgRole::Admin);
    let prefer = [("Prefer", "return=minimal, count=exact")];
    let r = e
        .write(
            Method::Post,
            "quick_replies",
            "columns=organization_id,name,content",
            &prefer,
            &bulk,
            &admin,
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.body.is_none()), (201, true));
    assert!(r.headers.contains(&("Content-Range".into(), "*/2".into())));
    let names = e
        .rows(
            "quick_replies",
            &format!("select=name&order=name&organization_id=eq.{}", id(A)),
            &admin,
        )
        .await;
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
    let err = e
        .write(Method::Post, "quick_replies", "", &[], &qr, &a)
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "42501");
    let err = e
        .write(
            Method::Patch,
            "messages",
            "",
            &[],
            "{\"status\":\"read\"}",
            &a,
        )
        .await
        .unwrap_err();
    assert_eq!(err.message, "permission denied for table messages");
    let err = e
        .write(Method::Delete, "contacts", "", &[], "", &Auth::anon())
        .await
        .unwrap_err();
    assert_eq!(err.status_for(false), 401);

    // Updates and deletes only reach rows the policy allows: B's rows stay.
    let patch = "{\"unread_count\":0}";
    let r = e
        .write(
            Method::Patch,
            "conversations",
            "select=id",
            &[REPR],
            patch,
            &a,
        )
        .await
        .unwrap();
    assert_eq!(body(&r).as_array().unwrap().len(), 3);
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "0-2/*".into()))
    );
    let counts = e
        .rows(
            "conversations",
            "select=unread_count&order=id",
            &Auth::service(),
        )
        .await;
    assert_eq!(
        counts,
        json!([{"unread_count": 0}, {"unread_count": 0}, {"unread_count": 0}, {"unread_count": 5}])
    );
    let r = e
        .write(
            Method::Delete,
            "quick_replies",
            "name=eq.bye",
            &[],
            "",
            &user(1, A, OrgRole::Admin),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.headers[0].1.as_str()), (204, "*/*"));
    assert_eq!(
        e.rows("quick_replies", "select=name&name=eq.bye", &Auth::service())
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Agents: a member renames their own row but may not make it an AI; admins manage AI agents.
    let me = Auth::user(
        Uuid::from_u128(1),
        vec![(Uuid::from_u128(A), OrgRole::Member)],
    );
    let r = e
        .write(
            Method::Patch,
            "agents",
            "select=name",
            &[REPR],
            "{\"name\":\"Me\"}",
            &me,
        )
        .await
        .unwrap();
    assert_eq!(body(&r), json!([{"name": "Me"}]));
    let r = e
        .write(
            Method::Patch,
            "agents",
            "select=name",
            &[REPR],
            "{\"ai\":true}",
            &me,
        )
        .await
        .unwrap();
    assert_eq!(body(&r), json!([]));
    let admin = user(9, A, OrgRole::Admin);
    let r = e
        .write(Method::Delete, "agents", "select=name", &[REPR], "", &admin)
        .await
        .unwrap();
    assert_eq!(body(&r), json!([{"name": "Bot"}]));
    let human = json!({"organization_id": id(A), "name": "H"}).to_string();
    assert_eq!(
        e.write(Method::Post, "agents", "", &[], &human, &admin)
            .await
            .unwrap_err()
            .code
            .code(),
        "42501"
    );
    let bot = json!({"organization_id": id(A), "name": "B2", "ai": true}).to_string();
    assert_eq!(
        e.write(Method::Post, "agents", "", &[], &bot, &admin)
            .await
            .unwrap()
            .status,
        201
    );
    // contacts_addresses: only contact_id changes.
    let err = e
        .write(
            Method::Patch,
            "contacts_addresses",
            "",
            &[],
            "{\"wa_id\":\"1\"}",
            &a,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "42501");
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
    assert_eq!(
        body(&r),
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
    assert_eq!(
        body(&r),
        json!([{"address": "5511", "contact_id": id(0xA11), "profile_name": "Ana P"}])
    );
    // A merge through someone else's policy updates nothing and shows nothing.
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

    // More rows than max-affected: refused and rolled back.
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
    assert_eq!(
        e.rows("messages", "select=id", &Auth::service())
            .await
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let single = [("Accept", "application/vnd.pgrst.object+json"), REPR];
    let r = e
        .write(
            Method::Patch,
            "organizations",
            &format!("id=eq.{}&select=name", id(B)),
            &single,
            "{\"timezone\":\"Europe/Paris\"}",
            &user(2, B, OrgRole::Admin),
        )
        .await
        .unwrap();
    assert_eq!(body(&r), json!({"name": "Beta"}));
    let err = e
        .write(
            Method::Patch,
            "organizations",
            "select=name",
            &[],
            "{\"name\":\"B2\"}",
            &user(2, B, OrgRole::Admin),
        )
        .await
        .unwrap();
    assert_eq!(err.status, 204);
    assert_eq!(
        e.rows("organizations", "select=name&order=name", &Auth::service())
            .await,
        json!([{"name": "Acme"}, {"name": "Beta"}])
    );
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
    let r = e
        .write(
            Method::Post,
            "organizations",
            "select=id,name",
            &[REPR],
            "{\"name\":\"New\"}",
            &creator,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let org = body(&r)[0]["id"].as_str().unwrap().to_string();
    let agents = e
        .rows(
            "agents",
            &format!("select=name,user_id,ai,role:extra->>role&organization_id=eq.{org}"),
            &Auth::service(),
        )
        .await;
    assert_eq!(
        agents,
        json!([{"name": "Grace", "user_id": id(7), "ai": false, "role": "owner"}])
    );
    // Keys and anonymous callers may not create organizations.
    let key = Auth::api_key(Uuid::from_u128(0xA50), Uuid::from_u128(A), OrgRole::Owner);
    let err = e
        .write(
            Method::Post,
            "organizations",
            "",
            &[],
            "{\"name\":\"K\"}",
            &key,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code(), "42501");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_owner_stays() {
    let e = Engines::new().await;
    let owner = user(1, A, OrgRole::Owner);
    let q = format!("id=eq.{}&select=name", id(0xA40));
    // Owner A is A's only owner: neither deleted nor demoted, by anyone.
    for auth in [&owner, &Auth::service()] {
        let r = e
            .write(Method::Delete, "agents", &q, &[REPR], "", auth)
            .await
            .unwrap();
        assert_eq!(body(&r), json!([]));
        let demote = "{\"extra\":{\"role\":\"member\"}}";
        let r = e
            .write(Method::Patch, "agents", &q, &[REPR], demote, auth)
            .await
            .unwrap();
        assert_eq!(body(&r), json!([]));
    }
    // With a second owner, the first may go.
    let second =
        json!({"organization_id": id(A), "name": "Second", "extra": {"role": "owner"}}).to_string();
    e.write(Method::Post, "agents", "", &[], &second, &owner)
        .await
        .unwrap();
    let r = e
        .write(Method::Delete, "agents", &q, &[REPR], "", &owner)
        .await
        .unwrap();
    assert_eq!(body(&r), json!([{"name": "Owner A"}]));
}
