//! Sending files on both backends, with the sandbox as Meta: each kind uploaded with
//! `POST /media` and sent by `id` reaches Meta as Meta's own media id of the very bytes
//! (uploaded at send time, once per number while Meta keeps it); a `link` is passed on;
//! what WhatsApp would refuse answers 400 with a sentence.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::api::expect_error;
use common::sandbox::{STORE_WAIT, fast_dispatch, new_key, world_with};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use wakit_api::{MediaRequest, SendRequest};
use wakit_server::ApiConfig;
use wakit_server::media::{MediaConfig, UrlSigner};
use wakit_sim::Quirks;
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";

async fn upload(root: &str, key: &str, name: &str, mime: &str, bytes: &[u8]) -> String {
    let (_, answer) = common::media::upload(root, key, name, Some(mime), bytes).await;
    answer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string()
}

fn send(kind: &str, media: MediaRequest) -> SendRequest {
    let mut req = SendRequest {
        contact_phone: Some(CUSTOMER.into()),
        ..Default::default()
    };
    let slot = match kind {
        "image" => &mut req.image,
        "video" => &mut req.video,
        "audio" => &mut req.audio,
        "sticker" => &mut req.sticker,
        _ => &mut req.document,
    };
    *slot = Some(media);
    req
}

fn by_id(id: &str) -> MediaRequest {
    MediaRequest {
        id: Some(id.into()),
        ..Default::default()
    }
}

async fn each_kind_reaches_meta_as_its_bytes(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let api = ApiConfig {
        media: MediaConfig::local(dir.path(), UrlSigner::ephemeral()).unwrap(),
        ..ApiConfig::default()
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), api).await;
    w.customer_writes(CUSTOMER, "mándame todo").await;
    let key = w.api_key().await;
    let client = w.client().await;
    let root = w.server.root();
    let files = [
        (
            "image",
            "foto.jpg",
            "image/jpeg",
            vec![0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9],
        ),
        (
            "video",
            "clip.mp4",
            "video/mp4",
            vec![0, 0, 0, 24, b'f', b't', b'y', b'p'],
        ),
        ("audio", "nota.ogg", "audio/ogg", b"OggS-voice".to_vec()),
        (
            "document",
            "factura.pdf",
            "application/pdf",
            b"%PDF-1.7 factura".to_vec(),
        ),
        (
            "sticker",
            "hola.webp",
            "image/webp",
            b"RIFF....WEBPVP8 ".to_vec(),
        ),
    ];
    for (kind, name, mime, bytes) in &files {
        let id = upload(&root, &key, name, mime, bytes).await;
        let mut media = by_id(&id);
        if matches!(*kind, "image" | "document") {
            media.caption = Some(format!("mi {kind}"));
        }
        let before = w.sim.sent_messages().len();
        client.send(&send(kind, media), None).await.unwrap();
        let start = Instant::now();
        while w.sim.sent_messages().len() == before && start.elapsed() < STORE_WAIT {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sent = w.sim.sent_messages().pop().expect("sent to Meta");
        assert_eq!(sent.kind, *kind);
        let obj = &sent.request[*kind];
        let meta_id = obj["id"].as_str().unwrap_or_else(|| panic!("{obj}"));
        let held = w.sim.media().into_iter().find(|m| m.id == meta_id).unwrap();
        assert_eq!(
            held.sha256,
            hex::encode(Sha256::digest(bytes)),
            "{kind}: the uploaded bytes"
        );
        assert_eq!(held.mime_type, *mime);
        if matches!(*kind, "image" | "document") {
            assert_eq!(obj["caption"], format!("mi {kind}"));
        }
        if *kind == "document" {
            assert_eq!(obj["filename"], "factura.pdf");
        }
    }

    // The same file again: Meta's id is reused, nothing is uploaded twice.
    let id = upload(&root, &key, "foto.jpg", "image/jpeg", &files[0].3).await;
    let held = w.sim.media().len();
    for _ in 0..2 {
        let before = w.sim.sent_messages().len();
        client.send(&send("image", by_id(&id)), None).await.unwrap();
        let start = Instant::now();
        while w.sim.sent_messages().len() == before && start.elapsed() < STORE_WAIT {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(w.sim.media().len(), held + 1, "one upload for two sends");

    // A link goes to Meta as it is.
    let link = MediaRequest {
        link: "https://example.com/catalogo.pdf".into(),
        filename: Some("catalogo.pdf".into()),
        ..Default::default()
    };
    client.send(&send("document", link), None).await.unwrap();

    // What WhatsApp would refuse, refused here.
    let pdf = upload(&root, &key, "f.pdf", "application/pdf", b"%PDF").await;
    let e = expect_error(
        client.send(&send("image", by_id(&pdf)), None).await,
        400,
        "invalid_parameter",
    );
    assert!(
        e.error
            .contains("does not send a application/pdf file as image"),
        "{}",
        e.error
    );
    let sticker = MediaRequest {
        caption: Some("hola".into()),
        ..by_id(&id)
    };
    let e = expect_error(
        client.send(&send("sticker", sticker), None).await,
        400,
        "invalid_parameter",
    );
    assert!(e.error.contains("without caption"), "{}", e.error);
    let other = w.ts.store.create_org("Other", "UTC").await.unwrap();
    let other_key = new_key(&*w.ts.store, other.id).await;
    let theirs = upload(&root, &other_key, "x.jpg", "image/jpeg", b"\xFF\xD8x").await;
    let e = expect_error(
        client.send(&send("image", by_id(&theirs)), None).await,
        400,
        "invalid_parameter",
    );
    assert!(
        e.error.contains("names no upload of this organization"),
        "{}",
        e.error
    );
    w.stop().await;
}

on_both_backends!(each_kind_reaches_meta_as_its_bytes);
