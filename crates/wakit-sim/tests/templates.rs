//! Templates: cursor paging of `GET /message_templates` and the template send checks
//! (132000, 132001, 132012, 132015).

mod common;

use common::*;
use serde_json::{Value, json};
use wakit_sim::{Quirks, TemplateSpec};

#[tokio::test]
async fn templates_page_with_cursors() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    for i in 0..230 {
        let lang = if i % 2 == 0 { "en_US" } else { "es" };
        sim.add_template(
            WABA,
            TemplateSpec::body(format!("t_{i:03}"), lang, "UTILITY", "Hi {{1}}"),
        )
        .expect("template");
    }
    let all = graph(&sim).list_templates(WABA, TOKEN).await.expect("list");
    assert_eq!(
        all.len(),
        230,
        "GraphClient follows paging (limit 100 → 3 pages)"
    );
    assert_eq!(all[0].name, "t_000");
    assert_eq!(all[229].name, "t_229");
    assert!(
        all.iter()
            .all(|t| t.status == "APPROVED" && t.parameter_format.as_deref() == Some("POSITIONAL"))
    );

    let http = reqwest::Client::new();
    let mut url = format!(
        "{}/{WABA}/message_templates?limit=100&language=es&fields=name,status",
        sim.base_url()
    );
    let mut pages = Vec::new();
    loop {
        let v: Value = http
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        pages.push(v["data"].as_array().map(Vec::len).unwrap_or(0));
        assert!(v["data"][0].get("components").is_none(), "fields projected");
        assert!(v["data"][0]["id"].is_string());
        assert!(v["paging"]["cursors"]["after"].is_string());
        match v["paging"]["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, [100, 15]);
    let v: Value = http
        .get(format!(
            "{}/{WABA}/message_templates?name=t_22&summary=total_count",
            sim.base_url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(10));
    assert!(v["paging"].get("next").is_none());
    assert_eq!(v["summary"]["total_count"], 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn template_sends_check_existence_status_and_parameters() {
    let (sim, _n) = sim_with(None, Quirks::none()).await;
    sim.add_template(
        WABA,
        TemplateSpec::body("order", "en_US", "UTILITY", "Hi {{1}}, order {{2}} ({{1}})"),
    )
    .expect("t");
    sim.add_template(
        WABA,
        TemplateSpec::body("named", "en", "MARKETING", "Hi {{first_name}}"),
    )
    .expect("t");
    sim.add_template(
        WABA,
        TemplateSpec::body("draft", "en", "UTILITY", "x").status("PENDING"),
    )
    .expect("t");
    let paused = sim
        .add_template(WABA, TemplateSpec::body("paused", "en", "UTILITY", "x"))
        .expect("t");
    sim.set_template_status(&paused.id, "PAUSED")
        .expect("pause");
    sim.add_template(
        WABA,
        TemplateSpec {
            components: vec![
                json!({"type": "HEADER", "format": "IMAGE"}),
                json!({"type": "BODY", "text": "Your pic"}),
                json!({"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "URL", "text": "Track", "url": "https://x.example/o/{{1}}"}]}),
            ],
            ..TemplateSpec::body("rich", "en", "UTILITY", "")
        },
    )
    .expect("t");
    let client = graph(&sim);
    let send = |name: &str, lang: &str, components: Value| {
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
               "template": {"name": name, "language": {"code": lang}, "components": components}})
    };
    let body = |n: usize| json!([{"type": "body", "parameters": (0..n).map(|i| json!({"type": "text", "text": format!("v{i}")})).collect::<Vec<_>>()}]);
    let code = |r: Result<wakit_meta::SendOk, wakit_meta::MetaError>| r.err().and_then(|e| e.code);

    assert!(
        client
            .send(PNID, TOKEN, &send("order", "en_US", body(2)))
            .await
            .is_ok()
    );
    let e = client
        .send(PNID, TOKEN, &send("order", "en_US", body(1)))
        .await
        .expect_err("count");
    assert_eq!(e.code, Some(132000));
    assert_eq!(
        e.details.as_deref(),
        Some(
            "body: number of localizable_params (1) does not match the expected number of params (2)"
        )
    );
    assert_eq!(
        code(
            client
                .send(PNID, TOKEN, &send("order", "en_US", json!([])))
                .await
        ),
        Some(132000)
    );
    let e = client
        .send(PNID, TOKEN, &send("order", "es", body(2)))
        .await
        .expect_err("locale");
    assert_eq!((e.code, e.http_status), (Some(132001), Some(404)));
    assert_eq!(
        e.details.as_deref(),
        Some("template name (order) does not exist in es")
    );
    assert_eq!(
        code(
            client
                .send(PNID, TOKEN, &send("nope", "en", json!([])))
                .await
        ),
        Some(132001)
    );
    assert_eq!(
        code(
            client
                .send(PNID, TOKEN, &send("draft", "en", json!([])))
                .await
        ),
        Some(132001)
    );
    assert_eq!(
        code(
            client
                .send(PNID, TOKEN, &send("paused", "en", json!([])))
                .await
        ),
        Some(132015)
    );

    let named = json!([{"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Ana"}]}]);
    assert!(
        client
            .send(PNID, TOKEN, &send("named", "en", named))
            .await
            .is_ok()
    );
    let wrong = json!([{"type": "body", "parameters": [{"type": "text", "parameter_name": "last", "text": "x"}]}]);
    assert_eq!(
        code(client.send(PNID, TOKEN, &send("named", "en", wrong)).await),
        Some(132000)
    );

    let header = |t: &str| json!({"type": "header", "parameters": [{"type": t, t: {"link": "https://x.example/p.jpg"}}]});
    let url_button = json!({"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "42"}]});
    assert!(
        client
            .send(
                PNID,
                TOKEN,
                &send("rich", "en", json!([header("image"), url_button]))
            )
            .await
            .is_ok()
    );
    assert_eq!(
        code(
            client
                .send(PNID, TOKEN, &send("rich", "en", json!([header("image")])))
                .await
        ),
        Some(132000)
    );
    assert_eq!(
        code(
            client
                .send(
                    PNID,
                    TOKEN,
                    &send("rich", "en", json!([header("video"), url_button]))
                )
                .await
        ),
        Some(132012)
    );

    let stats = sim.stats();
    assert_eq!(stats.accepted, 3);
    assert_eq!(stats.rejected_with(132000), 4);
    assert_eq!(stats.rejected_with(132001), 3);
    sim.shutdown().await;
}
