//! `POST /media` on both backends: a file is stored and read back; its type comes from
//! its Content-Type or its name; WhatsApp's types and per-type sizes answer 400 with a
//! sentence, `WAKIT_MEDIA_MAX_BYTES` 413, and nothing refused is kept; another org
//! cannot read an upload.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::new_key;
use common::{Running, serve_api};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wakit_server::ApiConfig;
use wakit_server::media::{MediaConfig, UrlSigner};
use wakit_store_tests::{Backend, TestStore};

const MB: usize = 1024 * 1024;
/// The server's upload limit in these tests.
const MAX: u64 = 8 * MB as u64;

async fn server(ts: &TestStore, dir: &std::path::Path) -> Running {
    let media = MediaConfig {
        max_bytes: MAX,
        ..MediaConfig::local(dir, UrlSigner::ephemeral()).unwrap()
    };
    let api = ApiConfig {
        media,
        ..ApiConfig::default()
    };
    serve_api(ts, api).await
}

async fn upload(
    s: &Running,
    key: &str,
    name: &str,
    mime: Option<&str>,
    bytes: &[u8],
) -> (u16, Value) {
    common::media::upload(&s.root(), key, name, mime, bytes).await
}

fn files_in(dir: &std::path::Path) -> usize {
    fn walk(d: &std::path::Path) -> usize {
        std::fs::read_dir(d)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(dir)
}

async fn uploads_are_kept_checked_and_private(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = server(&ts, dir.path()).await;
    let org = ts.store.create_org("Org", "UTC").await.unwrap();
    let key = new_key(&*ts.store, org.id).await;

    let photo: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (status, body) = upload(&s, &key, "foto.jpg", Some("image/jpeg"), &photo).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["mime_type"], "image/jpeg");
    assert_eq!(body["size"], photo.len() as u64);
    assert_eq!(body["sha256"], hex::encode(Sha256::digest(&photo)));
    assert_eq!(body["filename"], "foto.jpg");
    let url = format!(
        "{}/functions/v1/api/media/{}",
        s.root(),
        body["id"].as_str().unwrap()
    );
    let read = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.unwrap(), photo);

    // The type from the name when the part does not say.
    let (status, body) = upload(
        &s,
        &key,
        "notas.txt",
        Some("application/octet-stream"),
        b"hola",
    )
    .await;
    assert_eq!(
        (status, body["mime_type"].as_str()),
        (201, Some("text/plain")),
        "{body}"
    );

    let kept = files_in(dir.path());
    /// A refused upload: name, type, bytes, status, and what the error says.
    type Refused<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let refused: [Refused; 5] = [
        (
            "anim.gif",
            Some("image/gif"),
            vec![1; 10],
            400,
            "WhatsApp does not accept image/gif",
        ),
        (
            "big.png",
            Some("image/png"),
            vec![1; 5 * MB + 1],
            400,
            "only up to 5242880 bytes",
        ),
        (
            "huge.pdf",
            Some("application/pdf"),
            vec![1; 9 * MB],
            413,
            "WAKIT_MEDIA_MAX_BYTES",
        ),
        (
            "vacio.pdf",
            Some("application/pdf"),
            Vec::new(),
            400,
            "The file is empty",
        ),
        ("sin-tipo", None, vec![1; 10], 400, "no Content-Type"),
    ];
    for (name, mime, bytes, want, sentence) in refused {
        let (status, body) = upload(&s, &key, name, mime, &bytes).await;
        assert_eq!(status, want, "{name}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(sentence), "{name}: {error}");
    }
    assert_eq!(files_in(dir.path()), kept, "nothing refused is kept");

    let other = ts.store.create_org("Other", "UTC").await.unwrap();
    let other_key = new_key(&*ts.store, other.id).await;
    let read = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 404);
    let (status, _) = upload(&s, "sk_not_a_key", "foto.jpg", Some("image/jpeg"), &photo).await;
    assert_eq!(status, 401);
    s.stop().await;
}

on_both_backends!(uploads_are_kept_checked_and_private);
