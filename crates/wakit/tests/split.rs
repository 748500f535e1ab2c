//! `wakit serve --no-workers` next to `wakit worker`, on both backends with the sandbox as
//! Meta: the API process only stores webhook bodies (nothing is processed until a worker
//! runs); the worker processes them and sends what the API queued.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
mod procs;

use common::rig::{Rig, kill9, until};
use std::time::Duration;
use wakit_core::{MessageStatus, Phone};
use wakit_sim::Inbound;
use wakit_store::PROCESS_WEBHOOK;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

async fn api_and_workers_in_separate_processes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let (org, acct) = (rig.account.org_id, rig.account.id);
    let mut api = rig.serve_with(&["--no-workers"]).await;
    let wamid = rig
        .sim
        .customer_writes(
            &rig.account.phone_number_id,
            CUSTOMER,
            Some("Maria"),
            Inbound::text("hola"),
        )
        .unwrap();
    assert!(
        rig.sim.wait_webhooks_idle(Duration::from_secs(60)).await,
        "the API acknowledged the body"
    );
    // Stored, not processed: its job waits for a worker.
    let queued = rig
        .ts
        .store
        .claim_jobs(
            &[PROCESS_WEBHOOK],
            10,
            chrono::Duration::zero(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "the webhook body waits for a worker");
    assert!(
        rig.messages().await.is_empty(),
        "no worker, nothing processed"
    );

    let metrics_addr = common::rig::free_addr();
    let mut worker =
        procs::Proc::spawn(&mut rig.command(&["worker", "--metrics-listen", &metrics_addr]));
    until("the worker to store the message", || async {
        rig.messages()
            .await
            .iter()
            .any(|m| m.external_id.as_deref() == Some(&wamid))
    })
    .await;

    // A send through the API process goes out through the worker.
    let key = common::rig::api_key(&rig.ts, org).await;
    let client = wakit_api::Client::new(&format!("http://{}", rig.listen), &key).unwrap();
    let req = wakit_api::SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        text: Some("¡Hola!".into()),
        ..Default::default()
    };
    let sent = client.send(&req, None).await.unwrap();
    assert!(sent.status == 200 || sent.status == 202, "{sent:?}");
    let phone = Phone::parse(CUSTOMER).unwrap();
    until("the reply to be sent by the worker", || async {
        let conv = rig
            .ts
            .store
            .find_conversation(org, acct, &phone.clone().into())
            .await
            .unwrap()
            .unwrap();
        let page = rig
            .ts
            .store
            .page_messages(org, conv.id, 10, None)
            .await
            .unwrap();
        page.messages
            .iter()
            .any(|m| m.id.to_string() == sent.value.id && m.status != MessageStatus::Pending)
    })
    .await;
    assert_eq!(rig.sim.sent_messages().len(), 1);

    // The worker's metrics: its send for the number, the number's limit, the queue.
    let pnid = rig.account.phone_number_id.clone();
    let scrape = format!("http://{metrics_addr}/metrics");
    let text = reqwest::get(&scrape).await.unwrap().text().await.unwrap();
    assert!(
        text.contains(&format!("wakit_sends_total{{number=\"{pnid}\"}} 1")),
        "{text}"
    );
    assert!(
        text.contains(&format!("wakit_send_limit_mps{{number=\"{pnid}\"}} 200")),
        "{text}"
    );
    assert!(
        text.contains("wakit_webhook_ingest_lag_seconds 0"),
        "{text}"
    );
    assert!(
        text.contains("wakit_db_pool_connections{state=\"max\"}"),
        "{text}"
    );
    kill9(&mut worker);
    kill9(&mut api);
    rig.sim.shutdown().await;
}

on_both_backends!(api_and_workers_in_separate_processes);
