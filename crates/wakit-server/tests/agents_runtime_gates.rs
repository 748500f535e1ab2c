//! The AI agent runtime's routing rules end to end, on both engines: a send by a
//! person pauses the agent and resuming brings it back; `/new` forgets the
//! conversation (the model's next request holds nothing from before it); the welcome
//! message greets a contact's first conversation once.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::{Duration, Utc};
use common::agents::{
    CUSTOMER, agent_world, change_config, conversation, model_conversations, outgoing, settings,
    texts_to, turns_settled, wait_texts,
};
use common::sandbox::key_with_role;
use wakit_api::{ConversationAgentBody, SendRequest};
use wakit_core::{MessageContent, Phone, Role};
use wakit_store::InboundMessage;
use wakit_store_tests::Backend;

/// A human reply through the API pauses the agent (the next customer message gets no
/// answer, the model is not called); resuming makes it answer again.
async fn a_human_send_pauses_the_agent_until_resumed(backend: Backend) {
    let Some((w, agent)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    w.customer_writes(CUSTOMER, "first").await;
    wait_texts(&w, CUSTOMER, 1).await;
    turns_settled(&w).await;

    let key = key_with_role(&*w.ts.store, w.account.org_id, Role::Admin).await;
    let api = wakit_api::Client::new(&w.server.root(), &key).unwrap();
    let human = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        text: Some("A person here".into()),
        ..SendRequest::default()
    };
    api.send(&human, None).await.unwrap();
    assert_eq!(wait_texts(&w, CUSTOMER, 2).await[1], "A person here");
    let calls_before = w.sim.model_requests().len();

    w.customer_writes(CUSTOMER, "second").await;
    turns_settled(&w).await;
    assert_eq!(texts_to(&w, CUSTOMER).len(), 2, "paused: no answer");
    assert_eq!(w.sim.model_requests().len(), calls_before);
    let sent = outgoing(&w, CUSTOMER).await;
    assert_eq!(
        sent.iter().map(|m| m.agent_id).collect::<Vec<_>>(),
        [Some(agent), None]
    );

    let conv = conversation(&w, CUSTOMER).await;
    let resume = ConversationAgentBody {
        paused: Some(false),
        default_agent_id: None,
    };
    api.set_conversation_agent(&conv.to_string(), &resume)
        .await
        .unwrap();
    w.customer_writes(CUSTOMER, "third").await;
    let texts = wait_texts(&w, CUSTOMER, 3).await;
    assert_eq!(texts[2], "You said: third");
    // The agent's own send does not pause it again.
    w.customer_writes(CUSTOMER, "fourth").await;
    assert_eq!(wait_texts(&w, CUSTOMER, 4).await[3], "You said: fourth");
    w.stop().await;
}

/// `/new` is confirmed without calling the model; the next request holds nothing from
/// before it.
async fn new_resets_the_context(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    w.customer_writes(CUSTOMER, "my secret is apple").await;
    wait_texts(&w, CUSTOMER, 1).await;
    w.customer_writes(CUSTOMER, "/new").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert!(texts[1].contains("forgotten"), "{texts:?}");
    assert_eq!(w.sim.model_requests().len(), 1, "/new needs no model call");

    w.customer_writes(CUSTOMER, "banana").await;
    let texts = wait_texts(&w, CUSTOMER, 3).await;
    assert_eq!(texts[2], "You said: banana");
    let last = model_conversations(&w).pop().unwrap();
    assert!(
        last.iter()
            .all(|(_, c)| !c.contains("apple") && !c.starts_with("/new")),
        "nothing from before /new: {last:?}"
    );
    assert!(last.contains(&("user".to_string(), "banana".to_string())));
    w.stop().await;
}

/// The welcome message goes first on a contact's first conversation, followed by the
/// answer; the next message is answered without a second welcome.
async fn a_new_contact_is_welcomed_once(backend: Backend) {
    let welcome = "Welcome to the shop!";
    let Some((w, agent)) = agent_world(backend, settings(0, Some(welcome))).await else {
        return;
    };
    w.customer_writes(CUSTOMER, "hi").await;
    let texts = wait_texts(&w, CUSTOMER, 2).await;
    assert_eq!(texts, [welcome, "You said: hi"]);
    let sent = outgoing(&w, CUSTOMER).await;
    assert!(sent.iter().all(|m| m.agent_id == Some(agent)));

    w.customer_writes(CUSTOMER, "again").await;
    wait_texts(&w, CUSTOMER, 3).await;
    turns_settled(&w).await;
    assert_eq!(
        texts_to(&w, CUSTOMER),
        [welcome, "You said: hi", "You said: again"]
    );
    w.stop().await;
}

/// A customer message older than 24 h (delivered late): the window is closed, so the
/// agent neither calls the model nor tries to send free text.
async fn no_free_text_is_tried_outside_the_window(backend: Backend) {
    let Some((w, _)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    let late = InboundMessage {
        account_id: w.account.id,
        from: Phone::parse(CUSTOMER).unwrap().into(),
        profile_name: None,
        wamid: "wamid.late".into(),
        timestamp: Utc::now() - Duration::hours(25),
        content: MessageContent::text("are you there?"),
    };
    w.ts.store
        .ingest_inbound(w.account.org_id, late)
        .await
        .unwrap();
    turns_settled(&w).await;
    assert!(w.sim.model_requests().is_empty(), "no model call");
    assert!(texts_to(&w, CUSTOMER).is_empty());
    assert!(outgoing(&w, CUSTOMER).await.is_empty());
    w.stop().await;
}

/// An A2A agent is not run yet: the message stays unanswered and chat completions are
/// never called in its place.
async fn an_a2a_agent_is_not_called_as_chat_completions(backend: Backend) {
    let Some((w, agent)) = agent_world(backend, settings(0, None)).await else {
        return;
    };
    change_config(&w, agent, serde_json::json!({"protocol": "a2a"})).await;
    w.customer_writes(CUSTOMER, "hola").await;
    turns_settled(&w).await;
    assert!(w.sim.model_requests().is_empty());
    assert!(texts_to(&w, CUSTOMER).is_empty());
    w.stop().await;
}

on_both_backends!(
    an_a2a_agent_is_not_called_as_chat_completions,
    no_free_text_is_tried_outside_the_window,
    a_human_send_pauses_the_agent_until_resumed,
    new_resets_the_context,
    a_new_contact_is_welcomed_once,
);
