//! `GraphClient` against a tiny axum double imitating Meta's Graph API responses.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wakit_meta::{ErrorClass, GraphClient};

#[derive(Clone, Default)]
struct Double {
    base: Arc<Mutex<String>>,
    posted: Arc<Mutex<Vec<Value>>>,
}

fn meta_error(status: StatusCode, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut err = json!({"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "AbCdEf"});
    if let Some(s) = subcode {
        err["error_subcode"] = json!(s);
    }
    (status, Json(json!({"error": err}))).into_response()
}

async fn messages(
    State(d): State<Double>,
    Path(pnid): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    d.posted.lock().expect("lock").push(body.clone());
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if auth == "Bearer expired" {
        return meta_error(
            StatusCode::UNAUTHORIZED,
            190,
            Some(463),
            "Error validating access token: Session has expired on Tuesday, 01-Dec-25 06:00:00 PST.",
        );
    }
    if body.get("status").and_then(Value::as_str) == Some("read") {
        return Json(json!({"success": true})).into_response();
    }
    match body["to"].as_str().unwrap_or_default() {
        "131047" => meta_error(
            StatusCode::BAD_REQUEST,
            131047,
            None,
            "(#131047) Re-engagement message",
        ),
        "130429" => {
            let mut r = meta_error(
                StatusCode::TOO_MANY_REQUESTS,
                130429,
                Some(2494055),
                "(#130429) Rate limit hit",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, "7".parse().expect("header"));
            r
        }
        "html" => (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response(),
        to => Json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.{pnid}.{to}"), "message_status": "accepted"}]}),
        )
        .into_response(),
    }
}

async fn templates(
    State(d): State<Double>,
    Path(waba): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let base = d.base.lock().expect("lock").clone();
    let tpl = |n: u32| {
        json!({"name": format!("t{n}"), "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "POSITIONAL", "id": format!("{n}"), "components": [{"type": "BODY", "text": "Hi {{1}}"}]})
    };
    let page = |items: Vec<Value>, after: &str, next: bool| {
        let mut p = json!({"data": items, "paging": {"cursors": {"before": "B", "after": after}}});
        if next {
            p["paging"]["next"] = json!(format!(
                "{base}/{waba}/message_templates?limit=100&after={after}"
            ));
        }
        Json(p)
    };
    match q.get("after").map(String::as_str) {
        None => page(vec![tpl(1), tpl(2)], "P2", true),
        Some("P2") => page(vec![tpl(3), json!("garbage"), tpl(4)], "P3", true),
        Some("P3") => page(vec![tpl(5)], "END", false),
        Some(other) => panic!("unexpected cursor {other}"),
    }
}

async fn number(Path(pnid): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let fields = q.get("fields").cloned().unwrap_or_default();
    let mut v = json!({"verified_name": "Test Number", "code_verification_status": "NOT_VERIFIED",
        "display_phone_number": "+1 555-096-7852", "quality_rating": "GREEN", "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"}, "id": pnid,
        "health_status": {"can_send_message": "AVAILABLE", "entities": []}});
    match pnid.as_str() {
        "old" => v["messaging_limit_tier"] = json!("TIER_1K"),
        "new" => {
            v["messaging_limit_tier"] = json!("TIER_1K");
            v["whatsapp_business_manager_messaging_limit"] = json!("TIER_2K");
        }
        "strict" if fields.contains("messaging_limit_tier") => {
            return meta_error(
                StatusCode::BAD_REQUEST,
                100,
                None,
                "(#100) Tried accessing nonexisting field (messaging_limit_tier)",
            );
        }
        _ => v["whatsapp_business_manager_messaging_limit"] = json!("TIER_10K"),
    }
    Json(v).into_response()
}

async fn start() -> (GraphClient, Double) {
    let d = Double::default();
    let app = Router::new()
        .route("/{id}/messages", post(messages))
        .route("/{id}/message_templates", get(templates))
        .route("/{id}", get(number))
        .with_state(d.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/v24.0", listener.local_addr().expect("addr"));
    let app = Router::new().nest("/v24.0", app);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    *d.base.lock().expect("lock") = base.clone();
    (GraphClient::new(format!("{base}/")).expect("client"), d)
}

#[tokio::test]
async fn successful_send_and_mark_read() {
    let (c, d) = start().await;
    let payload = json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "Hi"}});
    let ok = c
        .send("106540352242922", "good", &payload)
        .await
        .expect("sent");
    assert_eq!(ok.wamid, "wamid.106540352242922.16505551234");
    assert_eq!(ok.message_status.as_deref(), Some("accepted"));
    c.mark_read("106540352242922", "good", "wamid.IN", true)
        .await
        .expect("read");
    let posted = d.posted.lock().expect("lock").clone();
    assert_eq!(posted[0], payload);
    assert_eq!(
        posted[1],
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN",
        "typing_indicator": {"type": "text"}})
    );
}

