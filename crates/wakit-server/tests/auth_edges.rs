//! `/auth/v1` around the happy path: the `apikey` gate, GoTrue's two error shapes,
//! sign-up switched off, malformed input, forged and expired tokens, and the budget
//! of failed sign-ins per address.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::{JWT_SECRET, PASSWORD, expect_auth_error, ok_json, start_auth};
use reqwest::Method;
use serde_json::{Value, json};
use wakit_server::routes::auth::JwtSecret;
use wakit_store::{NewUser, PasswordHash};
use wakit_store_tests::{Backend, TestStore};

/// Without the anon key nothing answers; a key signed with another secret is refused.
async fn apikey_is_required(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, false).await;
    let http = reqwest::Client::new();
    let bare = http
        .get(format!("{}/health", auth.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    let forged = JwtSecret::random().api_key(false).unwrap();
    let other = http
        .get(format!("{}/health", auth.base))
        .header("apikey", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 401);
    assert_eq!(
        other.json::<Value>().await.unwrap()["message"],
        "Invalid API key"
    );
    let health = ok_json(
        auth.request(Method::GET, "/health", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(health["name"], "GoTrue");
    let settings = ok_json(
        auth.request(Method::GET, "/settings", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(settings["disable_signup"], true);
    assert_eq!(settings["external"]["email"], true);
    server.stop().await;
}

/// With sign-up off, `signup_disabled`; the older clients (no version header) get
/// GoTrue's first error shape, the dated ones the new one with the version echoed.
async fn error_shapes_follow_the_api_version(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, false).await;
    let body = json!({"email": "ana@example.com", "password": PASSWORD});
    let dated = auth.post("/signup", None, body.clone()).await;
    assert_eq!(
        dated.headers().get("x-supabase-api-version").unwrap(),
        "2024-01-01"
    );
    expect_auth_error(dated, 422, "signup_disabled").await;

    let old = reqwest::Client::new()
        .post(format!("{}/signup", auth.base))
        .header("apikey", &auth.anon)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 422);
    assert!(old.headers().get("x-supabase-api-version").is_none());
    let old: Value = old.json().await.unwrap();
    assert_eq!(
        old,
        json!({"code": 422, "error_code": "signup_disabled", "msg": "Signups not allowed for this instance"})
    );
    server.stop().await;
}

/// Bad input is a clear 400 (or GoTrue's 422 for a weak password); a token signed
/// with another secret, or expired, is `bad_jwt`; no token at all, `no_authorization`.
async fn bad_input_and_bad_tokens(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, true).await;
    let weak = auth
        .post(
            "/signup",
            None,
            json!({"email": "ana@example.com", "password": "1234"}),
        )
        .await;
    expect_auth_error(weak, 422, "weak_password").await;
    let no_at = auth
        .post(
            "/signup",
            None,
            json!({"email": "ana", "password": PASSWORD}),
        )
        .await;
    expect_auth_error(no_at, 400, "email_address_invalid").await;
    let garbage = auth
        .request(Method::POST, "/token?grant_type=password", None)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_auth_error(garbage, 400, "validation_failed").await;
    let grant = auth.post("/token?grant_type=magic", None, json!({})).await;
    expect_auth_error(grant, 400, "validation_failed").await;
    let missing = auth
        .post("/token?grant_type=password", None, json!({}))
        .await;
    expect_auth_error(missing, 400, "validation_failed").await;

    let s = auth.sign_up("ana@example.com").await;
    let user = serde_json::from_value::<Value>(s["user"].clone()).unwrap();
    let stored = ts
        .store
        .get_user(wakit_store::UserId(
            user["id"].as_str().unwrap().parse().unwrap(),
        ))
        .await
        .unwrap();
    let session = wakit_store::SessionId(uuid_of(&s));
    let forged = JwtSecret::random()
        .access_token(&stored, session, chrono::Utc::now(), 60)
        .unwrap();
    expect_auth_error(auth.user(&forged).await, 403, "bad_jwt").await;
    let ours = JwtSecret::new(JWT_SECRET.as_bytes()).unwrap();
    let expired = ours
        .access_token(
            &stored,
            session,
            chrono::Utc::now() - chrono::Duration::hours(2),
            60,
        )
        .unwrap();
    expect_auth_error(auth.user(&expired).await, 403, "bad_jwt").await;
    let none = reqwest::Client::new()
        .get(format!("{}/user", auth.base))
        .header("apikey", &auth.anon)
        .header("x-supabase-api-version", "2024-01-01")
        .send()
        .await
        .unwrap();
    expect_auth_error(none, 401, "no_authorization").await;
    server.stop().await;
}

/// The session id inside a session's access token (clients decode it the same way).
fn uuid_of(session: &Value) -> uuid::Uuid {
    use base64::Engine;
    let token = session["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["aal"], "aal1");
    assert_eq!(claims["amr"][0]["method"], "password");
    claims["session_id"].as_str().unwrap().parse().unwrap()
}

/// An imported bcrypt hash signs in; repeated wrong passwords for one address are cut
/// off with 429 before the right one is even checked.
async fn bcrypt_imports_and_failure_budget(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, false).await;
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    ts.store
        .create_user(NewUser {
            email: "imported@example.com".into(),
            password_hash: PasswordHash(hash),
            user_metadata: json!({}),
        })
        .await
        .unwrap();
    let signed = ok_json(auth.sign_in("imported@example.com", PASSWORD).await).await;
    // The imported bcrypt hash is replaced by argon2id at that first sign-in.
    let id = wakit_store::UserId(signed["user"]["id"].as_str().unwrap().parse().unwrap());
    let stored = ts.store.password_hash(id).await.unwrap();
    assert!(stored.0.starts_with("$argon2id$"), "upgraded");
    ok_json(auth.sign_in("imported@example.com", PASSWORD).await).await;
    let mut limited = None;
    for _ in 0..30 {
        let resp = auth.sign_in("imported@example.com", "wrong password").await;
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
        expect_auth_error(resp, 400, "invalid_credentials").await;
    }
    let limited = limited.expect("failures are limited");
    expect_auth_error(limited, 429, "over_request_rate_limit").await;
    let right = auth.sign_in("imported@example.com", PASSWORD).await;
    assert_eq!(right.status(), 429, "the right password waits too");
    server.stop().await;
}

/// A browser page on another origin may call /auth/v1 and /rest/v1 (CORS).
async fn browsers_on_other_origins_may_call(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, false).await;
    let http = reqwest::Client::new();
    for path in ["/auth/v1/token?grant_type=password", "/rest/v1/contacts"] {
        let preflight = http
            .request(Method::OPTIONS, format!("{}{path}", server.root()))
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "apikey, authorization, content-type, prefer",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), 200, "{path}");
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    let health = auth
        .request(Method::GET, "/health", None)
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(health.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}

on_both_backends!(
    browsers_on_other_origins_may_call,
    apikey_is_required,
    error_shapes_follow_the_api_version,
    bad_input_and_bad_tokens,
    bcrypt_imports_and_failure_budget,
);
