//! The API's error rows over raw HTTP on both backends: 401, 404, 405 with `Allow`,
//! 413, 415, malformed JSON, and the per-key rate limit (429 with `Retry-After`).
//! Every error is JSON `{error, code}`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::api::expect_error;
use common::sandbox::{fast_dispatch, new_key, world_with};
use reqwest::StatusCode;
use serde_json::Value;
use wakit_server::ApiConfig;
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

/// Status, `code` and `error` of a raw response; asserts the body is the API's JSON.
async fn error_of(resp: reqwest::Response) -> (StatusCode, String, String) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/json"),
        "{status}: content-type {ct}"
    );
    let body: Value = resp.json().await.expect("JSON body");
    let field = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    (status, field("code"), field("error"))
}

async fn error_rows(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), ApiConfig::default()).await;
    let key = w.api_key().await;
    let base = &w.server.base;
    let http = reqwest::Client::new();
    let auth = format!("Bearer {key}");

    let r = http.get(format!("{base}/accounts")).send().await.unwrap();
    assert_eq!(
        error_of(r).await,
        (
            StatusCode::UNAUTHORIZED,
            "unauthorized".into(),
            "Missing Authorization header".into()
        )
    );
    for bad in ["Bearer sk_nope", "Bearer ", "Basic abc"] {
        let r = http
            .get(format!("{base}/accounts"))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(r).await,
            (
                StatusCode::UNAUTHORIZED,
                "unauthorized".into(),
                "Invalid API key".into()
            )
        );
    }
    let r = http
        .get(format!("{base}/accounts"))
        .header("api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the api-key header works too");

    let r = http
        .get(format!("{base}/nowhere"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1, "not_found");

    for (method, path) in [
        ("POST", "accounts"),
        ("DELETE", "conversations"),
        ("PUT", "messages"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = http
            .request(m, format!("{base}/{path}"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        let allow = r
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(allow.contains("GET"), "{method} /{path}: Allow {allow:?}");
        assert_eq!(error_of(r).await.0, StatusCode::METHOD_NOT_ALLOWED);
    }

    let messages = format!("{base}/messages");
    let r = http
        .post(&messages)
        .header("authorization", &auth)
        .body("contact_phone=1")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = http
        .post(&messages)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body("{\"contact_phone\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1, "invalid_parameter");
    // Refused from Content-Length, after the upload was read: the client gets the 413
    // (not a reset connection), every time.
    let big = format!("{{\"text\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    for _ in 0..5 {
        let r = http
            .post(&messages)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.1, "payload_too_large");
    }
    // The same for a chunked upload (no Content-Length), and a small chunked body is
    // still read as JSON.
    for _ in 0..3 {
        let answer = chunked_post(&messages, &auth, &big).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
    let answer = chunked_post(&messages, &auth, "{\"text\": \"hi\"}").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("contact_phone"), "{answer}");
    w.stop().await;
}

/// POSTs `body` to `url` as a chunked upload (64 KiB chunks, no Content-Length) over a
/// plain connection, and returns the whole answer; a reset connection fails the test.
async fn chunked_post(url: &str, auth: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let (host, path) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap();
    let head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    let (host, body) = (host.to_string(), body.as_bytes().to_vec());
    tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(&host).unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        conn.write_all(head.as_bytes()).unwrap();
        for chunk in body.chunks(64 * 1024) {
            conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .unwrap();
            conn.write_all(chunk).unwrap();
            conn.write_all(b"\r\n").unwrap();
        }
        conn.write_all(b"0\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap()
}

async fn rate_limit_per_key(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let cfg = ApiConfig {
        rate_limit: Some(2),
        ..ApiConfig::default()
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), cfg).await;
    let api = w.client().await;
    // A burst of 2 s worth (4 requests) passes; the next is refused with Retry-After.
    let mut refused = None;
    for _ in 0..20 {
        match api.accounts().await {
            Ok(_) => continue,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("the limit is reached within 20 immediate requests");
    match &refused {
        wakit_api::ClientError::Api { retry_after, .. } => {
            assert!(
                retry_after.is_some_and(|s| s >= 1),
                "Retry-After {retry_after:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    expect_error::<()>(Err(refused), 429, "rate_limited");
    // Another key of the same org has its own budget.
    let other = new_key(&*w.ts.store, w.account.org_id).await;
    let other = wakit_api::Client::new(&w.server.root(), &other).unwrap();
    other
        .accounts()
        .await
        .expect("another key is not limited by the first");
    w.stop().await;
}

on_both_backends!(error_rows, rate_limit_per_key);

/// The database gone: every API call is 503 `unavailable` with `Retry-After`, `/ping`
/// and `/ready` say so, and nothing leaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unavailable_is_503() {
    let Some(ts) = TestStore::fresh(Backend::Postgres).await else {
        return;
    };
    let pg =
        wakit_store_postgres::PgStore::connect(&ts.url, wakit_store_postgres::PgOptions::default())
            .await
            .unwrap();
    pg.pool().close().await;
    let srv = common::start_with(std::sync::Arc::new(pg), false).await;
    let http = reqwest::Client::new();
    let key = "sk_".to_string() + &"a".repeat(40);
    let r = http
        .get(format!("{}/accounts", srv.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("retry-after").is_some(),
        "Retry-After on 503"
    );
    let (status, code, error) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    );
    assert!(
        !error.to_lowercase().contains("pool"),
        "no internals: {error}"
    );
    for path in ["ping", "ready"] {
        let r = http
            .get(format!("{}/{path}", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["db"], "error", "{path}");
    }
    srv.stop().await;
}
