//! Planner errors and the safety of the generated SQL (no engine needed).
#![allow(clippy::unwrap_used)]

use crate::auth::Auth;
use crate::error::ErrorCode;
use crate::plan::{Method, plan};
use crate::sql::{Bind, Dialect};

fn get(table: &str, query: &str) -> Result<crate::plan::Plan, crate::error::RestError> {
    plan(Method::Get, table, query, &[], b"", &Auth::service())
}

fn code(table: &str, query: &str) -> &'static str {
    get(table, query).unwrap_err().code.code()
}

#[test]
fn names_are_checked_against_the_registry() {
    assert_eq!(code("nope", ""), "PGRST205");
    assert_eq!(code("contacts", "select=nope"), "42703");
    assert_eq!(code("contacts", "nope=eq.1"), "42703");
    assert_eq!(code("contacts", "order=nope"), "42703");
    assert_eq!(code("contacts", "select=webhooks(*)"), "PGRST200");
    let e = get("contacts", "select=id,user:nope(*)").unwrap_err();
    assert_eq!(
        e.body(),
        serde_json::json!({
            "code": "PGRST200",
            "details": "Searched for a foreign key relationship between 'contacts' and 'nope' in the schema 'public', but no matches were found.",
            "hint": null,
            "message": "Could not find a relationship between 'contacts' and 'nope' in the schema cache",
        })
    );
    assert_eq!(code("contacts", "select=name->a"), "42883");
    assert_eq!(code("contacts", "id=like.a*"), "42883");
    assert_eq!(code("contacts", "id=eq.42"), "22P02");
    assert_eq!(code("conversations", "unread_count=gt.many"), "22P02");
}

#[test]
fn embed_filters_need_the_embed_in_select() {
    let e = get("conversations", "select=id&messages.direction=eq.incoming").unwrap_err();
    assert_eq!((e.code, e.status()), (ErrorCode::NotEmbedded, 400));
    assert_eq!(
        e.message,
        "'messages' is not an embedded resource in this request"
    );
    assert_eq!(
        code("conversations", "select=id&messages.limit=1"),
        "PGRST108"
    );
    // Aliases name the embed.
    assert!(get("conversations", "select=m:messages(id)&m.limit=1").is_ok());
    assert_eq!(
        code("conversations", "select=m:messages(id)&messages.limit=1"),
        "PGRST108"
    );
    assert_eq!(
        code("conversations", "select=id,messages(id)&messages=eq.1"),
        "PGRST120"
    );
    assert!(
        get(
            "conversations",
            "select=id,messages(id)&messages=not.is.null"
        )
        .is_ok()
    );
}

#[test]
fn writes_and_unsupported_features_answer_not_implemented() {
    let key = Auth::api_key(
        uuid::Uuid::nil(),
        uuid::Uuid::nil(),
        crate::registry::OrgRole::Owner,
    );
    let e = plan(Method::Post, "organizations", "", &[], b"{}", &key).unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let e = plan(
        Method::Patch,
        "contacts",
        "limit=1",
        &[],
        b"{}",
        &Auth::service(),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotImplemented);
    assert_eq!(code("contacts", "name=fts.cat"), "PGRST127");
    assert_eq!(code("contacts", "select=extra::text"), "PGRST127");
    assert_eq!(code("contacts", "select=name::float"), "PGRST127");
    assert!(get("contacts", "select=id::text,n:extra->>n::int").is_ok());
    let q = "select=id,contacts_addresses(contacts(id))";
    let e = plan(Method::Delete, "contacts", q, &[], b"", &Auth::service()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotImplemented);
    // Ordering by an embed needs it in select (PGRST108), to-one (PGRST118).
    assert_eq!(
        code("contacts", "order=organizations(name).desc"),
        "PGRST108"
    );
    assert!(
        get(
            "contacts",
            "select=id,organizations(name)&order=organizations(name).desc"
        )
        .is_ok()
    );
    let e = plan(
        Method::Get,
        "contacts",
        "",
        &[("Accept-Profile", "other")],
        b"",
        &Auth::service(),
    )
    .unwrap_err();
    assert_eq!(e.code.code(), "PGRST106");
}

#[test]
fn values_and_aliases_are_binds_never_sql_text() {
    let evil = "x'); DROP TABLE contacts; --";
    let q = format!("select=%22{evil}%22:name&name=eq.{evil}&or=(name.like.%22{evil}%22)");
    let p = get("contacts", &q).unwrap();
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let (sql, binds) = p.sql(dialect);
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(binds.contains(&Bind::Text(evil.to_string())), "{binds:?}");
        let params = match dialect {
            Dialect::Postgres => sql.matches('$').count(),
            Dialect::Sqlite => sql.matches('?').count(),
        };
        assert_eq!(params, binds.len(), "{sql}");
    }
}

#[test]
fn every_level_carries_the_callers_policy() {
    let org = uuid::Uuid::now_v7();
    let auth = Auth::user(
        uuid::Uuid::now_v7(),
        vec![(org, crate::registry::OrgRole::Member)],
    );
    let p = plan(
        Method::Get,
        "conversations",
        "select=id,messages(id),contacts_addresses!inner(contacts(id))",
        &[],
        b"",
        &auth,
    )
    .unwrap();
    let (sql, binds) = p.sql(Dialect::Postgres);
    // conversations, messages, contacts_addresses (output and EXISTS), contacts.
    let org_binds = binds
        .iter()
        .filter(|b| **b == Bind::Text(org.to_string()))
        .count();
    assert_eq!(org_binds, 5, "{sql}");
    assert_eq!(sql.matches("::uuid").count(), 5, "{sql}");
}

#[test]
fn bodies_are_checked_against_the_registry() {
    let post = |body: &str, query: &str| {
        plan(
            Method::Post,
            "contacts",
            query,
            &[],
            body.as_bytes(),
            &Auth::service(),
        )
    };
    assert_eq!(post("nope", "").unwrap_err().code.code(), "PGRST102");
    assert_eq!(post("[1]", "").unwrap_err().code.code(), "PGRST102");
    let e = post("{\"nope\":1}", "").unwrap_err();
    assert_eq!(
        (e.code.code(), e.message.as_str()),
        (
            "PGRST204",
            "Could not find the 'nope' column of 'contacts' in the schema cache"
        )
    );
    assert_eq!(
        post("{}", "columns=nope").unwrap_err().code.code(),
        "PGRST204"
    );
    assert_eq!(
        post("{\"organization_id\":\"x\"}", "")
            .unwrap_err()
            .code
            .code(),
        "22P02"
    );
    assert!(post("[]", "").is_ok());
}