#[tokio::test]
async fn meta_errors_are_classified_by_code() {
    let (c, _) = start().await;
    let send = |to: &str, token: &'static str| {
        let payload = json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "x"}});
        let c = c.clone();
        async move { c.send("1", token, &payload).await.expect_err("fails") }
    };
    let e = send("131047", "good").await;
    assert_eq!(
        (e.http_status, e.code, e.class),
        (Some(400), Some(131047), ErrorClass::Permanent)
    );
    assert_eq!(e.fbtrace_id.as_deref(), Some("AbCdEf"));

    let e = send("16505551234", "expired").await;
    assert_eq!(
        (e.http_status, e.code, e.subcode, e.class),
        (Some(401), Some(190), Some(463), ErrorClass::Reauth)
    );
    assert!(e.message.contains("Session has expired"));

    let e = send("130429", "good").await;
    assert_eq!(
        (e.http_status, e.code, e.class),
        (Some(429), Some(130429), ErrorClass::Retry)
    );
    assert_eq!(e.retry_after, Some(Duration::from_secs(7)));
    assert!(e.is_retryable());

    let e = send("html", "good").await;
    assert_eq!(
        (e.http_status, e.code, e.class),
        (Some(502), None, ErrorClass::Network)
    );
}

#[tokio::test]
async fn unreachable_meta_is_a_network_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let c = GraphClient::new(format!("http://{addr}")).expect("client");
    let e = c.send("1", "t", &json!({})).await.expect_err("fails");
    assert_eq!((e.http_status, e.class), (None, ErrorClass::Network));
}

#[tokio::test]
async fn templates_follow_pagination_across_three_pages() {
    let (c, _) = start().await;
    let t = c
        .list_templates("102290129340398", "good")
        .await
        .expect("templates");
    let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t1", "t2", "t3", "t4", "t5"]);
    assert_eq!(t[0].language, "en_US");
    assert_eq!(t[0].status, "APPROVED");
    assert_eq!(t[0].parameter_format.as_deref(), Some("POSITIONAL"));
    assert_eq!(t[0].components.len(), 1);
}

#[tokio::test]
async fn phone_number_fields_and_deprecated_tier_fallback() {
    let (c, _) = start().await;
    let n = c.phone_number("new", "good").await.expect("number");
    assert_eq!(n.messaging_limit.as_deref(), Some("TIER_2K"));
    assert_eq!(n.verified_name.as_deref(), Some("Test Number"));
    assert_eq!(n.display_phone_number.as_deref(), Some("+1 555-096-7852"));
    assert_eq!(n.quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(n.throughput.as_deref(), Some("STANDARD"));
    assert_eq!(
        n.health_status,
        Some(json!({"can_send_message": "AVAILABLE", "entities": []}))
    );

    let old = c.phone_number("old", "good").await.expect("number");
    assert_eq!(old.messaging_limit.as_deref(), Some("TIER_1K"));

    // Meta refusing the deprecated field: asked again without it.
    let strict = c.phone_number("strict", "good").await.expect("number");
    assert_eq!(strict.messaging_limit.as_deref(), Some("TIER_10K"));
}
