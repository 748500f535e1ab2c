//! Starting a sandbox and driving it in-process.

use axum::Router;
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

use crate::config::{Chatty, Quirks, SimConfig};
use crate::core::{BatchItem, Core};
use crate::customer::CustomerMessage;
use crate::error::{SimError, invalid};
use crate::identity::{CustomerIdentity, Sender};
use crate::number::{CanSend, MessagingLimit, Number, NumberSpec, Quality, normalize_phone};
use crate::records::{ReadReceipt, SentMessage, SimStats, WebhookRecord};
use crate::state::State;
use crate::template::{Template, TemplateSpec};
use crate::webhooks::delivery::{Deliverer, DeliveryConfig};
use crate::{control, graph};

mod media;
pub use media::SimMedia;

/// The Graph version segment [`SimHandle::base_url`] uses (any `vN.M` is accepted).
pub const GRAPH_VERSION: &str = "v24.0";

/// Entry point: `Sim::start(config)`.
pub struct Sim;

impl Sim {
    /// Binds `config.listen`, serves the Graph and control routes, and starts webhook
    /// delivery. The sandbox runs until [`SimHandle::shutdown`] or until every handle
    /// is dropped.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let webhooks = Deliverer::new(
            DeliveryConfig {
                url: config.webhook_url.clone(),
                secret: config.app_secret.clone().into_bytes(),
                policy: config.webhook_retry.clone(),
                timeout: config.webhook_timeout,
                concurrency: config.webhook_concurrency,
            },
            cancel.clone(),
            tracker.clone(),
        )?;
        let state = State::new(
            config.seed,
            config.quirks.clone(),
            config.chatty.clone(),
            config.customers_read,
        );
        let core = Arc::new(Core::new(
            state,
            webhooks,
            config.status_delays.clone(),
            config.webhook_version,
            addr,
            cancel.clone(),
            tracker.clone(),
        ));
        let app = Router::new()
            .merge(control::router())
            .merge(graph::router())
            .merge(crate::model::routes::router())
            .method_not_allowed_fallback(graph::wrong_method)
            .fallback(control::fallback)
            .layer(axum::middleware::map_response_with_state(
                core.clone(),
                graph::count_rejections,
            ))
            .with_state(core.clone());
        let stop = cancel.clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "sandbox server failed");
            }
        });
        tracing::info!(%addr, "Cloud API sandbox listening");
        Ok(SimHandle {
            core,
            shared: Some(Arc::new(Shared {
                server: Mutex::new(Some(server)),
                _stop_on_drop: cancel.drop_guard(),
            })),
        })
    }
}

struct Shared {
    server: Mutex<Option<JoinHandle<()>>>,
    _stop_on_drop: DropGuard,
}

/// A running sandbox. Cheap to clone; the sandbox stops when the last clone drops.
#[derive(Clone)]
pub struct SimHandle {
    core: Arc<Core>,
    /// `None` for the views control routes use (they never own the server).
    shared: Option<Arc<Shared>>,
}

/// The result of [`SimHandle::storm`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StormReport {
    /// Every message's wamid, in order.
    pub wamids: Vec<String>,
    /// How many webhook bodies carried them.
    pub bodies: usize,
}

