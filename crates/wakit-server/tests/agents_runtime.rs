//! The AI agent runtime end to end, on both engines: a customer writes through the
//! sandbox, the turn job runs after the debounce, the sandbox model answers, and the
//! answer reaches the sandbox customer — sent through the one send path with the
//! agent's id. A burst gets one answer; a failing model sends nothing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::agents::{
    CUSTOMER, MODEL_KEY, agent_world, agent_world_with, conversation, model_conversations,
    outgoing, set_tools, settings, texts_to, turns_settled, wait_texts,
};
use wakit_core::Direction;
use wakit_server::workers::agents::AgentRuntimeConfig;
use wakit_sim::ModelStep;
use wakit_store::{AgentTurn, JobArgs};
use wakit_store_tests::Backend;

/// "Hola" is answered by the sandbox model's echo; the stored answer carries the
/// agent's id; the model got the unsealed key, the instructions and the message; the
/// customer's message was marked read with the typing indicator.
async fn a_customer_message_is_answered_by_the_agent(backend: Backend) {
    let Some((w, agent)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let wamid = w.customer_writes(CUSTOMER, "Hola").await;
    let texts = wait_texts(&w, CUSTOMER, 1).await;
    assert_eq!(texts, vec!["You said: Hola".to_string()]);

    let sent = outgoing(&w, CUSTOMER).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].agent_id, Some(agent), "the answer names its agent");
    let requests = w.sim.model_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].api_key.as_deref(), Some(MODEL_KEY));
    assert_eq!(requests[0].body["tool_choice"], "required");
    let messages = &model_conversations(&w)[0];
    assert_eq!(messages[0].0, "system");
    assert!(messages[0].1.starts_with("You are the shop's assistant."));
    assert!(
        messages[0].1.contains(CUSTOMER),
        "context names the customer"
    );
    assert_eq!(messages[1..], [("user".to_string(), "Hola".to_string())]);
    turns_settled(&w).await;
    let receipts = w.sim.read_receipts();
    assert!(
        receipts
            .iter()
            .any(|r| r.message_id == wamid && r.typing_indicator),
        "read receipt with typing: {receipts:?}"
    );

    // The conversation goes on: the agent's own answer comes back as `assistant`.
    w.customer_writes(CUSTOMER, "Gracias").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert_eq!(texts[1], "You said: Gracias");
    let second = &model_conversations(&w)[1];
    for turn in [
        ("user", "Hola"),
        ("assistant", "You said: Hola"),
        ("user", "Gracias"),
    ] {
        let turn = (turn.0.to_string(), turn.1.to_string());
        assert!(second.contains(&turn), "{turn:?} in {second:?}");
    }
    w.stop().await;
}

/// Three messages inside the debounce: one model call, one answer, to the last one,
/// with the whole burst in its history.
async fn a_burst_within_the_delay_gets_one_answer(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(2, None)).await else {
        return;
    };
    for text in ["one", "two", "three"] {
        w.customer_writes(CUSTOMER, text).await;
    }
    let texts = wait_texts(&w, CUSTOMER, 1).await;
    turns_settled(&w).await;
    assert_eq!(texts_to(&w, CUSTOMER), vec!["You said: three".to_string()]);
    assert_eq!(texts, vec!["You said: three".to_string()]);
    let calls = model_conversations(&w);
    assert_eq!(
        calls.len(),
        1,
        "the superseded turns never called the model"
    );
    let users: Vec<&str> = calls[0]
        .iter()
        .filter(|(r, _)| r == "user")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(users, ["one", "two", "three"]);
    w.stop().await;
}

/// The model fails (500 on every try, retries included): nothing reaches the
/// customer. Once it works again, the next message is answered.
async fn a_failing_model_sends_nothing(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    w.sim
        .script_model(None, vec![ModelStep::error(500, "overloaded"); 4]);
    w.customer_writes(CUSTOMER, "hello?").await;
    turns_settled(&w).await;
    let answered: Vec<String> = w
        .sim
        .model_requests()
        .iter()
        .map(|r| r.answered.clone())
        .collect();
    assert_eq!(answered, vec!["error:500"; 4], "one call and three retries");
    assert!(texts_to(&w, CUSTOMER).is_empty(), "nothing sent");
    assert!(outgoing(&w, CUSTOMER).await.is_empty());

    w.customer_writes(CUSTOMER, "anyone?").await;
    let texts = wait_texts(&w, CUSTOMER, 1).await;
    assert_eq!(texts, vec!["You said: anyone?".to_string()]);
    w.stop().await;
}

