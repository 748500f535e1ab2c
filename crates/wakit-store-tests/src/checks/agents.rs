//! AI agents: configuration round-trip, sealed keys, org settings, conversation state,
//! and tenant isolation of all of them.

use crate::checks::assert_not_found;
use crate::fixture::{Fixture, at, secret_box};
use serde_json::json;
use wakit_core::{AgentConfig, AgentId, AgentMode, ConversationId};
use wakit_store::{
    AgentSettings, AiAgentChange, ConversationAgent, NewAiAgent, SealedKeyChange, Store,
    choose_agent,
};

fn config(extra: serde_json::Value) -> AgentConfig {
    AgentConfig::from_json(extra).expect("valid config").0
}

fn new_agent(name: &str, extra: serde_json::Value, key: Option<&str>) -> NewAiAgent {
    let id = AgentId::new();
    NewAiAgent {
        id,
        name: name.into(),
        config: config(extra),
        api_key: key.map(|k| secret_box().seal(k, &id.to_string())),
    }
}

/// Agents round-trip with their configuration; the key is stored sealed (never in
/// `extra`), can be replaced and cleared; human members are not AI agents.
pub async fn ai_agents_round_trip_with_sealed_keys(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let a = store
        .create_ai_agent(
            f.org_a,
            new_agent(
                "Sofía",
                json!({"api_url": "http://127.0.0.1:9/v1", "model": "m1",
                       "instructions": "Be brief", "temperature": 0.3, "max_messages": 20,
                       "tools": [{"provider": "local", "type": "function", "name": "calculator"}],
                       "description": "kept"}),
                Some("sk-org-a"),
            ),
        )
        .await
        .unwrap();
    assert!(a.has_api_key);
    assert_eq!(
        (a.config.model.as_str(), a.config.max_messages),
        ("m1", Some(20))
    );
    assert_eq!(a.config.other["description"], "kept");
    let sealed = store
        .ai_agent_key(f.org_a, a.id)
        .await
        .unwrap()
        .expect("key");
    assert!(!String::from_utf8_lossy(&sealed.0).contains("sk-org-a"));
    assert_eq!(
        secret_box().open(&sealed, &a.id.to_string()).unwrap(),
        "sk-org-a"
    );

    let b = store
        .create_ai_agent(f.org_a, new_agent("Bot", json!({"mode": "inactive"}), None))
        .await
        .unwrap();
    assert!(!b.has_api_key);
    assert_eq!(store.ai_agent_key(f.org_a, b.id).await.unwrap(), None);
    assert_eq!(
        store.list_ai_agents(f.org_a).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(store.get_ai_agent(f.org_a, a.id).await.unwrap(), a);

    let rekeyed = secret_box().seal("sk-new", &a.id.to_string());
    let changed = store
        .update_ai_agent(
            f.org_a,
            a.id,
            AiAgentChange {
                name: Some("Sofía 2".into()),
                config: a.config.merged(json!({"mode": "inactive"})).unwrap().0,
                api_key: SealedKeyChange::Set(rekeyed),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.config.mode),
        ("Sofía 2", AgentMode::Inactive)
    );
    let sealed = store
        .ai_agent_key(f.org_a, a.id)
        .await
        .unwrap()
        .expect("key");
    assert_eq!(
        secret_box().open(&sealed, &a.id.to_string()).unwrap(),
        "sk-new"
    );
    let cleared = store
        .update_ai_agent(
            f.org_a,
            a.id,
            AiAgentChange {
                name: None,
                config: changed.config.clone(),
                api_key: SealedKeyChange::Clear,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (cleared.name.as_str(), cleared.has_api_key),
        ("Sofía 2", false)
    );
    assert_eq!(store.ai_agent_key(f.org_a, a.id).await.unwrap(), None);
    assert_not_found(
        store.get_ai_agent(f.org_a, AgentId::new()).await,
        "unknown agent",
    );
}

/// Org B sees none of org A's agents, keys, settings or conversation state, and cannot
/// change them.
pub async fn ai_agents_are_tenant_isolated(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let a = store
        .create_ai_agent(f.org_a, new_agent("A", json!({}), Some("sk-a")))
        .await
        .unwrap();
    assert!(store.list_ai_agents(f.org_b).await.unwrap().is_empty());
    assert_not_found(store.get_ai_agent(f.org_b, a.id).await, "other org's agent");
    assert_not_found(store.ai_agent_key(f.org_b, a.id).await, "other org's key");
    let hijack = AiAgentChange {
        name: Some("mine".into()),
        config: a.config.clone(),
        api_key: SealedKeyChange::Clear,
    };
    assert_not_found(
        store.update_ai_agent(f.org_b, a.id, hijack).await,
        "update of other org's agent",
    );
    assert!(store.get_ai_agent(f.org_a, a.id).await.unwrap().has_api_key);

    let conv = f
        .receive_a("5215511112222", "wamid.iso", 0, "hola")
        .await
        .conversation_id;
    assert_not_found(
        store.conversation_agent(f.org_b, conv).await,
        "other org's conversation",
    );
    let pause = ConversationAgent {
        default_agent_id: None,
        paused_at: Some(at(0)),
    };
    assert_not_found(
        store.set_conversation_agent(f.org_b, conv, &pause).await,
        "pausing other org's conversation",
    );
    assert_eq!(
        store.conversation_agent(f.org_a, conv).await.unwrap(),
        ConversationAgent::default()
    );
    let welcome = AgentSettings {
        welcome_message: Some("Hola B".into()),
        ..AgentSettings::default()
    };
    store.set_agent_settings(f.org_b, &welcome).await.unwrap();
    assert_eq!(
        store.agent_settings(f.org_a).await.unwrap(),
        AgentSettings::default()
    );
}

/// Settings default and round-trip; a conversation's default agent and pause persist
/// and clear; the routing choice is deterministic and skips non-active agents.
pub async fn agent_settings_and_conversation_state(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let defaults = store.agent_settings(f.org_a).await.unwrap();
    assert_eq!(
        (defaults.response_delay_seconds, defaults.pause_hours),
        (3, 12)
    );
    let first = store
        .create_ai_agent(f.org_a, new_agent("First", json!({}), None))
        .await
        .unwrap();
    let second = store
        .create_ai_agent(f.org_a, new_agent("Second", json!({}), None))
        .await
        .unwrap();
    let draft = store
        .create_ai_agent(f.org_a, new_agent("Draft", json!({"mode": "draft"}), None))
        .await
        .unwrap();
    let settings = AgentSettings {
        response_delay_seconds: 0,
        welcome_message: Some("¡Bienvenido!".into()),
        pause_hours: 2,
        default_agent_id: Some(second.id),
    };
    store.set_agent_settings(f.org_a, &settings).await.unwrap();
    assert_eq!(store.agent_settings(f.org_a).await.unwrap(), settings);
    assert_eq!(store.get_org(f.org_a).await.unwrap().name, "Org A");

    let conv = f
        .receive_a("5215533334444", "wamid.state", 0, "hola")
        .await
        .conversation_id;
    let state = ConversationAgent {
        default_agent_id: Some(draft.id),
        paused_at: Some(at(60)),
    };
    store
        .set_conversation_agent(f.org_a, conv, &state)
        .await
        .unwrap();
    let back = store.conversation_agent(f.org_a, conv).await.unwrap();
    assert_eq!(back, state);
    assert!(back.is_paused(at(60 + 3600), settings.pause_hours));
    assert!(!back.is_paused(at(60 + 2 * 3600), settings.pause_hours));

    let agents = store.list_ai_agents(f.org_a).await.unwrap();
    let chosen = choose_agent(&agents, &back, &settings).map(|a| a.id);
    assert_eq!(
        chosen,
        Some(second.id),
        "a draft default falls back to the org's"
    );
    let no_defaults = AgentSettings::default();
    let chosen = choose_agent(&agents, &ConversationAgent::default(), &no_defaults);
    assert_eq!(chosen.map(|a| a.id), Some(first.id), "oldest active agent");

    store
        .set_conversation_agent(f.org_a, conv, &ConversationAgent::default())
        .await
        .unwrap();
    assert_eq!(
        store.conversation_agent(f.org_a, conv).await.unwrap(),
        ConversationAgent::default()
    );
    assert_not_found(
        store
            .conversation_agent(f.org_a, ConversationId::new())
            .await,
        "unknown conversation",
    );
}

/// Every new customer message of an org with an AI agent queues exactly one agent
/// turn, due after the org's delay, in the message's transaction: a wamid stored again
/// queues none, a reaction none, an org without AI agents none.
pub async fn ingest_queues_one_turn_per_new_message(store: &dyn Store) {
    use chrono::{Duration, Utc};
    use wakit_core::MessageContent;
    use wakit_store::{AGENT_TURN, AgentTurn};
    let f = Fixture::new(store).await;
    store
        .create_ai_agent(f.org_a, new_agent("Sofía", json!({}), None))
        .await
        .unwrap();
    let delayed = AgentSettings {
        response_delay_seconds: 600,
        ..AgentSettings::default()
    };
    store.set_agent_settings(f.org_a, &delayed).await.unwrap();
    let mut reaction = Fixture::inbound(f.acct_a.id, "5215550001111", "wamid.r", 3, "");
    reaction.content = MessageContent::reaction("👍", "wamid.a1");
    let batch = vec![
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "5215550001111", "wamid.a1", 1, "hola"),
        ),
        (
            f.org_a,
            Fixture::inbound(f.acct_a.id, "5215550001111", "wamid.a1", 1, "hola"),
        ),
        (
            f.org_b,
            Fixture::inbound(f.acct_b.id, "5215550002222", "wamid.b1", 2, "hi"),
        ),
        (f.org_a, reaction),
    ];
    let ingested = store.ingest_inbound_batch(batch).await.unwrap();
    f.receive_a("5215550001111", "wamid.a1", 1, "hola").await;
    let claim = |at| store.claim_jobs(&[AGENT_TURN], 10, Duration::seconds(30), at);
    assert!(
        claim(Utc::now() + Duration::seconds(60))
            .await
            .unwrap()
            .is_empty(),
        "not due before the org's delay"
    );
    let jobs = claim(Utc::now() + Duration::days(1)).await.unwrap();
    let turns: Vec<AgentTurn> = jobs.iter().map(|j| j.args().expect("payload")).collect();
    assert_eq!(
        turns,
        [AgentTurn {
            message_id: ingested[0].message_id,
            org_id: f.org_a
        }]
    );
    assert_eq!(jobs[0].org_id, Some(f.org_a));
}
