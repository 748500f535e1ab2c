//! `/auth/v1` through the real server, as supabase-js uses it: sign-up, sign-in, wrong
//! password, refresh rotation and reuse, the user, password change, sign-out — and the
//! keys, error shapes and limits around them.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::auth::{PASSWORD, expect_auth_error, ok_json, start_auth};
use reqwest::Method;
use serde_json::json;
use wakit_store_tests::{Backend, TestStore};

/// Sign-up answers a session whose token reads back the user; signing in with the
/// password answers another; a wrong password or an unknown address is
/// `invalid_credentials`; the address is one user in any letter case.
async fn sign_up_then_sign_in(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, true).await;
    let session = auth.sign_up("Ana@Example.com").await;
    for field in ["access_token", "refresh_token", "expires_in", "expires_at"] {
        assert!(!session[field].is_null(), "{field} in {session}");
    }
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["expires_in"], 3600);
    assert_eq!(session["user"]["email"], "ana@example.com");
    assert_eq!(session["user"]["aud"], "authenticated");
    assert_eq!(session["user"]["user_metadata"], json!({"name": "Ana"}));
    assert_eq!(session["user"]["app_metadata"]["provider"], "email");

    let me = ok_json(auth.user(session["access_token"].as_str().unwrap()).await).await;
    assert_eq!(me["id"], session["user"]["id"]);
    assert!(me["last_sign_in_at"].is_string());

    let again = auth
        .post(
            "/signup",
            None,
            json!({"email": "ANA@example.com", "password": PASSWORD}),
        )
        .await;
    expect_auth_error(again, 422, "user_already_exists").await;

    let signed_in = ok_json(auth.sign_in("ana@EXAMPLE.com", PASSWORD).await).await;
    assert_eq!(signed_in["user"]["id"], session["user"]["id"]);
    assert_ne!(signed_in["refresh_token"], session["refresh_token"]);

    let wrong = auth.sign_in("ana@example.com", "not the password").await;
    let body = expect_auth_error(wrong, 400, "invalid_credentials").await;
    assert_eq!(body["message"], "Invalid login credentials");
    let unknown = auth.sign_in("nobody@example.com", PASSWORD).await;
    expect_auth_error(unknown, 400, "invalid_credentials").await;
    server.stop().await;
}

/// A refresh token buys one new session token; presenting it again is refused and ends
/// the session, so the token it was exchanged for and its access token die too.
async fn refresh_rotates_and_reuse_revokes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, true).await;
    let first = auth.sign_up("ana@example.com").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = ok_json(auth.refresh(r1).await).await;
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    let access2 = second["access_token"].as_str().unwrap();
    ok_json(auth.user(access2).await).await;

    expect_auth_error(auth.refresh(r1).await, 400, "refresh_token_already_used").await;
    expect_auth_error(auth.refresh(r2).await, 400, "refresh_token_not_found").await;
    expect_auth_error(auth.user(access2).await, 403, "session_not_found").await;
    expect_auth_error(
        auth.refresh("made-up").await,
        400,
        "refresh_token_not_found",
    )
    .await;
    server.stop().await;
}

/// The password changes with the current session; the old one stops working, the new
/// one signs in; a short or unchanged password is refused.
async fn password_change(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, true).await;
    let s = auth.sign_up("ana@example.com").await;
    let token = s["access_token"].as_str().unwrap();
    let put = |body: serde_json::Value, bearer: Option<&str>| {
        auth.request(Method::PUT, "/user", bearer)
            .json(&body)
            .send()
    };
    let weak = put(json!({"password": "short"}), Some(token))
        .await
        .unwrap();
    let body = expect_auth_error(weak, 422, "weak_password").await;
    assert_eq!(body["weak_password"]["reasons"], json!(["length"]));
    let same = put(json!({"password": PASSWORD}), Some(token))
        .await
        .unwrap();
    expect_auth_error(same, 422, "same_password").await;
    let anon = put(json!({"password": "a new password"}), None)
        .await
        .unwrap();
    expect_auth_error(anon, 403, "bad_jwt").await;

    let changed = put(json!({"password": "a new password"}), Some(token))
        .await
        .unwrap();
    assert_eq!(ok_json(changed).await["email"], "ana@example.com");
    expect_auth_error(
        auth.sign_in("ana@example.com", PASSWORD).await,
        400,
        "invalid_credentials",
    )
    .await;
    ok_json(auth.sign_in("ana@example.com", "a new password").await).await;
    server.stop().await;
}

/// Sign-out ends the session (204) and its tokens; `others` keeps the caller's own.
async fn logout_scopes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (server, auth) = start_auth(&ts, true).await;
    let a = auth.sign_up("ana@example.com").await;
    let b = ok_json(auth.sign_in("ana@example.com", PASSWORD).await).await;
    let c = ok_json(auth.sign_in("ana@example.com", PASSWORD).await).await;
    let token = |s: &serde_json::Value| s["access_token"].as_str().unwrap().to_string();
    let logout = |bearer: String, scope: &'static str| {
        auth.request(
            Method::POST,
            &format!("/logout?scope={scope}"),
            Some(&bearer),
        )
        .send()
    };
    assert_eq!(logout(token(&a), "others").await.unwrap().status(), 204);
    ok_json(auth.user(&token(&a)).await).await;
    expect_auth_error(auth.user(&token(&b)).await, 403, "session_not_found").await;
    let r = c["refresh_token"].as_str().unwrap();
    expect_auth_error(auth.refresh(r).await, 400, "refresh_token_not_found").await;

    assert_eq!(logout(token(&a), "local").await.unwrap().status(), 204);
    expect_auth_error(auth.user(&token(&a)).await, 403, "session_not_found").await;
    let bad = logout(token(&a), "everything").await.unwrap();
    assert_eq!(bad.status(), 403, "a signed-out token is refused first");
    server.stop().await;
}

on_both_backends!(
    sign_up_then_sign_in,
    refresh_rotates_and_reuse_revokes,
    password_change,
    logout_scopes,
);