/// With the calculator configured, the sandbox model asks for it on arithmetic; the
/// runtime runs it and the model answers with the result.
async fn the_calculator_tool_is_run_between_model_calls(backend: Backend) {
    let Some((w, agent)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let calculator = serde_json::json!([{"provider": "local", "type": "function",
        "name": "calculator"}]);
    set_tools(&w, agent, calculator).await;
    w.customer_writes(CUSTOMER, "2 + 3*4").await;
    let texts = wait_texts(&w, CUSTOMER, 1).await;
    assert_eq!(texts, vec!["Result: 14".to_string()]);
    let answered: Vec<String> = w
        .sim
        .model_requests()
        .iter()
        .map(|r| r.answered.clone())
        .collect();
    assert_eq!(answered, ["tool:calculator", "respond"]);
    w.stop().await;
}

/// A turn run again after it answered (a crashed worker's expired lease, a second
/// replica): the model is asked again, but its answer goes out under the same
/// idempotency key, so the customer gets one answer.
async fn a_turn_run_twice_answers_once(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    w.customer_writes(CUSTOMER, "once").await;
    wait_texts(&w, CUSTOMER, 1).await;
    turns_settled(&w).await;
    let org = w.account.org_id;
    let conv = conversation(&w, CUSTOMER).await;
    let page = w.ts.store.page_messages(org, conv, 10, None).await.unwrap();
    let trigger = page
        .messages
        .iter()
        .find(|m| m.direction == Direction::Incoming)
        .unwrap();
    let again = AgentTurn {
        message_id: trigger.id,
        org_id: org,
    };
    w.ts.store
        .enqueue_job(again.job(Some(org), chrono::Utc::now(), 2))
        .await
        .unwrap();
    turns_settled(&w).await;
    assert_eq!(w.sim.model_requests().len(), 2, "the turn ran again");
    assert_eq!(texts_to(&w, CUSTOMER), ["You said: once"]);
    assert_eq!(outgoing(&w, CUSTOMER).await.len(), 1);
    w.stop().await;
}

/// A newer message arrives while the model works on the older one: the older answer
/// is dropped before sending, the newer message is answered.
async fn a_newer_message_during_the_model_call_drops_the_older_answer(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let slow = ModelStep::Respond {
        texts: vec!["stale answer".into()],
        delay_ms: 1500,
    };
    w.sim.script_model(None, vec![slow]);
    w.customer_writes(CUSTOMER, "first").await;
    let start = std::time::Instant::now();
    while w.sim.model_requests().is_empty() && start.elapsed() < common::sandbox::STORE_WAIT {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    w.customer_writes(CUSTOMER, "second").await;
    wait_texts(&w, CUSTOMER, 1).await;
    turns_settled(&w).await;
    assert_eq!(texts_to(&w, CUSTOMER), ["You said: second"]);
    assert_eq!(w.sim.model_requests().len(), 2);
    w.stop().await;
}

/// The provider refuses a request with 400: the error is appended for the model and
/// the call made again, which answers.
async fn a_refused_request_is_retried_with_the_error(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    w.sim
        .script_model(None, vec![ModelStep::error(400, "bad tool arguments")]);
    w.customer_writes(CUSTOMER, "hi").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 1).await, ["You said: hi"]);
    let calls = model_conversations(&w);
    assert_eq!(calls.len(), 2);
    let told = calls[1]
        .iter()
        .any(|(_, c)| c.contains("Previous request failed with error") && c.contains("bad tool"));
    assert!(told, "{:?}", calls[1]);
    w.stop().await;
}

/// A model that only ever calls tools is cut off after 10 calls: the turn fails and
/// nothing reaches the customer.
async fn the_tool_loop_stops_after_ten_calls(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let lookup = ModelStep::tool("lookup", serde_json::json!({"q": "stock"}));
    w.sim.script_model(None, vec![lookup; 12]);
    w.customer_writes(CUSTOMER, "is it in stock?").await;
    turns_settled(&w).await;
    assert_eq!(w.sim.model_requests().len(), 10);
    let last = model_conversations(&w).pop().unwrap();
    assert!(
        last.iter()
            .any(|(r, c)| r == "tool" && c.contains("no tool named")),
        "unknown tools get an error result: {last:?}"
    );
    assert!(texts_to(&w, CUSTOMER).is_empty());
    w.stop().await;
}

/// A model that never answers: each call times out, is retried, and the turn ends
/// with nothing sent.
async fn a_model_timeout_sends_nothing(backend: Backend) {
    let runtime = AgentRuntimeConfig {
        model_timeout: std::time::Duration::from_millis(300),
        retries: 1,
        backoff: std::time::Duration::from_millis(10),
        ..AgentRuntimeConfig::default()
    };
    let Some((w, _)) = agent_world_with(backend, settings(0, None), runtime).await else {
        return;
    };
    w.sim
        .script_model(None, vec![ModelStep::Hang, ModelStep::Hang]);
    w.customer_writes(CUSTOMER, "hello?").await;
    turns_settled(&w).await;
    let answered: Vec<String> = w
        .sim
        .model_requests()
        .iter()
        .map(|r| r.answered.clone())
        .collect();
    assert_eq!(answered, ["hang", "hang"], "one call and one retry");
    assert!(texts_to(&w, CUSTOMER).is_empty());
    w.stop().await;
}

on_both_backends!(
    a_model_timeout_sends_nothing,
    the_tool_loop_stops_after_ten_calls,
    a_refused_request_is_retried_with_the_error,
    a_turn_run_twice_answers_once,
    a_newer_message_during_the_model_call_drops_the_older_answer,
    a_customer_message_is_answered_by_the_agent,
    a_burst_within_the_delay_gets_one_answer,
    a_failing_model_sends_nothing,
    the_calculator_tool_is_run_between_model_calls,
);
