//! Inbound media end to end on both backends, with the sandbox as Meta: a customer's
//! photo, voice note and PDF are downloaded once each, kept, and readable through the
//! API (whole, by range, through a signed URL) by the org's keys only; Meta's faults
//! (downloads that fail for a while, bytes that do not match, an expired id) end as a
//! stored file or as a part that says why not.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::sandbox::{STORE_WAIT, World, fast_dispatch, new_key, world_with};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use wakit_api::ConversationQuery;
use wakit_server::ApiConfig;
use wakit_server::media::{MediaConfig, MediaStorage, UrlSigner};
use wakit_server::workers::retention::{Pruner, RetentionConfig};
use wakit_sim::{Inbound, Quirks};
use wakit_store_tests::{Backend, TestStore};

const CUSTOMER: &str = "5215551234567";
const SIGNING_KEY: [u8; 32] = [7; 32];

/// A world whose media lives in its own directory (kept alive by the returned guard).
async fn media_world(ts: TestStore) -> (World, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let api = ApiConfig {
        media: MediaConfig::local(dir.path(), UrlSigner::new(SIGNING_KEY)).unwrap(),
        ..ApiConfig::default()
    };
    (
        world_with(ts, Quirks::none(), fast_dispatch(), api).await,
        dir,
    )
}

fn files(conv: &wakit_api::ConversationResponse) -> Vec<Value> {
    conv.messages
        .iter()
        .filter_map(|m| {
            m.content.get("file").cloned().map(|f| {
                let mut f = f;
                f["caption"] = m.content.get("text").cloned().unwrap_or(Value::Null);
                f["kind"] = m.content["kind"].clone();
                f
            })
        })
        .collect()
}

fn settled(f: &Value) -> bool {
    f.get("id").is_some() || f.get("error").is_some()
}

