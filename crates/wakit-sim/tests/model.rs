//! The sandbox model: OpenAI's chat-completions shape, scripted steps, the default
//! script, latency, API keys and injected failures, over HTTP.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;
use wakit_sim::{ModelStep, Quirks, Sim, SimHandle};

async fn chat(sim: &SimHandle, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.model_url()))
        .json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn control(sim: &SimHandle, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", sim.control_url()))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn ask(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [
        {"role": "system", "content": "You answer customers."},
        {"role": "user", "content": text}],
        "tools": [{"type": "function", "function": {"name": "respond", "parameters": {}}},
                  {"type": "function", "function": {"name": "calculator", "parameters": {}}}],
        "tool_choice": "required"})
}

fn call_of(v: &Value) -> (String, Value) {
    let f = &v["choices"][0]["message"]["tool_calls"][0]["function"];
    let args = serde_json::from_str(f["arguments"].as_str().expect("arguments")).expect("json");
    (f["name"].as_str().expect("name").to_string(), args)
}

#[tokio::test]
async fn default_script_echoes_and_calls_the_calculator_in_openai_shape() {
    let sim = Sim::start(config(None, Quirks::none())).await.expect("sim");
    let (s, v) = chat(&sim, None, ask("gpt-sim", "Hola")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-sim");
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        call_of(&v),
        (
            "respond".to_string(),
            json!({"messages": [{"type": "text", "text": "You said: Hola"}]})
        )
    );
    let usage = &v["usage"];
    assert!(usage["prompt_tokens"].as_u64().expect("prompt") > 0);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap_or(0)
                + usage["completion_tokens"].as_u64().unwrap_or(0)
        )
    );

    let (_, v) = chat(&sim, None, ask("gpt-sim", "12 * (3 + 4)")).await;
    assert_eq!(
        call_of(&v),
        (
            "calculator".to_string(),
            json!({"expression": "12 * (3 + 4)"})
        )
    );
    let mut after = ask("gpt-sim", "12 * (3 + 4)");
    after["messages"].as_array_mut().expect("messages").extend([
        v["choices"][0]["message"].clone(),
        json!({"role": "tool", "tool_call_id": "call_sim_2", "content": "84"}),
    ]);
    let (_, v) = chat(&sim, None, after).await;
    assert_eq!(call_of(&v).1["messages"][0]["text"], "Result: 84");

    let requests = sim.model_requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].answered, "tool:calculator");
    assert!(!requests[0].scripted);
}

#[tokio::test]
async fn scripted_steps_answer_in_order_per_model_then_the_default_resumes() {
    let sim = Sim::start(config(None, Quirks::none())).await.expect("sim");
    let (s, v) = control(
        &sim,
        "/model/script",
        json!({"model": "m-a", "steps": [
            {"tool": "request", "arguments": {"url": "http://127.0.0.1:1/x", "method": "GET"}},
            {"respond": []},
            {"text": "plain"}]}),
    )
    .await;
    assert_eq!((s, &v["queued"]["m-a"]), (201, &json!(3)), "{v}");
    sim.script_model(None, vec![ModelStep::respond("for anyone")]);

    let (_, v) = chat(&sim, None, ask("m-b", "hi")).await;
    assert_eq!(call_of(&v).1["messages"][0]["text"], "for anyone");
    let (_, v) = chat(&sim, None, ask("m-a", "hi")).await;
    assert_eq!(call_of(&v).0, "request");
    let (_, v) = chat(&sim, None, ask("m-a", "hi")).await;
    assert_eq!(
        call_of(&v),
        ("respond".to_string(), json!({"messages": []}))
    );
    let (_, v) = chat(&sim, None, ask("m-a", "hi")).await;
    assert_eq!(v["choices"][0]["message"]["content"], "plain");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let (_, v) = chat(&sim, None, ask("m-a", "hi")).await;
    assert_eq!(call_of(&v).1["messages"][0]["text"], "You said: hi");
    assert!(sim.model_status().queued.is_empty());

    let bad = [
        json!({"steps": [{"respond": ["x"], "text": "y"}]}),
        json!({"steps": [{"error": 200}]}),
        json!({"steps": [{"tool": "t", "arguments": [1]}]}),
        json!({"steps": [{"respond": ["x"], "delay_ms": 700000}]}),
        json!({"steps": [{"respond": ["x"], "colour": "red"}]}),
        json!({"model": " ", "steps": []}),
    ];
    for body in bad {
        let (s, v) = control(&sim, "/model/script", body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn failures_latency_and_api_keys_are_injectable() {
    let sim = Sim::start(config(None, Quirks::none())).await.expect("sim");
    let (s, _) = control(
        &sim,
        "/model/script",
        json!({"steps": [{"error": 400, "message": "bad tool schema"}, {"error": 500},
                         {"hang": true}]}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, v) = chat(&sim, None, ask("m", "hi")).await;
    assert_eq!(
        (s, v["error"]["message"].as_str()),
        (400, Some("bad tool schema"))
    );
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let (s, v) = chat(&sim, None, ask("m", "hi")).await;
    assert_eq!(
        (s, v["error"]["type"].as_str()),
        (500, Some("server_error"))
    );
    let timed_out = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.model_url()))
        .timeout(Duration::from_millis(300))
        .json(&ask("m", "hi"))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));

    let (s, v) = chat(&sim, None, json!({"model": "m", "messages": []})).await;
    assert_eq!(
        (s, v["error"]["type"].as_str()),
        (400, Some("invalid_request_error"))
    );

    let (s, _) = control(
        &sim,
        "/model",
        json!({"latency_ms": 400, "api_key": "sk-org-a"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = chat(&sim, Some("sk-org-b"), ask("m", "hi")).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    let slow = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.model_url()))
        .bearer_auth("sk-org-a")
        .timeout(Duration::from_millis(100))
        .json(&ask("m", "hi"))
        .send()
        .await;
    assert!(
        slow.is_err_and(|e| e.is_timeout()),
        "latency holds the answer"
    );
    let (s, _) = chat(&sim, Some("sk-org-a"), ask("m", "hi")).await;
    assert_eq!(s, 200);
    let keys: Vec<_> = sim
        .model_requests()
        .iter()
        .map(|r| (r.api_key.clone(), r.answered.clone()))
        .collect();
    assert_eq!(keys[4], (Some("sk-org-b".into()), "unauthorized".into()));

    let (s, v) = control(&sim, "/model/reset", json!({})).await;
    assert_eq!((s, v["requests"].as_u64()), (200, Some(0)));
    assert!(sim.model_requests().is_empty());
}
