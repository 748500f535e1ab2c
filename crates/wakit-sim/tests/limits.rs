//! Throughput, expired tokens, phone-number info, media.

mod common;

use common::*;
use serde_json::{Value, json};
use wakit_meta::ErrorClass;
use wakit_sim::{Inbound, MessagingLimit, Quality, Quirks};

fn text(body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": body}})
}

#[tokio::test]
async fn sends_above_the_number_throughput_get_130429() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    sim.customer_writes(PNID, CUSTOMER, None, Inbound::text("hi"))
        .expect("writes");
    sim.set_throughput(PNID, 20).expect("throughput");
    let client = graph(&sim);
    let sends = (0..60).map(|i| {
        let c = client.clone();
        async move { c.send(PNID, TOKEN, &text(&format!("m{i}"))).await }
    });
    let start = std::time::Instant::now();
    let results = futures_join(sends).await;
    let elapsed = start.elapsed().as_secs_f64();
    let limited: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let most = 20 + (20.0 * elapsed).ceil() as usize;
    assert!(
        ok >= 20 && ok <= most,
        "a second of burst plus the refill: {ok} in {elapsed:.2}s"
    );
    assert!(!limited.is_empty());
    for e in &limited {
        assert_eq!(
            (e.code, e.subcode, e.http_status),
            (Some(130429), Some(2494055), Some(400))
        );
        assert_eq!(e.class, ErrorClass::Retry);
    }
    let stats = sim.stats();
    assert_eq!(stats.rejected_with(130429), limited.len() as u64);
    assert_eq!(stats.accepted, ok as u64);

    // Paced at the rate, nothing is refused.
    let before = sim.stats().rejected_with(130429);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for i in 0..10 {
        client
            .send(PNID, TOKEN, &text(&format!("paced {i}")))
            .await
            .expect("paced send");
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    }
    assert_eq!(sim.stats().rejected_with(130429), before);
    assert_eq!(sim.number(PNID).map(|n| n.throughput_mps), Some(20));
    sim.shutdown().await;
}

/// Runs futures concurrently (no extra dependency).
async fn futures_join<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn expired_token_gets_190_everywhere_until_renewed() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    let client = graph(&sim);
    client
        .phone_number(PNID, TOKEN)
        .await
        .expect("works before");
    sim.expire_token(PNID).expect("expire");
    let e = client
        .send(PNID, TOKEN, &text("x"))
        .await
        .expect_err("expired");
    assert_eq!(
        (e.http_status, e.code, e.subcode),
        (Some(401), Some(190), Some(463))
    );
    assert!(
        e.message
            .starts_with("Error validating access token: Session has expired on "),
        "{}",
        e.message
    );
    assert_eq!(e.class, ErrorClass::Reauth);
    let e = client.phone_number(PNID, TOKEN).await.expect_err("expired");
    assert_eq!(e.code, Some(190));
    let e = client
        .list_templates(WABA, TOKEN)
        .await
        .expect_err("expired");
    assert_eq!(e.code, Some(190));
    assert_eq!(sim.stats().rejected_with(190), 3);
    assert!(sim.number(PNID).is_some_and(|n| n.token_expired));

    sim.renew_token(PNID, Some("fresh".into())).expect("renew");
    client
        .phone_number(PNID, "fresh")
        .await
        .expect("fresh token works");
    let e = client
        .phone_number(PNID, TOKEN)
        .await
        .expect_err("old token still expired");
    assert_eq!(e.code, Some(190));
    sim.shutdown().await;
}

