//! The media storage on a real S3-compatible server (moto's, pinned in
//! tests/s3/requirements.txt and installed into target/py-moto by .ci/run), on both
//! backends: a customer's photo and PDF are downloaded into the bucket and read back
//! whole and by range; an upload lands there too.
//!
//! Without the virtualenv the check is skipped with a loud NOTE, except under `CI=true`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;

use common::sandbox::{STORE_WAIT, fast_dispatch, world_with};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wakit_api::ConversationQuery;
use wakit_server::ApiConfig;
use wakit_server::media::storage::S3Builder;
use wakit_server::media::{MediaConfig, MediaStorage, UrlSigner};
use wakit_sim::{Inbound, Quirks};
use wakit_store_tests::{Backend, TestStore};

const VERSION: &str = "5.2.1";
const CUSTOMER: &str = "5215551234567";

fn venv(bin: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/py-moto/bin/{bin}"))
}

fn moto_ready() -> bool {
    let python = venv("python");
    let found = external::probe(
        python.to_str().unwrap(),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('moto'))",
        ],
    )
    .and_then(|v| {
        (v == VERSION)
            .then_some(())
            .ok_or(format!("moto {v} is installed, not {VERSION}"))
    });
    external::ready(
        "S3 (moto)",
        "python3 -m venv target/py-moto && target/py-moto/bin/pip install -r crates/wakit-server/tests/s3/requirements.txt",
        found,
    )
}

/// moto's server on a free port of 127.0.0.1, killed when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(venv("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if http.get(&moto.url).send().await.is_ok() {
            // S3's CreateBucket: PUT /{bucket}.
            let made = http
                .put(format!("{}/wakit-media", moto.url))
                .send()
                .await
                .unwrap();
            assert!(made.status().is_success(), "bucket: {}", made.status());
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto did not start within 30 s");
}

async fn read(http: &reqwest::Client, url: &str, key: &str) -> bytes::Bytes {
    let resp = http.get(url).bearer_auth(key).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap()
}

fn storage(moto: &Moto) -> MediaStorage {
    let options = [
        ("aws_endpoint", moto.url.as_str()),
        ("aws_access_key_id", "testing"),
        ("aws_secret_access_key", "testing"),
        ("aws_region", "us-east-1"),
        ("aws_allow_http", "true"),
    ];
    MediaStorage::s3("s3://wakit-media/tenant-files", S3Builder::new(), &options).unwrap()
}

async fn inbound_files_and_uploads_live_in_the_bucket(backend: Backend) {
    if !moto_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let moto = moto().await;
    let api = ApiConfig {
        media: MediaConfig {
            storage: storage(&moto),
            max_bytes: wakit_server::media::DEFAULT_MAX_BYTES,
            signer: UrlSigner::ephemeral(),
        },
        ..ApiConfig::default()
    };
    let w = world_with(ts, Quirks::none(), fast_dispatch(), api).await;
    for m in [
        Inbound::Image {
            caption: Some("foto".into()),
        },
        Inbound::Document {
            filename: "factura.pdf".into(),
            caption: None,
        },
    ] {
        w.sim
            .customer_writes(&w.account.phone_number_id, CUSTOMER, Some("Maria"), m)
            .unwrap();
    }
    let client = w.client().await;
    let q = ConversationQuery {
        contact_phone: Some(CUSTOMER.into()),
        ..Default::default()
    };
    let start = Instant::now();
    let mut ids: Vec<String> = Vec::new();
    while start.elapsed() < STORE_WAIT && ids.len() < 2 {
        if let Ok(conv) = client.conversation(&q).await {
            ids = conv
                .value
                .messages
                .iter()
                .filter_map(|m| m.content["file"]["id"].as_str().map(str::to_string))
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(ids.len(), 2, "both files stored");
    let key = w.api_key().await;
    let shas: Vec<String> = w.sim.media().into_iter().map(|m| m.sha256).collect();
    let http = reqwest::Client::new();
    for id in &ids {
        let url = format!("{}/functions/v1/api/media/{id}", w.server.root());
        let body = read(&http, &url, &key).await;
        assert!(
            shas.contains(&hex::encode(Sha256::digest(&body))),
            "the customer's bytes"
        );
        let part = http
            .get(&url)
            .bearer_auth(&key)
            .header("Range", "bytes=-5")
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.bytes().await.unwrap(), body.slice(body.len() - 5..));
    }
    // The bucket holds them under the prefix, by org and sha256.
    let listing = http
        .get(format!(
            "{}/wakit-media?list-type=2&prefix=tenant-files/",
            moto.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for sha in &shas {
        assert!(listing.contains(sha.as_str()), "{sha} in {listing}");
    }
    assert!(listing.contains(&format!("tenant-files/{}/", w.account.org_id)));

    let pdf: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 7) as u8).collect();
    let root = w.server.root();
    let (_, up) = common::media::upload(&root, &key, "n.pdf", Some("application/pdf"), &pdf).await;
    assert_eq!(up["size"], pdf.len() as u64, "{up}");
    let url = format!(
        "{}/functions/v1/api/media/{}",
        w.server.root(),
        up["id"].as_str().unwrap()
    );
    let back = read(&http, &url, &key).await;
    assert_eq!(
        back.len(),
        pdf.len(),
        "a file larger than one part, in parts"
    );
    assert!(back == pdf);
    w.stop().await;
}

on_both_backends!(inbound_files_and_uploads_live_in_the_bucket);
