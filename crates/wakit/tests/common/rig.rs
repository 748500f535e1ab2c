//! A rig for tests of the real `wakit` binary: the sandbox as Meta (retrying
//! unacknowledged webhooks like Meta), a test database with one org and number, and
//! `wakit serve` / `wakit worker` processes started against them.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};

use crate::procs::{self, Proc};
use std::time::{Duration, Instant};
use wakit_sim::{NumberSpec, Quirks, RetryPolicy, Sim, SimConfig, SimHandle};
use wakit_store::{Account, MessageRecord};
use wakit_store_tests::TestStore;
use wakit_store_tests::fixture::{new_account, secret_box};

pub const APP_SECRET: &str = "crash-test-secret";
/// Hex of the key `secret_box()` uses ([7u8; 32]).
pub const SECRET_KEY: &str = "0707070707070707070707070707070707070707070707070707070707070707";
pub const WAIT: Duration = Duration::from_secs(180);

/// The sandbox, a test database with one org and number, and how to start `wakit`
/// processes against them.
pub struct Rig {
    pub ts: TestStore,
    pub sim: SimHandle,
    pub account: Account,
    pub listen: String,
    pub data_dir: tempfile::TempDir,
}

impl Rig {
    /// Starts the sandbox and connects one number on both sides.
    pub async fn new(ts: TestStore) -> Rig {
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
    pub async fn serve(&self) -> Proc {
        self.serve_with(&[]).await
    }

    /// `wakit` with `args` and the rig's environment (database, sandbox, secrets).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = procs::wakit();
        cmd.args(args)
            .env("WAKIT_DATA_DIR", self.data_dir.path())
            .env("WAKIT_DATABASE_URL", &self.ts.url)
            .env("WAKIT_SECRET_KEY", SECRET_KEY)
            .env("WAKIT_APP_SECRET", APP_SECRET)
            .env("WAKIT_GRAPH_URL", self.sim.base_url())
            .env("WAKIT_DEFAULT_MPS", "200")
            .env("WAKIT_SEND_RECONCILE_SECONDS", "3")
            .env("WAKIT_JOB_LEASE_SECONDS", "3")
            .env("WAKIT_API_RATE_LIMIT", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        // WAKIT_TEST_VERBOSE=1 shows the processes' logs.
        if std::env::var_os("WAKIT_TEST_VERBOSE").is_none() {
            cmd.stderr(Stdio::null());
        }
        cmd
    }

    /// Starts `wakit serve --listen <rig's> <extra>` and waits until it answers.
    pub async fn serve_with(&self, extra: &[&str]) -> Proc {
        self.serve_at(&self.listen, extra).await
    }

    /// Starts `wakit serve --listen <listen> <extra>` and waits until it answers.
    pub async fn serve_at(&self, listen: &str, extra: &[&str]) -> Proc {
        let mut args = vec!["serve", "--listen", listen];
        args.extend_from_slice(extra);
        let child = Proc::spawn(&mut self.command(&args));
        let ping = format!("http://{listen}/functions/v1/api/ping");
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
        drop(child);
        panic!("wakit serve did not answer within 60 s");
    }

    /// Every stored message of the number, across its conversations.
    pub async fn messages(&self) -> Vec<MessageRecord> {
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

/// A free 127.0.0.1 address.
pub fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A new API key of `org`; returns the plain key.
pub async fn api_key(ts: &TestStore, org: wakit_core::OrgId) -> String {
    let key = wakit_store::secrets::generate_api_key();
    let new = wakit_store::NewApiKey {
        name: "rig".into(),
        role: wakit_core::Role::Member,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    ts.store.create_api_key(org, new).await.unwrap();
    key.plain
}

pub fn kill9(child: &mut Child) {
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
pub async fn until<F: std::future::Future<Output = bool>>(what: &str, mut cond: impl FnMut() -> F) {
    let start = Instant::now();
    while !cond().await {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
