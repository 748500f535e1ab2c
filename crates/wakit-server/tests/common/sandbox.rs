//! The server with the sandbox as Meta: a seeded org and number on both sides.

use std::time::{Duration, Instant};
use wakit_core::{MessageContent, MessageId, MessageStatus, Phone};
use wakit_server::workers::dispatch::DispatchConfig;
use wakit_server::{ApiConfig, AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_sim::{NumberSpec, Quirks, Sim, SimConfig, SimHandle};
use wakit_store::{Account, MessageRecord, NewOutgoing, Priority};
use wakit_store_tests::TestStore;
use wakit_store_tests::fixture::{new_account, secret_box};

use super::{APP_SECRET, Running};

/// A server whose dispatcher talks to a sandbox that posts webhooks back to it.
pub struct World {
    pub server: Running,
    pub sim: SimHandle,
    pub account: Account,
    pub ts: TestStore,
    /// The number's access token (as the sandbox knows it).
    pub token: String,
}

/// How long a test waits for something the server does in the background.
pub const STORE_WAIT: Duration = Duration::from_secs(60);

/// Creates an API key (member) of `org`; returns the plain key.
pub async fn new_key(store: &dyn wakit_store::Store, org: wakit_core::OrgId) -> String {
    key_with_role(store, org, wakit_core::Role::Member).await
}

/// Creates an API key of `org` with `role`; returns the plain key.
pub async fn key_with_role(
    store: &dyn wakit_store::Store,
    org: wakit_core::OrgId,
    role: wakit_core::Role,
) -> String {
    let key = wakit_store::secrets::generate_api_key();
    let new = wakit_store::NewApiKey {
        name: "test".into(),
        role,
        hash: key.hash.clone(),
        prefix: key.prefix.clone(),
    };
    store.create_api_key(org, new).await.expect("api key");
    key.plain
}

/// Connects a new number (`digits`, a fresh phone-number id, WABA and token) to `org`
/// on both sides: the sandbox and the store. Returns it with its token.
pub async fn connect_number(
    ts: &TestStore,
    sim: &SimHandle,
    org: wakit_core::OrgId,
    digits: &str,
) -> (Account, String) {
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let pnid = format!(
        "1{}",
        u64::from_str_radix(&suffix[..10], 16).expect("hex") % 10u64.pow(14)
    );
    let mut acct = new_account(digits, &pnid);
    acct.waba_id = format!("9{pnid}");
    let token = format!("EAAG-token-{pnid}");
    acct.access_token = secret_box().seal(&token, &pnid);
    sim.add_number(
        NumberSpec::new(digits)
            .id(pnid.clone())
            .token(token.clone())
            .waba(acct.waba_id.clone()),
    )
    .expect("sim number");
    let account = ts.store.add_account(org, acct).await.expect("account");
    (account, token)
}

/// Dispatcher settings fast enough for tests.
pub fn fast_dispatch() -> DispatchConfig {
    DispatchConfig {
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        poll: Duration::from_millis(10),
        ..DispatchConfig::default()
    }
}

/// Starts the sandbox (with `quirks`) and the server over `ts` with `dispatch`, and
/// connects one number on both sides.
pub async fn world(ts: TestStore, quirks: Quirks, dispatch: DispatchConfig) -> World {
    world_with(ts, quirks, dispatch, ApiConfig::default()).await
}

/// [`world`] with REST API settings.
pub async fn world_with(
    ts: TestStore,
    quirks: Quirks,
    dispatch: DispatchConfig,
    api: ApiConfig,
) -> World {
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        workers: true,
        ..ServeOptions::default()
    };
    world_with_options(ts, quirks, dispatch, api, options).await
}