impl SimHandle {
    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.core.addr
    }

    /// `http://127.0.0.1:PORT/v24.0`: what wakit takes as `WAKIT_GRAPH_URL`.
    pub fn base_url(&self) -> String {
        format!("{}/{GRAPH_VERSION}", self.core.origin())
    }

    /// `http://127.0.0.1:PORT/_sim`: the control API.
    pub fn control_url(&self) -> String {
        format!("{}/_sim", self.core.origin())
    }

    /// Stops serving and delivering (pending webhooks are abandoned).
    pub async fn shutdown(&self) {
        self.core.cancel.cancel();
        self.core.tracker.close();
        let server = self
            .shared
            .as_ref()
            .and_then(|sh| sh.server.lock().ok().and_then(|mut s| s.take()));
        if let Some(server) = server {
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.core.tracker.wait()).await;
    }

    /// Where webhooks go from now on (held bodies are delivered there).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.core.webhooks.set_url(Some(url.into()));
    }

    /// Holds webhooks (queued, not dropped) until a URL is set again.
    pub fn clear_webhook_url(&self) {
        self.core.webhooks.set_url(None);
    }

    /// The current webhook URL.
    pub fn webhook_url(&self) -> Option<String> {
        self.core.webhooks.url()
    }

    /// Runs Meta's subscription handshake against the webhook URL: `GET
    /// ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`. `Ok(true)` when the
    /// receiver echoed the challenge with a 200.
    pub async fn verify_webhook(&self, verify_token: &str) -> Result<bool, SimError> {
        self.core
            .webhooks
            .handshake(verify_token)
            .await
            .map(|(_, ok)| ok)
            .map_err(SimError::Invalid)
    }

    /// Replaces the quirks for messages accepted from now on.
    pub fn set_quirks(&self, quirks: Quirks) {
        self.core.state().quirks = quirks;
    }

    /// Turns chatty customers on (`Some`) or off.
    pub fn set_chatty(&self, chatty: Option<Chatty>) {
        self.core.state().chatty = chatty;
    }

    /// Whether chatty customers are on (`wakit demo`'s customers also write in on their
    /// own only then).
    pub fn is_chatty(&self) -> bool {
        self.core.state().chatty.is_some()
    }

    /// Registers a business number.
    pub fn add_number(&self, spec: NumberSpec) -> Result<Number, SimError> {
        self.core
            .state()
            .add_number(spec)
            .map_err(SimError::Invalid)
    }

    /// The number with Graph id `id`.
    pub fn number(&self, id: &str) -> Option<Number> {
        self.core.state().number(id).cloned()
    }

    /// Every number.
    pub fn numbers(&self) -> Vec<Number> {
        self.core
            .state()
            .numbers
            .values()
            .map(|n| n.info.clone())
            .collect()
    }

    /// Adds a template to a WABA (which must have a number) and emits its
    /// `message_template_status_update` webhook (APPROVED for approved templates).
    pub fn add_template(&self, waba_id: &str, spec: TemplateSpec) -> Result<Template, SimError> {
        self.core.add_template(waba_id, &spec)
    }

    /// Changes a template's status and emits the status webhook.
    pub fn set_template_status(
        &self,
        template_id: &str,
        status: &str,
    ) -> Result<Template, SimError> {
        self.core.set_template_status(template_id, status)
    }

    /// Changes a template's quality score (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`) and
    /// emits `message_template_quality_update`.
    pub fn set_template_quality(
        &self,
        template_id: &str,
        quality: Quality,
    ) -> Result<Template, SimError> {
        self.core.set_template_quality(template_id, quality)
    }

    /// The WABA's templates in creation order.
    pub fn templates(&self, waba_id: &str) -> Vec<Template> {
        self.core
            .state()
            .templates
            .get(waba_id)
            .cloned()
            .unwrap_or_default()
    }

    /// A customer writes to number `phone_number_id`: builds Meta's inbound webhook,
    /// queues it, opens the customer's 24 h window, and returns the message's wamid.
    pub fn customer_writes(
        &self,
        phone_number_id: &str,
        from: &str,
        profile_name: Option<&str>,
        message: impl Into<CustomerMessage>,
    ) -> Result<String, SimError> {
        self.core
            .customer_writes(phone_number_id, from, profile_name, message.into())
    }

    /// Several customer messages (sender digits, profile name, message) in ONE webhook
    /// body. Returns the wamids in order.
    pub fn customer_writes_batch(
        &self,
        phone_number_id: &str,
        messages: Vec<BatchItem>,
    ) -> Result<Vec<String>, SimError> {
        self.core.customer_writes_batch(phone_number_id, messages)
    }

    /// Sets when `customer` (a phone, a BSUID or parent BSUID, or an `@username`) last
    /// wrote to the number (`None`: never), moving Meta's 24 h window without sending a
    /// webhook.
    pub fn set_last_inbound(
        &self,
        phone_number_id: &str,
        customer: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), SimError> {
        let mut st = self.core.state();
        st.number(phone_number_id)
            .ok_or_else(|| SimError::UnknownNumber(phone_number_id.to_string()))?;
        let c = st.customers.by_any_mut(customer)?;
        match at {
            Some(t) => c.last_inbound.insert(phone_number_id.to_string(), t),
            None => c.last_inbound.remove(phone_number_id),
        };
        Ok(())
    }

    /// Whether `customer` (phone, BSUID or `@username`) reads business messages (a
    /// `read` status follows `delivered`).
    pub fn set_customer_reads(&self, customer: &str, reads: bool) -> Result<(), SimError> {
        self.core.state().customers.by_any_mut(customer)?.reads = Some(reads);
        Ok(())
    }

    /// A customer identified by phone, username and/or BSUID writes to number
    /// `phone_number_id` (a username-only [`Sender`] arrives without `from` and `wa_id`).
    /// The same customer keeps one BSUID whichever identity they write with. Returns the
    /// message's wamid.
    pub fn sender_writes(
        &self,
        phone_number_id: &str,
        sender: Sender,
        message: impl Into<CustomerMessage>,
    ) -> Result<String, SimError> {
        self.core
            .sender_writes(phone_number_id, sender, message.into())
    }

    /// Several messages from [`Sender`]s in ONE webhook body. Returns the wamids in order.
    pub fn senders_write_batch(
        &self,
        phone_number_id: &str,
        messages: Vec<(Sender, CustomerMessage)>,
    ) -> Result<Vec<String>, SimError> {
        self.core.senders_write(phone_number_id, messages)
    }

    /// The BSUID of the customer with phone `phone`: the one they already have, else
    /// the one they will get ([`crate::bsuid_for_phone`]). `None` for an invalid phone.
    pub fn customer_bsuid(&self, phone: &str) -> Option<String> {
        let digits = normalize_phone(phone)?;
        self.core.state().customers.bsuid_of_phone(&digits)
    }

    /// The known customer with BSUID or parent BSUID `user_id`.
    pub fn customer(&self, user_id: &str) -> Option<CustomerIdentity> {
        self.core
            .state()
            .customers
            .by_recipient(user_id)
            .map(|c| c.identity())
    }

    /// Sets the quality rating; emits `phone_number_quality_update`.
    pub fn set_quality(&self, phone_number_id: &str, quality: Quality) -> Result<Number, SimError> {
        self.core.set_quality(phone_number_id, quality)
    }

    /// Sets the messaging limit; emits `phone_number_quality_update` UPGRADE/DOWNGRADE.
    pub fn set_limit(
        &self,
        phone_number_id: &str,
        limit: MessagingLimit,
    ) -> Result<Number, SimError> {
        self.core.set_limit(phone_number_id, Some(limit), None)
    }

    /// Sets the throughput (1..=1000 messages per second).
    pub fn set_throughput(&self, phone_number_id: &str, mps: u32) -> Result<Number, SimError> {
        self.core.set_limit(phone_number_id, None, Some(mps))
    }

    /// Sets the number's `health_status.can_send_message` (informational).
    pub fn set_health(&self, phone_number_id: &str, health: CanSend) -> Result<Number, SimError> {
        let mut st = self.core.state();
        let n = st
            .numbers
            .get_mut(phone_number_id)
            .ok_or_else(|| SimError::UnknownNumber(phone_number_id.to_string()))?;
        n.info.health = health;
        Ok(n.info.clone())
    }

    /// Expires the number's token: every Graph call with it gets 401, code 190.
    pub fn expire_token(&self, phone_number_id: &str) -> Result<Number, SimError> {
        self.core
            .state()
            .expire_token(phone_number_id)
            .ok_or_else(|| SimError::UnknownNumber(phone_number_id.to_string()))
    }

    /// Gives the number a new valid token (`None`: a generated one).
    pub fn renew_token(
        &self,
        phone_number_id: &str,
        token: Option<String>,
    ) -> Result<Number, SimError> {
        if token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(invalid("access_token must not be empty"));
        }
        self.core
            .state()
            .renew_token(phone_number_id, token)
            .ok_or_else(|| SimError::UnknownNumber(phone_number_id.to_string()))
    }

    /// Every accepted send, oldest first.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.core.state().sent.clone()
    }

    /// Every accepted mark-as-read call.
    pub fn read_receipts(&self) -> Vec<ReadReceipt> {
        self.core.state().reads.clone()
    }

    /// Counters: accepted sends, rejections by code, failed statuses, webhook queue.
    pub fn stats(&self) -> SimStats {
        let st = self.core.state();
        SimStats {
            accepted: st.accepted,
            rejected: st.rejected.clone(),
            failed_statuses: st.failed_statuses.clone(),
            read_receipts: st.reads.len() as u64,
            inbound: st.inbound_count,
            webhooks: self.core.webhooks.stats(),
        }
    }

    /// The last `limit` webhook bodies (at most 10,000 kept), oldest first.
    pub fn webhook_records(&self, limit: usize) -> Vec<WebhookRecord> {
        self.core.webhooks.records(limit)
    }

    /// Waits until no webhook is queued, in flight or planned; `false` on timeout.
    pub async fn wait_webhooks_idle(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            if self.core.webhooks.stats().is_idle() {
                return true;
            }
            if start.elapsed() >= timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `count` inbound text messages (each a unique wamid) from `customers` senders,
    /// `per_body` per webhook body: load and crash tests.
    pub fn storm(
        &self,
        phone_number_id: &str,
        count: usize,
        per_body: usize,
        customers: usize,
    ) -> Result<StormReport, SimError> {
        let (wamids, bodies) = self
            .core
            .storm(phone_number_id, count, per_body, customers)?;
        Ok(StormReport { wamids, bodies })
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// A non-owning view for the control routes.
    pub(crate) fn view(core: Arc<Core>) -> Self {
        SimHandle { core, shared: None }
    }
}