#[tokio::test]
async fn phone_number_fields_and_health() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    sim.set_quality(PNID, Quality::Yellow).expect("quality");
    sim.set_limit(PNID, MessagingLimit::Tier10K).expect("limit");
    let info = graph(&sim).phone_number(PNID, TOKEN).await.expect("info");
    assert_eq!(info.id.as_deref(), Some(PNID));
    assert_eq!(info.verified_name.as_deref(), Some("Acme Support"));
    assert_eq!(
        info.display_phone_number.as_deref(),
        Some("+1 555-078-3881")
    );
    assert_eq!(info.quality_rating.as_deref(), Some("YELLOW"));
    assert_eq!(info.messaging_limit.as_deref(), Some("TIER_10K"));
    assert_eq!(info.throughput.as_deref(), Some("STANDARD"));
    assert_eq!(info.status.as_deref(), Some("CONNECTED"));
    assert_eq!(
        info.health_status
            .as_ref()
            .map(|h| h["can_send_message"].clone()),
        Some(json!("AVAILABLE"))
    );

    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}/{path}", sim.base_url()))
            .bearer_auth(TOKEN)
            .send()
    };
    let v: Value = get(format!("{PNID}?fields=messaging_limit_tier,throughput"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        v,
        json!({"messaging_limit_tier": "TIER_10K", "throughput": {"level": "STANDARD"}, "id": PNID})
    );
    let v: Value = get(PNID.to_string())
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["code_verification_status"], "VERIFIED");
    assert!(v.get("health_status").is_none(), "not a default field");
    let v: Value = get(format!("{PNID}?fields=bogus"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["error"]["code"], 100);
    let v: Value = get(format!("{WABA}/phone_numbers"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"][0]["id"], PNID);
    sim.set_throughput(PNID, 1000).expect("high");
    sim.set_health(PNID, wakit_sim::CanSend::Limited)
        .expect("health");
    let info = graph(&sim).phone_number(PNID, TOKEN).await.expect("info");
    assert_eq!(info.throughput.as_deref(), Some("HIGH"));
    assert_eq!(
        info.health_status.map(|h| h["can_send_message"].clone()),
        Some(json!("LIMITED"))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn media_upload_get_download_delete() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    let http = reqwest::Client::new();
    let file: &[u8] = b"\xff\xd8\xff\xe0fake-jpeg\r\n--not-a-boundary\xff\xd9";
    let mut body = Vec::new();
    body.extend_from_slice(b"--B0UNDARY\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n");
    body.extend_from_slice(
        b"--B0UNDARY\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/jpeg\r\n",
    );
    body.extend_from_slice(b"--B0UNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--B0UNDARY--\r\n");
    let v: Value = http
        .post(format!("{}/{PNID}/media", sim.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "multipart/form-data; boundary=B0UNDARY")
        .body(body)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let id = v["id"].as_str().expect("media id").to_string();
    let v: Value = http
        .get(format!("{}/{id}", sim.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["mime_type"], "image/jpeg");
    assert_eq!(v["file_size"], file.len());
    assert_eq!(v["sha256"].as_str().map(str::len), Some(64));
    let url = v["url"].as_str().expect("url").to_string();
    assert!(
        url.contains("/whatsapp_business/attachments/?mid="),
        "{url}"
    );
    let denied = http.get(&url).send().await.expect("download");
    assert!(denied.status().is_client_error());
    let got = http
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("download");
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(&got.bytes().await.expect("bytes")[..], file);
    // Sends referencing it are fine; an unknown id fails later with 131053.
    sim.customer_writes(PNID, CUSTOMER, None, Inbound::text("hi"))
        .expect("writes");
    let client = graph(&sim);
    let img = |id: &str| json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "image", "image": {"id": id}});
    client.send(PNID, TOKEN, &img(&id)).await.expect("send");
    client
        .send(PNID, TOKEN, &img("123456789012345"))
        .await
        .expect("accepted");
    let failures: Vec<_> = sim.sent_messages().iter().map(|m| m.failure).collect();
    assert_eq!(failures, [None, Some(131053)]);
    let v: Value = http
        .delete(format!("{}/{id}", sim.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("delete")
        .json()
        .await
        .expect("json");
    assert_eq!(v, json!({"success": true}));
    assert_eq!(
        http.get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("gone")
            .status(),
        404
    );
    sim.shutdown().await;
}
