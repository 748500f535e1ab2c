//! A customer's photo survives `kill -9` mid-download: the sandbox sends half the file and
//! stalls, the real `wakit serve` process is killed while it waits, and the restarted
//! process downloads the file again, checks it against Meta's SHA-256 and keeps it — the
//! message's part ends as `internal://media/{id}`, readable through the API with the bytes
//! the customer sent. On both backends, with media on the local disk.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use serde_json::Value;
use sha2::{Digest, Sha256};
use wakit_sim::Inbound;
use wakit_store_tests::{Backend, TestStore};

mod common;
mod procs;

use common::rig::{Rig, WAIT, api_key, kill9, until};

const CUSTOMER: &str = "5215511114444";

/// The photo's part as the API shows it, once it is stored or failed.
async fn settled_file(client: &wakit_api::Client) -> Option<Value> {
    let q = wakit_api::ConversationQuery {
        contact_phone: Some(CUSTOMER.into()),
        ..Default::default()
    };
    let conv = client.conversation(&q).await.ok()?;
    let file = conv.value.messages.first()?.content.get("file")?.clone();
    (file.get("id").is_some() || file.get("error").is_some()).then_some(file)
}

async fn a_photo_survives_kill_9_mid_download(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let key = api_key(&rig.ts, rig.account.org_id).await;
    let root = format!("http://{}", rig.listen);
    let client = wakit_api::Client::new(&root, &key).unwrap();

    let mut server = rig.serve().await;
    rig.sim.stall_media_downloads(1);
    rig.sim
        .customer_writes(
            &rig.account.phone_number_id,
            CUSTOMER,
            Some("Ana"),
            Inbound::Image {
                caption: Some("el recibo".into()),
            },
        )
        .unwrap();
    until("the download to stall half-way", || async {
        rig.sim.stalled_media_downloads() == 1
    })
    .await;
    kill9(&mut server);

    let mut server = rig.serve().await;
    let start = std::time::Instant::now();
    let file = loop {
        if let Some(file) = settled_file(&client).await {
            break file;
        }
        assert!(
            start.elapsed() < WAIT,
            "the photo was not kept after the restart"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let id = file["id"]
        .as_str()
        .unwrap_or_else(|| panic!("kept: {file}"));
    assert_eq!(file["uri"], format!("internal://media/{id}"));
    assert_eq!(
        rig.sim.media_downloads(),
        1,
        "one whole download, after the restart"
    );

    let sent = rig.sim.media().into_iter().next().unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{root}/functions/v1/api/media/{id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), sent.sha256);
    assert_eq!(body, sent.bytes, "the bytes the customer sent");
    kill9(&mut server);
    rig.sim.shutdown().await;
}

on_both_backends!(a_photo_survives_kill_9_mid_download);