/// [`world_with`] with the server's options.
pub async fn world_with_options(
    ts: TestStore,
    quirks: Quirks,
    dispatch: DispatchConfig,
    api: ApiConfig,
    options: ServeOptions,
) -> World {
    let sim = Sim::start(SimConfig {
        app_secret: String::from_utf8(APP_SECRET.to_vec()).expect("utf8"),
        quirks,
        ..SimConfig::default()
    })
    .await
    .expect("sandbox");
    let org = ts.store.create_org("Org", "UTC").await.expect("org");
    let (account, token) = connect_number(&ts, &sim, org.id, "5215588392274").await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let state = AppState {
        api: super::with_secret_key(api),
        store: ts.store.clone(),
        webhook: WebhookConfig {
            app_secret: Some(APP_SECRET.to_vec()),
            verify_token: Some("verify-me".into()),
        },
        meta: Some(MetaConfig {
            graph: wakit_meta::GraphClient::new(sim.base_url()).expect("graph"),
            secrets: secret_box(),
            dispatch,
        }),
    };
    let task = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        options,
    ));
    let webhook = format!("http://{addr}/functions/v1/whatsapp-webhook");
    sim.set_webhook_url(webhook.clone());
    World {
        server: Running::new(addr, shutdown, task),
        sim,
        account,
        ts,
        token,
    }
}

impl World {
    /// Queues a text to `to`.
    pub async fn send(&self, to: &str, text: &str, priority: Priority) -> MessageId {
        let out = NewOutgoing {
            account_id: self.account.id,
            to: Phone::parse(to).expect("phone").into(),
            content: MessageContent::text(text),
            scheduled_at: None,
            agent_id: None,
            priority,
            idempotency: None,
        };
        self.ts
            .store
            .enqueue_outgoing(self.account.org_id, out)
            .await
            .expect("enqueue")
            .message
            .id
    }

    /// The message now.
    pub async fn message(&self, id: MessageId) -> MessageRecord {
        self.ts
            .store
            .get_message(self.account.org_id, id)
            .await
            .expect("message")
    }

    /// Waits (bounded) until every message satisfies `done`; returns them.
    pub async fn wait_all(
        &self,
        ids: &[MessageId],
        timeout: Duration,
        done: impl Fn(&MessageRecord) -> bool,
    ) -> Vec<MessageRecord> {
        let start = Instant::now();
        loop {
            let mut all = Vec::with_capacity(ids.len());
            for id in ids {
                all.push(self.message(*id).await);
            }
            if all.iter().all(&done) || start.elapsed() > timeout {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every message reached `status` (or the timeout); returns them.
    pub async fn wait_status(
        &self,
        ids: &[MessageId],
        status: MessageStatus,
        timeout: Duration,
    ) -> Vec<MessageRecord> {
        self.wait_all(ids, timeout, |m| m.status == status).await
    }

    /// `from` writes `text` to the number (opening the 24 h window); returns once wakit
    /// stored it (bounded), with its wamid.
    pub async fn customer_writes(&self, from: &str, text: &str) -> String {
        let wamid = self
            .sim
            .customer_writes(
                &self.account.phone_number_id,
                from,
                Some("Maria"),
                wakit_sim::Inbound::text(text),
            )
            .expect("customer writes");
        let phone = Phone::parse(from).expect("phone");
        let (org, acct) = (self.account.org_id, self.account.id);
        let start = Instant::now();
        while start.elapsed() < STORE_WAIT {
            let store = &self.ts.store;
            if let Some(conv) = store
                .find_conversation(org, acct, &phone.clone().into())
                .await
                .expect("find")
            {
                let page = store
                    .page_messages(org, conv.id, 50, None)
                    .await
                    .expect("page");
                if page
                    .messages
                    .iter()
                    .any(|m| m.external_id.as_deref() == Some(&wamid))
                {
                    return wamid;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("inbound message {wamid} not stored within {STORE_WAIT:?}");
    }

    /// A new API key of the world's org.
    pub async fn api_key(&self) -> String {
        new_key(&*self.ts.store, self.account.org_id).await
    }

    /// The typed API client with a new key of the world's org.
    pub async fn client(&self) -> wakit_api::Client {
        let key = self.api_key().await;
        wakit_api::Client::new(&self.server.root(), &key).expect("client")
    }

    /// Stops the server and the sandbox; panics if the server failed or panicked.
    pub async fn stop(self) {
        self.server.stop().await;
        self.sim.shutdown().await;
    }
}
