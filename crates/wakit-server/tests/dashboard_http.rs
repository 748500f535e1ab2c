//! The dashboard over plain HTTP (the browser test is dashboard_browser.rs), on both
//! engines: the page and its assets — cache headers by content hash, compression, the
//! security headers; the session cookie endpoints — the refresh token only in an
//! HttpOnly cookie, CSRF and cross-site refusals, rotation, sign-out.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::{PASSWORD, start_auth};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use wakit_core::Role;
use wakit_server::routes::auth::password;
use wakit_store::NewUser;
use wakit_store_tests::{Backend, TestStore};

const EMAIL: &str = "agent@example.com";

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

async fn the_page_and_assets_are_cached_compressed_and_locked_down(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, _) = start_auth(&ts, false).await;
    let root = server.root();
    let http = reqwest::Client::new();
    let page = http.get(format!("{root}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert!(header(&h, "content-type").starts_with("text/html"));
    assert_eq!(header(&h, "cache-control"), "no-cache");
    let csp = header(&h, "content-security-policy");
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'self' 'sha256-",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(header(&h, "referrer-policy"), "no-referrer");
    let etag = header(&h, "etag").to_string();
    let html = page.text().await.unwrap();
    let again = http
        .get(format!("{root}/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Every module is in the import map, by a versioned URL that is cached for good.
    let css = html
        .split("href=\"")
        .find_map(|s| {
            s.split('"')
                .next()
                .filter(|u| u.starts_with("/assets/app.css?v="))
        })
        .unwrap()
        .to_string();
    assert!(
        html.contains("\"/assets/js/api.js\":\"/assets/js/api.js?v="),
        "{html}"
    );
    let versioned = http.get(format!("{root}{css}")).send().await.unwrap();
    assert_eq!(versioned.status(), 200);
    let h = versioned.headers();
    assert_eq!(
        header(h, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(h, "content-type").starts_with("text/css"));
    let bare = http
        .get(format!("{root}/assets/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(bare.headers(), "cache-control"), "no-cache");
    let stale = http
        .get(format!("{root}/assets/app.css?v=0000"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(stale.headers(), "cache-control"), "no-cache");
    for (accept, encoding) in [("br", "br"), ("gzip", "gzip")] {
        let packed = http
            .get(format!("{root}/assets/js/app.js"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(header(packed.headers(), "content-encoding"), encoding);
    }
    let missing = http
        .get(format!("{root}/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "{body}");
    // The API is untouched: JSON, no dashboard headers.
    let ping = http
        .get(format!("{}/ping", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    assert!(ping.headers().get("content-security-policy").is_none());
    server.stop().await;
}

/// The cookies a response sets: name → the whole Set-Cookie line.
fn set_cookies(h: &HeaderMap) -> Vec<(String, String)> {
    h.get_all(SET_COOKIE)
        .iter()
        .map(|v| {
            let line = v.to_str().unwrap().to_string();
            (line.split('=').next().unwrap().to_string(), line)
        })
        .collect()
}

/// The value of cookie `name` in a Set-Cookie list.
fn value(cookies: &[(String, String)], name: &str) -> String {
    let line = &cookies.iter().find(|(n, _)| n == name).unwrap().1;
    line.split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

async fn sessions_live_in_an_httponly_cookie(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let org = ts.store.create_org("Org", "UTC").await.unwrap().id;
    let user = ts
        .store
        .create_user(NewUser {
            email: EMAIL.into(),
            password_hash: password::hash(PASSWORD.into()).await.unwrap(),
            user_metadata: json!({}),
        })
        .await
        .unwrap();
    ts.store
        .add_member(org, user.id, Role::Owner)
        .await
        .unwrap();
    let (server, _) = start_auth(&ts, false).await;
    let url = |path: &str| format!("{}/dashboard/session{path}", server.root());
    let http = reqwest::Client::new();
    let sign_in = |pass: &str| {
        http.post(url(""))
            .json(&json!({"email": EMAIL, "password": pass}))
    };

    let wrong = sign_in("nope nope nope").send().await.unwrap();
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "invalid_credentials", "{body}");
    let cross = sign_in(PASSWORD)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let form = http
        .post(url(""))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={EMAIL}&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);

    let ok = sign_in(PASSWORD).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let cookies = set_cookies(ok.headers());
    let refresh_line = &cookies
        .iter()
        .find(|(n, _)| n == "wakit_refresh")
        .unwrap()
        .1;
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/dashboard/session",
    ] {
        assert!(refresh_line.contains(attribute), "{refresh_line}");
    }
    let csrf_line = &cookies.iter().find(|(n, _)| n == "wakit_csrf").unwrap().1;
    assert!(!csrf_line.contains("HttpOnly") && csrf_line.contains("SameSite=Strict"));
    let session: Value = ok.json().await.unwrap();
    let refresh = value(&cookies, "wakit_refresh");
    let csrf = value(&cookies, "wakit_csrf");
    assert!(session.get("refresh_token").is_none(), "{session}");
    assert!(!session.to_string().contains(&refresh));
    // The access token is an ordinary one: the data API takes it.
    let orgs: Value = http
        .get(format!("{}/rest/v1/organizations?select=id", server.root()))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs, json!([{"id": org.0.to_string()}]));

    let with_cookie = |path: &str, token: &str, csrf: Option<&str>| {
        let mut req = http.post(url(path)).header(
            "cookie",
            format!(
                "wakit_refresh={token}; wakit_csrf={csrf_cookie}",
                csrf_cookie = csrf.unwrap_or("")
            ),
        );
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req
    };
    let no_csrf = with_cookie("/refresh", &refresh, None)
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let renewed = with_cookie("/refresh", &refresh, Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);
    let rotated = value(&set_cookies(renewed.headers()), "wakit_refresh");
    assert_ne!(rotated, refresh, "the refresh token rotates");
    let body: Value = renewed.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    let spent = with_cookie("/refresh", &refresh, Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(spent.status(), 401, "a spent refresh token is refused");
    let cleared = set_cookies(spent.headers());
    assert!(
        cleared.iter().all(|(_, l)| l.contains("Max-Age=0")),
        "{cleared:?}"
    );

    // Sign in again, then sign out: the cookie's session is over.
    let again = sign_in(PASSWORD).send().await.unwrap();
    let cookies = set_cookies(again.headers());
    let (refresh, csrf) = (
        value(&cookies, "wakit_refresh"),
        value(&cookies, "wakit_csrf"),
    );
    let out = with_cookie("/logout", &refresh, Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        set_cookies(out.headers())
            .iter()
            .all(|(_, l)| l.contains("Max-Age=0"))
    );
    let after = with_cookie("/refresh", &refresh, Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    server.stop().await;
}

on_both_backends!(
    the_page_and_assets_are_cached_compressed_and_locked_down,
    sessions_live_in_an_httponly_cookie
);
