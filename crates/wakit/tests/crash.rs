//! Crash safety with `kill -9`: the real `wakit serve` process, the sandbox as Meta
//! (retrying unacknowledged webhooks like Meta does), on both backends.
//!
//! * A storm of 2,000 signed inbound messages; the server is killed mid-storm and
//!   restarted: every message ends up stored exactly once.
//! * A bulk send; the server is killed mid-send and restarted: no message reaches Meta
//!   twice, every message Meta took has its wamid, and the rest were sent after the
//!   restart or failed as "outcome unknown".
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wakit_core::{MessageContent, MessageStatus, Phone};
use wakit_sim::{Inbound, NumberSpec, Quirks, RetryPolicy, Sim, SimConfig, SimHandle};
use wakit_store::{Account, MessageRecord, NewOutgoing, Priority};
use wakit_store_tests::fixture::{new_account, secret_box};
use wakit_store_tests::{Backend, TestStore};

const APP_SECRET: &str = "crash-test-secret";
/// Hex of the key `secret_box()` uses ([7u8; 32]).
const SECRET_KEY: &str = "0707070707070707070707070707070707070707070707070707070707070707";
const WAIT: Duration = Duration::from_secs(180);

struct Rig {
    ts: TestStore,
    sim: SimHandle,
    account: Account,
    listen: String,
    data_dir: tempfile::TempDir,
}

