//! An AI agent turn survives `kill -9`: the real `wakit serve` process is killed while
//! the sandbox model is working on a customer's message; the restarted process runs
//! the turn again (SQLite: the dead process's leases at once; PostgreSQL: once its
//! lease owner is seen gone) and the customer gets exactly one answer. On both backends.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use wakit_core::{AgentConfig, AgentId};
use wakit_sim::{Inbound, ModelStep};
use wakit_store::{AGENT_TURN, AgentSettings, NewAiAgent};
use wakit_store_tests::{Backend, TestStore};

mod common;
mod procs;

use common::rig::{Rig, kill9, until};

const CUSTOMER: &str = "5215511113333";

async fn an_agent_turn_survives_kill_9_with_one_answer(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let org = rig.account.org_id;
    let (config, _) = AgentConfig::from_json(serde_json::json!({
        "api_url": rig.sim.model_url(), "model": "sim-model"}))
    .unwrap();
    let agent = NewAiAgent {
        id: AgentId::new(),
        name: "Sofía".into(),
        config,
        api_key: None,
    };
    let store = rig.ts.store.clone();
    store.create_ai_agent(org, agent).await.unwrap();
    let settings = AgentSettings {
        response_delay_seconds: 0,
        ..AgentSettings::default()
    };
    store.set_agent_settings(org, &settings).await.unwrap();
    // The first model call is slow: the server is killed while it waits.
    let slow = ModelStep::Respond {
        texts: vec!["never sent".into()],
        delay_ms: 30_000,
    };
    rig.sim.script_model(None, vec![slow]);

    let mut server = rig.serve().await;
    rig.sim
        .customer_writes(
            &rig.account.phone_number_id,
            CUSTOMER,
            Some("Ana"),
            Inbound::text("are you there?"),
        )
        .unwrap();
    until("the model to be asked", || async {
        !rig.sim.model_requests().is_empty()
    })
    .await;
    kill9(&mut server);
    let mut server = rig.serve().await;
    let texts = || {
        rig.sim
            .sent_messages()
            .into_iter()
            .filter(|m| m.to == CUSTOMER)
            .filter_map(|m| m.request["text"]["body"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    until("the answer after the restart", || async {
        !texts().is_empty()
    })
    .await;
    until("the turns to finish", || {
        let store = store.clone();
        async move {
            let counts = store.job_counts().await.unwrap();
            !counts
                .iter()
                .any(|(kind, _, n)| kind == AGENT_TURN && *n > 0)
        }
    })
    .await;
    assert_eq!(texts(), ["You said: are you there?"]);
    assert_eq!(
        rig.sim.model_requests().len(),
        2,
        "asked again after the restart"
    );
    kill9(&mut server);
    rig.sim.shutdown().await;
}

on_both_backends!(an_agent_turn_survives_kill_9_with_one_answer);
