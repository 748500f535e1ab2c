//! Meta-facing routes under attack (issue 21, point 5): a burst of `/health` with Meta
//! hanging, `/templates` with Meta unreachable or hanging, and oversized template
//! parameters. Meta is a counting fake on 127.0.0.1 (`common::fake_meta`).

mod common;

use common::fake_meta::{start_fake, start_with_meta};
use std::sync::atomic::Ordering;
use std::time::Duration;
use wakit_server::ApiConfig;
use wakit_store_tests::{Backend, TestStore};

/// A client that gives up long after the server should have answered.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// 30 concurrent `/health` requests with Meta hanging make one call to Meta (one per
/// number), not 30, and all get the timeout answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_burst_is_one_meta_call_per_number() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let (fake, graph) = start_fake().await;
    fake.hang.store(true, Ordering::SeqCst);
    let (srv, _account, key) = start_with_meta(&ts, &graph, ApiConfig::default()).await;
    let http = client();
    let url = format!("{}/health", srv.base);
    let burst = (0..30).map(|_| http.get(&url).bearer_auth(&key).send());
    let answers = futures::future::join_all(burst).await;
    for a in answers {
        let body: serde_json::Value = a.expect("health").json().await.expect("json");
        let item = &body["accounts"][0];
        assert_eq!(item["status"], "error", "{body}");
        assert!(
            item["error"]
                .as_str()
                .is_some_and(|e| e.contains("timeout")),
            "{body}"
        );
    }
    assert_eq!(fake.calls(), 1, "Meta was asked once for the one number");
}

/// With Meta unreachable, `/templates` says so without internals (no DNS or socket
/// error text), and a burst of requests does not hammer Meta: the failure is reused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_meta_is_said_plainly_and_not_hammered() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    // A port nobody listens on: connection refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let graph = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let (srv, _account, key) = start_with_meta(&ts, &graph, ApiConfig::default()).await;
    let r = client()
        .get(format!("{}/templates", srv.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("templates");
    assert_eq!(r.status(), 502);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "upstream_error");
    let error = body["error"].as_str().unwrap_or_default();
    assert_eq!(
        error, "Meta could not be reached; try again shortly.",
        "{body}"
    );
    let r = client()
        .get(format!("{}/health", srv.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("health");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["accounts"][0]["error"], "Meta could not be reached",
        "{body}"
    );

    // Counting calls needs a listener: a hanging fake, asked by a burst at once.
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let (fake, graph) = start_fake().await;
    fake.hang.store(true, Ordering::SeqCst);
    let (srv, _account, key) = start_with_meta(&ts, &graph, ApiConfig::default()).await;
    let http = client();
    let url = format!("{}/templates", srv.base);
    let burst = (0..20).map(|_| http.get(&url).bearer_auth(&key).send());
    for a in futures::future::join_all(burst).await {
        let a = a.expect("an answer, not the client's timeout");
        assert_eq!(a.status(), 502);
        let body: serde_json::Value = a.json().await.expect("json");
        assert_eq!(body["code"], "upstream_error", "{body}");
    }
    let again = http
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 502, "the failure is remembered briefly");
    assert_eq!(fake.calls(), 1, "one call to Meta for 21 requests");
}

/// Template parameters are bounded as Meta bounds them: a 1 MB parameter is a 400 with a
/// sentence, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_template_parameters_are_refused() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let (_fake, graph) = start_fake().await;
    let (srv, account, key) = start_with_meta(&ts, &graph, ApiConfig::default()).await;
    let send = |value: String| {
        serde_json::json!({
            "contact_phone": "5215551234567",
            "template": {"name": "hello", "language": {"code": "es"}, "components": [
                {"type": "body", "parameters": [{"type": "text", "text": value}]}]}
        })
    };
    let http = client();
    for (value, said) in [
        ("x".repeat(1000 * 1000), "at most 32768"),
        ("x".repeat(1100), "Meta accepts at most 1024"),
    ] {
        let r = http
            .post(format!("{}/messages", srv.base))
            .bearer_auth(&key)
            .json(&send(value))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["code"], "invalid_parameter");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(said), "{body}");
    }
    let convs = ts
        .store
        .list_conversations(account.org_id, account.id, 10)
        .await
        .expect("list");
    assert!(convs.is_empty(), "nothing stored");
}

/// With a stale cache and Meta hanging, `/templates` answers within the fetch bound with
/// the cached list and a warning; without a cache, with a 502 (not after Meta's 15 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_meta_gets_the_stale_cache_with_a_warning() {
    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let (fake, graph) = start_fake().await;
    let api = ApiConfig {
        template_ttl: Duration::ZERO,
        ..ApiConfig::default()
    };
    let (srv, _account, key) = start_with_meta(&ts, &graph, api).await;
    // Less than the Graph client's own 15 s timeout: only the server's bound answers.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(12))
        .build()
        .expect("client");
    let url = format!("{}/templates", srv.base);
    let first: serde_json::Value = http
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("first")
        .json()
        .await
        .expect("json");
    assert_eq!(first["templates"][0]["name"], "hello", "{first}");
    assert!(first.get("warning").is_none(), "{first}");

    fake.hang.store(true, Ordering::SeqCst);
    let r = http
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("answered while Meta hangs");
    assert_eq!(r.status(), 200);
    let stale: serde_json::Value = r.json().await.expect("json");
    assert_eq!(stale["templates"][0]["name"], "hello", "{stale}");
    let warning = stale["warning"].as_str().unwrap_or_default();
    assert!(warning.contains("Meta did not answer"), "{stale}");

    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite");
    let (srv, _account, key) = start_with_meta(&ts, &graph, ApiConfig::default()).await;
    let r = http
        .get(format!("{}/templates", srv.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("uncached: answered while Meta hangs");
    assert_eq!(r.status(), 502);
}