impl Rig {
    async fn new(ts: TestStore) -> Rig {
        // A port for the server, stable across its restart.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let sim = Sim::start(SimConfig {
            app_secret: APP_SECRET.into(),
            quirks: Quirks::none(),
            webhook_url: Some(format!("http://{listen}/functions/v1/whatsapp-webhook")),
            webhook_retry: RetryPolicy {
                initial: Duration::from_millis(100),
                max_delay: Duration::from_secs(1),
                give_up_after: Duration::from_secs(600),
            },
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let pnid = format!("10{}", u64::from(port) * 1_000_003);
        let token = "EAAG-crash";
        let mut new = new_account("5215588392274", &pnid);
        new.waba_id = format!("9{pnid}");
        new.access_token = secret_box().seal(token, &pnid);
        sim.add_number(
            NumberSpec::new("5215588392274")
                .id(pnid.clone())
                .token(token)
                .waba(new.waba_id.clone()),
        )
        .unwrap();
        let org = ts.store.create_org("Crash", "UTC").await.unwrap();
        let account = ts.store.add_account(org.id, new).await.unwrap();
        Rig {
            ts,
            sim,
            account,
            listen,
            data_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Starts `wakit serve` and waits until it answers.
    async fn serve(&self) -> Child {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wakit"))
            .args(["serve", "--listen", &self.listen])
            .env("WAKIT_DATA_DIR", self.data_dir.path())
            .env("WAKIT_DATABASE_URL", &self.ts.url)
            .env("WAKIT_SECRET_KEY", SECRET_KEY)
            .env("WAKIT_APP_SECRET", APP_SECRET)
            .env("WAKIT_GRAPH_URL", self.sim.base_url())
            .env("WAKIT_DEFAULT_MPS", "200")
            .env("WAKIT_SEND_RECONCILE_SECONDS", "3")
            .env("WAKIT_JOB_LEASE_SECONDS", "3")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn wakit serve");
        let ping = format!("http://{}/functions/v1/api/ping", self.listen);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if reqwest::get(&ping)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("wakit serve did not answer within 60 s");
    }

    /// Every stored message of the number, across its conversations.
    async fn messages(&self) -> Vec<MessageRecord> {
        let (org, acct) = (self.account.org_id, self.account.id);
        let mut all = Vec::new();
        for conv in self
            .ts
            .store
            .list_conversations(org, acct, 1000)
            .await
            .unwrap()
        {
            let page = self
                .ts
                .store
                .page_messages(org, conv.id, 100_000, None)
                .await
                .unwrap();
            all.extend(page.messages);
        }
        all
    }
}

fn kill9(child: &mut Child) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = child.wait();
}

/// Waits (bounded) until `cond` holds.
async fn until<F: std::future::Future<Output = bool>>(what: &str, mut cond: impl FnMut() -> F) {
    let start = Instant::now();
    while !cond().await {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn inbound_storm_survives_kill_9(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let mut server = rig.serve().await;
    let storm = rig
        .sim
        .storm(&rig.account.phone_number_id, 2000, 4, 20)
        .unwrap();
    until("part of the storm to be acknowledged", || async {
        rig.sim.stats().webhooks.delivered >= 100
    })
    .await;
    kill9(&mut server);
    let mut server = rig.serve().await;
    assert!(
        rig.sim.wait_webhooks_idle(WAIT).await,
        "the sandbox delivered every body"
    );
    until("every message to be processed", || async {
        rig.messages().await.len() >= 2000
    })
    .await;
    let stored = rig.messages().await;
    let wamids: Vec<_> = stored
        .iter()
        .filter_map(|m| m.external_id.clone())
        .collect();
    let unique: HashSet<_> = wamids.iter().cloned().collect();
    assert_eq!(stored.len(), 2000, "each message stored once");
    assert_eq!(unique.len(), 2000);
    assert_eq!(unique, storm.wamids.iter().cloned().collect::<HashSet<_>>());
    kill9(&mut server);
    rig.sim.shutdown().await;
}

async fn bulk_send_survives_kill_9_without_duplicates(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let rig = Rig::new(ts).await;
    let mut server = rig.serve().await;
    let customer = "5215551234567";
    rig.sim
        .customer_writes(
            &rig.account.phone_number_id,
            customer,
            Some("Ana"),
            Inbound::text("hola"),
        )
        .unwrap();
    until("the customer's message", || async {
        !rig.messages().await.is_empty()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..400 {
        let out = NewOutgoing {
            account_id: rig.account.id,
            to: Phone::parse(customer).unwrap(),
            content: MessageContent::text(format!("promo {i}")),
            scheduled_at: None,
            agent_id: None,
            priority: Priority::Bulk,
            idempotency: None,
        };
        ids.push(
            rig.ts
                .store
                .enqueue_outgoing(rig.account.org_id, out)
                .await
                .unwrap()
                .message
                .id,
        );
    }
    until("part of the bulk send", || async {
        rig.sim.stats().accepted >= 60
    })
    .await;
    kill9(&mut server);
    let mut server = rig.serve().await;
    let (org, store) = (rig.account.org_id, rig.ts.store.clone());
    until("every message to settle", || {
        let (store, ids) = (store.clone(), ids.clone());
        async move {
            for id in ids {
                if store.get_message(org, id).await.unwrap().status == MessageStatus::Pending {
                    return false;
                }
            }
            true
        }
    })
    .await;

    let mut sends: HashMap<String, Vec<String>> = HashMap::new();
    for s in rig.sim.sent_messages() {
        if let Some(id) = s.biz_opaque_callback_data {
            sends.entry(id).or_default().push(s.wamid);
        }
    }
    let mut unknown = 0;
    for id in &ids {
        let m = store.get_message(org, *id).await.unwrap();
        match sends.get(&id.to_string()) {
            Some(wamids) => {
                assert_eq!(
                    wamids.len(),
                    1,
                    "message {id} reached Meta {} times",
                    wamids.len()
                );
                assert_eq!(m.external_id.as_deref(), Some(wamids[0].as_str()), "{m:?}");
            }
            None => {
                assert_eq!(
                    m.status,
                    MessageStatus::Failed,
                    "never sent, so failed: {m:?}"
                );
                assert_eq!(m.error.as_ref().unwrap()[0]["code"], "send_outcome_unknown");
                unknown += 1;
            }
        }
    }
    eprintln!(
        "bulk crash: {} sent once, {unknown} failed as outcome unknown",
        ids.len() - unknown
    );
    kill9(&mut server);
    rig.sim.shutdown().await;
}

macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() { super::$check(wakit_store_tests::Backend::Sqlite).await; }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() { super::$check(wakit_store_tests::Backend::Postgres).await; }
        )* }
    };
}

on_both_backends!(
    inbound_storm_survives_kill_9,
    bulk_send_survives_kill_9_without_duplicates
);
