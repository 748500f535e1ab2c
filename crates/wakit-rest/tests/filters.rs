//! Filters, logic trees, counts, ranges and `.single()` on both engines.
#![allow(clippy::unwrap_used)]

mod common;

use common::{A, Engines, id};
use serde_json::{Value, json};
use wakit_rest::{Auth, Method};

fn names(rows: &Value, key: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap_or("<null>").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_supported_operator_means_the_same_on_both_engines() {
    let e = Engines::new().await;
    let s = Auth::service();
    let q = |filter: &str| format!("select=profile_name&order=profile_name&{filter}");
    let cases: &[(&str, &[&str])] = &[
        ("profile_name=eq.Leak", &["Leak"]),
        ("profile_name=neq.Leak", &["Ana P", "Bob, Jr.", "Zed Z"]),
        ("profile_name=gt.Bob", &["Bob, Jr.", "Leak", "Zed Z"]),
        ("profile_name=lte.Bob,%20Jr.", &["Ana P", "Bob, Jr."]),
        ("profile_name=like.*P", &["Ana P"]),
        // like is case-sensitive, ilike is not, on both engines.
        ("profile_name=like.*p", &[]),
        ("profile_name=ilike.*p", &["Ana P"]),
        ("profile_name=like.Bob_%", &["Bob, Jr."]),
        (
            r#"profile_name=in.("Bob,%20Jr.",Leak)"#,
            &["Bob, Jr.", "Leak"],
        ),
        ("profile_name=not.in.(Leak,Zed%20Z)", &["Ana P", "Bob, Jr."]),
        ("profile_name=in.()", &[]),
        ("extra->invitation->>status=eq.pending", &["Ana P"]),
        ("extra->>invitation=is.null", &["Bob, Jr.", "Leak", "Zed Z"]),
        (
            "contact_id=is.not_null",
            &["Ana P", "Bob, Jr.", "Leak", "Zed Z"],
        ),
        (
            "or=(address.eq.5522,and(organization_id.eq.00000000-0000-0000-0000-00000000000b,profile_name.ilike.z*))",
            &["Bob, Jr.", "Zed Z"],
        ),
        ("not.or=(address.eq.5511,address.eq.5522)", &["Leak"]),
        (
            "or=(profile_name.eq.\"Bob,%20Jr.\",profile_name.like.L*)",
            &["Bob, Jr.", "Leak"],
        ),
        (
            "profile_name=isdistinct.Leak",
            &["Ana P", "Bob, Jr.", "Zed Z"],
        ),
    ];
    for (filter, expected) in cases {
        let rows = e.rows("contacts_addresses", &q(filter), &s).await;
        assert_eq!(names(&rows, "profile_name"), *expected, "{filter}");
    }
    let hooks = |f: &str| format!("select=url&order=url&{f}");
    for (filter, expected) in [
        ("operations=cs.{insert}", vec!["https://a.example"]),
        (
            "operations=cs.[\"update\",\"insert\"]",
            vec!["https://a.example"],
        ),
        (
            "operations=cd.[\"delete\",\"insert\"]",
            vec!["https://b.example"],
        ),
        ("operations=not.cs.{delete}", vec!["https://a.example"]),
    ] {
        assert_eq!(
            names(&e.rows("webhooks", &hooks(filter), &s).await, "url"),
            expected,
            "{filter}"
        );
    }
    let contacts = |f: &str| format!("select=name&order=name.desc.nullsfirst&{f}");
    for (filter, expected) in [
        ("extra=cs.{\"vip\":true}", vec!["Zed", "Ana"]),
        ("", vec!["<null>", "bob", "Zed", "Ana"]),
        (
            "created_at=gte.2026-01-02T03:04:05.123456Z&name=not.is.null",
            vec!["bob", "Zed", "Ana"],
        ),
        ("created_at=gt.2026-01-02%2003:04:05.123456%2B00", vec![]),
        ("extra->tags=eq.[\"b\"]", vec!["bob"]),
    ] {
        assert_eq!(
            names(&e.rows("contacts", &contacts(filter), &s).await, "name"),
            expected,
            "{filter}"
        );
    }
    let agents = e.rows("agents", "select=name&ai=is.true", &s).await;
    assert_eq!(names(&agents, "name"), vec!["Bot"]);
    let agents = e
        .rows("agents", "select=name&ai=eq.false&order=name.desc", &s)
        .await;
    assert_eq!(names(&agents, "name"), vec!["Owner B", "Owner A"]);
    let convs = e
        .rows(
            "conversations",
            "select=id&unread_count=gte.2&order=unread_count.desc",
            &s,
        )
        .await;
    assert_eq!(convs, json!([{"id": id(0xB20)}, {"id": id(0xA20)}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_ranges_and_single_objects() {
    let e = Engines::new().await;
    let s = Auth::service();
    let count = [("Prefer", "count=exact")];
    let r = e
        .request(
            Method::Get,
            "messages",
            "select=id&order=timestamp&limit=2&offset=1",
            &count,
            &s,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 206);
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "1-2/6".into()))
    );
    let r = e
        .request(Method::Head, "messages", "select=id", &count, &s)
        .await
        .unwrap();
    assert_eq!((r.status, r.body.is_none()), (200, true));
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "0-5/6".into()))
    );
    // A HEAD builds no body but keeps every filter and policy of the GET.
    let a = wakit_rest::Auth::user(
        uuid::Uuid::from_u128(1),
        vec![(uuid::Uuid::from_u128(A), wakit_rest::OrgRole::Member)],
    );
    let q = "select=id,conversations!inner(id)&direction=neq.internal&limit=2";
    let r = e
        .request(Method::Head, "messages", q, &count, &a)
        .await
        .unwrap();
    assert_eq!((r.status, r.headers[1].1.as_str()), (206, "0-1/3"));
    let r = e
        .request(Method::Get, "messages", "select=id", &[], &s)
        .await
        .unwrap();
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "0-5/*".into()))
    );
    let r = e
        .request(Method::Get, "messages", "select=id&limit=0", &count, &s)
        .await
        .unwrap();
    assert!(r.headers.contains(&("Content-Range".into(), "*/6".into())));
    let e416 = e
        .request(Method::Get, "messages", "offset=10", &count, &s)
        .await
        .unwrap_err();
    assert_eq!((e416.code.code(), e416.status()), ("PGRST103", 416));
    // Counts obey the policies and !inner embeds too.
    let a = wakit_rest::Auth::user(
        uuid::Uuid::from_u128(1),
        vec![(uuid::Uuid::from_u128(A), wakit_rest::OrgRole::Member)],
    );
    let r = e
        .request(
            Method::Get,
            "messages",
            "select=id,conversations!inner(id)&limit=1",
            &count,
            &a,
        )
        .await
        .unwrap();
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "0-0/4".into())),
        "{:?}",
        r.headers
    );
    let r = e
        .request(
            Method::Get,
            "messages",
            "select=id",
            &[("Range", "1-2")],
            &s,
        )
        .await
        .unwrap();
    assert!(
        r.headers
            .contains(&("Content-Range".into(), "1-2/*".into()))
    );

    let single = [("Accept", "application/vnd.pgrst.object+json")];
    let q = format!("select=name,extra&id=eq.{}", id(A));
    let r = e
        .request(Method::Get, "organizations", &q, &single, &s)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(r.body.as_deref().unwrap()).unwrap(),
        json!({"name": "Acme", "extra": {"plan": "Acme"}})
    );
    assert!(r.headers.iter().any(|(k, v)| k == "Content-Type" && v.starts_with("application/vnd.pgrst.object+json")));
    let none = e
        .request(Method::Get, "organizations", "name=eq.nobody", &single, &s)
        .await
        .unwrap_err();
    assert_eq!(
        none.body(),
        json!({"code": "PGRST116", "details": "The result contains 0 rows", "hint": null, "message": "Cannot coerce the result to a single JSON object"})
    );
    assert_eq!(none.status(), 406);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantified_operators() {
    let e = Engines::new().await;
    let s = Auth::service();
    let q = |f: &str| format!("select=profile_name&order=profile_name&{f}");
    for (filter, expected) in [
        ("profile_name=like(any).{A*,*Z}", vec!["Ana P", "Zed Z"]),
        ("profile_name=ilike(all).{*a*,*p}", vec!["Ana P"]),
        (
            "profile_name=not.eq(any).{Leak,%22Bob,%20Jr.%22}",
            vec!["Ana P", "Zed Z"],
        ),
        (
            "profile_name=gt(all).{Ana%20P,Bob}",
            vec!["Bob, Jr.", "Leak", "Zed Z"],
        ),
        ("profile_name=like(any).{}", vec![]),
    ] {
        let rows = e.rows("contacts_addresses", &q(filter), &s).await;
        assert_eq!(names(&rows, "profile_name"), expected, "{filter}");
    }
}