/// `n` file parts of the conversation with the customer, once all are stored or failed.
async fn settled_files(w: &World, n: usize) -> Vec<Value> {
    let client = w.client().await;
    let q = ConversationQuery {
        contact_phone: Some(CUSTOMER.into()),
        ..Default::default()
    };
    let start = Instant::now();
    let mut f = Vec::new();
    while start.elapsed() < STORE_WAIT {
        // 404 until the first message is stored.
        if let Ok(conv) = client.conversation(&q).await {
            f = files(&conv.value);
            if f.len() >= n && f.iter().all(settled) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(f.len(), n, "{f:?}");
    assert!(f.iter().all(settled), "every file settled: {f:#?}");
    f
}

fn writes(w: &World, m: Inbound) {
    w.sim
        .customer_writes(&w.account.phone_number_id, CUSTOMER, Some("Maria"), m)
        .unwrap();
}

async fn get(url: &str, key: Option<&str>, range: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    req.send().await.unwrap()
}

async fn photo_voice_note_and_pdf_are_kept_and_readable(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (w, _dir) = media_world(ts).await;
    writes(
        &w,
        Inbound::Image {
            caption: Some("mi recibo".into()),
        },
    );
    writes(&w, Inbound::Audio { voice: true });
    writes(
        &w,
        Inbound::Document {
            filename: "factura.pdf".into(),
            caption: Some("la factura".into()),
        },
    );
    let parts = settled_files(&w, 3).await;
    assert_eq!(w.sim.media_downloads(), 3, "each file downloaded once");

    let key = w.api_key().await;
    let root = w.server.root();
    let by_sha: std::collections::HashMap<String, wakit_sim::SimMedia> = w
        .sim
        .media()
        .into_iter()
        .map(|m| (m.sha256.clone(), m))
        .collect();
    for part in &parts {
        let id = part["id"].as_str().unwrap();
        assert_eq!(part["uri"], format!("internal://media/{id}"));
        let url = format!("{root}/functions/v1/api/media/{id}");
        let resp = get(&url, Some(&key), None).await;
        assert_eq!(resp.status(), 200);
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        let disposition = resp
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.bytes().await.unwrap();
        let sha = hex::encode(Sha256::digest(&body));
        let original = by_sha.get(&sha).expect("the bytes the customer sent");
        assert_eq!(ctype, original.mime_type);
        assert_eq!(part["mime_type"], original.mime_type.as_str());
        assert_eq!(part["size"], body.len() as u64);
        match part["kind"].as_str().unwrap() {
            "image" => assert_eq!(part["caption"], "mi recibo"),
            "document" => {
                assert_eq!(part["name"], "factura.pdf");
                assert_eq!(part["caption"], "la factura");
                assert!(disposition.unwrap().contains("filename=\"factura.pdf\""));
            }
            kind => assert_eq!(kind, "audio"),
        }

        let resp = get(&url, Some(&key), Some("bytes=2-9")).await;
        assert_eq!(resp.status(), 206);
        assert_eq!(
            resp.headers()["content-range"],
            format!("bytes 2-9/{}", body.len()).as_str()
        );
        assert_eq!(resp.bytes().await.unwrap(), body.slice(2..10));
        let resp = get(&url, Some(&key), Some(&format!("bytes={}-", body.len()))).await;
        assert_eq!(resp.status(), 416);
    }

    // Another org's key, and no key at all, read nothing.
    let org_b = w.ts.store.create_org("Org B", "UTC").await.unwrap();
    let key_b = new_key(&*w.ts.store, org_b.id).await;
    let id = parts[0]["id"].as_str().unwrap();
    let url = format!("{root}/functions/v1/api/media/{id}");
    assert_eq!(get(&url, Some(&key_b), None).await.status(), 404);
    assert_eq!(get(&url, None, None).await.status(), 401);
    let signed = get(&format!("{url}/url?ttl=60"), Some(&key_b), None).await;
    assert_eq!(signed.status(), 404, "org B cannot sign A's file");

    // A signed URL reads the file without a key; changed in any way, it reads nothing.
    let answer: Value = get(&format!("{url}/url?ttl=60"), Some(&key), None)
        .await
        .json()
        .await
        .unwrap();
    let signed = format!("{root}{}", answer["url"].as_str().unwrap());
    assert_eq!(get(&signed, None, None).await.status(), 200);
    let org_a = w.account.org_id.to_string();
    let tampered = [
        signed.replace("&sig=", "&sig=00"),
        signed.replace(&org_a, &org_b.id.to_string()),
        signed.replace(id, parts[1]["id"].as_str().unwrap()),
        signed.replace("exp=", "exp=9"),
    ];
    for bad in tampered {
        assert_eq!(get(&bad, None, None).await.status(), 401, "{bad}");
    }
    let expired = chrono::Utc::now().timestamp() - 1;
    let media_id = id.parse().unwrap();
    let sig = UrlSigner::new(SIGNING_KEY).sign(w.account.org_id, media_id, expired);
    let old = format!("{url}?org={org_a}&exp={expired}&sig={sig}");
    assert_eq!(get(&old, None, None).await.status(), 401, "expired");
    assert_eq!(
        w.sim.media_downloads(),
        3,
        "reading never fetches from Meta again"
    );
    w.stop().await;
}

/// The newest file the sandbox holds for the world's number.
fn newest_media(w: &World, before: &[String]) -> String {
    w.sim
        .media()
        .into_iter()
        .map(|m| m.id)
        .find(|id| !before.contains(id))
        .expect("the customer's new file")
}

async fn metas_faults_end_stored_or_explained(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (w, _dir) = media_world(ts).await;
    // Two failed downloads, then the file: retried with backoff and kept.
    w.sim.fail_media_downloads(2);
    writes(
        &w,
        Inbound::Image {
            caption: Some("uno".into()),
        },
    );
    let parts = settled_files(&w, 1).await;
    assert!(
        parts[0].get("id").is_some(),
        "kept after retries: {parts:?}"
    );
    assert_eq!(w.sim.media_downloads(), 1);

    // Bytes that do not match Meta's sha256 are never kept: the part says so.
    let known: Vec<String> = w.sim.media().into_iter().map(|m| m.id).collect();
    w.sim.fail_media_downloads(u32::MAX);
    writes(
        &w,
        Inbound::Image {
            caption: Some("dos".into()),
        },
    );
    let corrupt = newest_media(&w, &known);
    w.sim.corrupt_media(&corrupt).unwrap();
    w.sim.fail_media_downloads(0);
    let parts = settled_files(&w, 2).await;
    let bad = parts.iter().find(|p| p["caption"] == "dos").unwrap();
    assert!(bad.get("id").is_none(), "{bad}");
    let why = bad["error"].as_str().unwrap();
    assert!(why.contains("sha256"), "{why}");
    assert_eq!(bad["uri"], format!("meta://{corrupt}"));

    // An id Meta no longer has fails at once, with Meta's reason.
    let known: Vec<String> = w.sim.media().into_iter().map(|m| m.id).collect();
    w.sim.fail_media_downloads(u32::MAX);
    writes(
        &w,
        Inbound::Document {
            filename: "viejo.pdf".into(),
            caption: Some("tres".into()),
        },
    );
    let gone = newest_media(&w, &known);
    w.sim.expire_media(&gone);
    w.sim.fail_media_downloads(0);
    let parts = settled_files(&w, 3).await;
    let expired = parts.iter().find(|p| p["caption"] == "tres").unwrap();
    let why = expired["error"].as_str().unwrap();
    assert!(why.contains("Meta no longer has this media"), "{why}");
    assert_eq!(expired["name"], "viejo.pdf");
    w.stop().await;
}

on_both_backends!(
    photo_voice_note_and_pdf_are_kept_and_readable,
    metas_faults_end_stored_or_explained,
    expired_media_leaves_a_part_that_says_so,
);

/// Media retention: a file past `WAKIT_MEDIA_RETENTION_DAYS` is deleted (row and bytes);
/// its message keeps the part, which says it expired, and the file answers 404.
async fn expired_media_leaves_a_part_that_says_so(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let (w, dir) = media_world(ts).await;
    writes(&w, Inbound::Image { caption: None });
    let part = settled_files(&w, 1).await.remove(0);
    let id = part["id"].as_str().unwrap().to_string();
    let stored = |dir: &std::path::Path| {
        walk(dir)
            .into_iter()
            .filter(|p| !p.strip_prefix(dir).is_ok_and(|p| p.starts_with("tmp")))
            .count()
    };
    assert_eq!(stored(dir.path()), 1, "the photo is on disk");

    let config = RetentionConfig {
        media: Some(chrono::Duration::zero()),
        media_grace: Duration::ZERO,
        ..RetentionConfig::default()
    };
    let storage = MediaStorage::local(dir.path()).unwrap();
    let pruner = Pruner::new(w.ts.store.clone(), config).with_media(storage);
    assert!(pruner.tick().await.unwrap().complete);

    let key = w.api_key().await;
    let url = format!("{}/functions/v1/api/media/{id}", w.server.root());
    assert_eq!(get(&url, Some(&key), None).await.status(), 404);
    assert_eq!(stored(dir.path()), 0, "the bytes are gone");
    let part = settled_files(&w, 1).await.remove(0);
    assert_eq!(part["error"], wakit_store::media::EXPIRED, "{part}");
    assert!(part.get("id").is_none(), "{part}");
    assert_eq!(part["mime_type"], "image/jpeg", "{part}");
    w.stop().await;
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
