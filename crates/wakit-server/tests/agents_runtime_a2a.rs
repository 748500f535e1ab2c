//! A2A agents end to end, on both engines, with the sandbox model as the A2A agent
//! (`POST /a2a`, JSON-RPC `message/send`): the customer's messages since the last answer
//! go in one request with the agent's key, `contextId` = the conversation (a new one
//! after `/new`) and the context in `metadata`; a message's or a completed task's texts
//! reach the customer; a task that fails sends nothing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::agents::{
    CUSTOMER, MODEL_KEY, agent_world, change_config, conversation, settings, turns_settled,
    wait_texts,
};
use serde_json::{Value, json};
use wakit_sim::{A2A_MODEL, ModelStep};
use wakit_store_tests::Backend;

/// The A2A requests the sandbox received, oldest first.
fn a2a_requests(w: &common::sandbox::World) -> Vec<Value> {
    let all = w.sim.model_requests().into_iter();
    all.filter(|r| r.model == A2A_MODEL)
        .inspect(|r| assert_eq!(r.api_key.as_deref(), Some(MODEL_KEY)))
        .map(|r| r.body)
        .collect()
}

fn parts(request: &Value) -> Vec<String> {
    let parts = request["params"]["message"]["parts"].as_array().unwrap();
    parts
        .iter()
        .map(|p| {
            assert_eq!(p["kind"], "text");
            p["text"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn an_a2a_agent_answers_in_its_context(backend: Backend) {
    let Some((w, agent)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let url = w.sim.a2a_url();
    change_config(&w, agent, json!({"protocol": "a2a", "api_url": url})).await;

    w.customer_writes(CUSTOMER, "hola").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 1).await, ["You said: hola"]);
    let conv = conversation(&w, CUSTOMER).await;
    let first = a2a_requests(&w).remove(0);
    assert_eq!(
        (first["jsonrpc"].as_str(), first["method"].as_str()),
        (Some("2.0"), Some("message/send"))
    );
    let message = &first["params"]["message"];
    assert_eq!(message["role"], "user");
    assert_eq!(message["contextId"], conv.to_string());
    assert_eq!(parts(&first), ["hola"]);
    let metadata = &first["params"]["metadata"];
    assert_eq!(metadata["conversation_id"], conv.to_string());
    assert_eq!(metadata["contact_phone"], CUSTOMER);
    assert_eq!(metadata["agent_id"], agent.to_string());

    // A completed task: its artifact's texts, one message each, in order.
    let texts = vec!["Tenemos citas el lunes.".into(), "¿A qué hora?".into()];
    let task = ModelStep::Respond { texts, delay_ms: 0 };
    w.sim.script_model(Some(A2A_MODEL), vec![task]);
    w.customer_writes(CUSTOMER, "¿hay citas?").await;
    let got = wait_texts(&w, CUSTOMER, 3).await;
    assert_eq!(got[1..], ["Tenemos citas el lunes.", "¿A qué hora?"]);
    let second = a2a_requests(&w).remove(1);
    assert_eq!(parts(&second), ["¿hay citas?"], "only what is unanswered");
    assert_eq!(second["params"]["message"]["contextId"], conv.to_string());

    // `/new` starts a new context.
    w.customer_writes(CUSTOMER, "/new").await;
    wait_texts(&w, CUSTOMER, 4).await;
    w.customer_writes(CUSTOMER, "otra vez").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 5).await[4], "You said: otra vez");
    let third = a2a_requests(&w).remove(2);
    let context = third["params"]["message"]["contextId"].as_str().unwrap();
    assert!(context.starts_with(&format!("{conv}/")), "{context}");

    // A JSON-RPC error: the turn ends with nothing sent.
    let refused = ModelStep::tool("anything", json!({}));
    w.sim.script_model(Some(A2A_MODEL), vec![refused]);
    w.customer_writes(CUSTOMER, "¿sigues ahí?").await;
    turns_settled(&w).await;
    assert_eq!(
        a2a_requests(&w).len(),
        4,
        "asked once: an error answer is not retried"
    );
    assert_eq!(wait_texts(&w, CUSTOMER, 5).await.len(), 5, "nothing sent");
    w.stop().await;
}

on_both_backends!(an_a2a_agent_answers_in_its_context);
