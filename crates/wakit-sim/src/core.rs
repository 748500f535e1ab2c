//! The running sandbox shared by the Graph routes, the control routes and the library
//! handle, and the operations that emit webhooks.

use chrono::Utc;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::StatusDelays;
use crate::customer::{CustomerMessage, Inbound, default_mime, is_media_kind, message_item};
use crate::error::{SimError, invalid};
use crate::identity::{CustomerIdentity, Sender};
use crate::number::{MAX_MPS, MessagingLimit, Number, Quality, normalize_phone};
use crate::state::State;
use crate::template::{STATUSES, Template, TemplateSpec};
use crate::webhooks::delivery::Deliverer;
use crate::webhooks::payload;

/// One customer message of a batch: sender digits, profile name (optional), message.
pub type BatchItem = (String, Option<String>, CustomerMessage);

/// Shared by everything inside a running sandbox.
pub(crate) struct Core {
    state: Mutex<State>,
    pub webhooks: Deliverer,
    pub delays: StatusDelays,
    pub webhook_version: u32,
    pub addr: SocketAddr,
    pub cancel: CancellationToken,
    pub tracker: TaskTracker,
    /// The sandbox model's scripts, settings and requests.
    pub model: crate::model::Model,
}

impl Core {
    pub(crate) fn new(
        state: State,
        webhooks: Deliverer,
        delays: StatusDelays,
        webhook_version: u32,
        addr: SocketAddr,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        Core {
            state: Mutex::new(state),
            webhooks,
            delays,
            webhook_version,
            addr,
            cancel,
            tracker,
            model: Default::default(),
        }
    }

    /// The state; a panic elsewhere never makes it unusable.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The number `id`, or [`SimError::UnknownNumber`].
    pub(crate) fn number(&self, id: &str) -> Result<Number, SimError> {
        self.state()
            .number(id)
            .cloned()
            .ok_or_else(|| SimError::UnknownNumber(id.to_string()))
    }

    /// Customers write to number `id`: every message in ONE webhook body. Returns the
    /// wamids in order.
    pub(crate) fn customer_writes_batch(
        &self,
        id: &str,
        items: Vec<BatchItem>,
    ) -> Result<Vec<String>, SimError> {
        let items = items
            .into_iter()
            .map(|(from, profile, msg)| {
                let mut sender = Sender::phone(from);
                sender.profile_name = profile;
                (sender, msg)
            })
            .collect();
        self.senders_write(id, items)
    }

    /// Customers identified by phone, username and/or BSUID write to number `id`, every
    /// message in ONE webhook body. Returns the wamids in order.
    pub(crate) fn senders_write(
        &self,
        id: &str,
        items: Vec<(Sender, CustomerMessage)>,
    ) -> Result<Vec<String>, SimError> {
        if items.is_empty() {
            return Err(invalid("at least one message is required"));
        }
        let now = Utc::now();
        let (number, contacts, messages, wamids, duplicate) = {
            let mut st = self.state();
            let number = st
                .number(id)
                .cloned()
                .ok_or_else(|| SimError::UnknownNumber(id.to_string()))?;
            for (sender, _) in &items {
                let own = sender
                    .phone
                    .as_deref()
                    .and_then(normalize_phone)
                    .is_some_and(|d| d == number.display_phone_number);
                if own {
                    return Err(invalid("a customer cannot be the business number itself"));
                }
            }
            let mut contacts: Vec<CustomerIdentity> = Vec::new();
            let mut messages = Vec::with_capacity(items.len());
            let mut wamids = Vec::with_capacity(items.len());
            for (sender, msg) in items {
                let customer = st.customers.resolve(&sender).map_err(SimError::Invalid)?;
                customer.last_inbound.insert(id.to_string(), now);
                let who = customer.identity();
                match contacts.iter_mut().find(|c| c.user_id == who.user_id) {
                    Some(c) => *c = who.clone(),
                    None => contacts.push(who.clone()),
                }
                let wamid = st.ids.wamid(who.phone.as_deref().unwrap_or(&who.user_id));
                let (kind, mut body) = msg.content.meta_parts();
                if is_media_kind(&kind) {
                    fill_media(&mut st, &number, &kind, &mut body);
                }
                let context = msg
                    .context_id
                    .as_deref()
                    .map(|c| (number.display_phone_number.as_str(), c));
                messages.push(message_item(
                    &who,
                    &wamid,
                    now.timestamp(),
                    &kind,
                    body,
                    context,
                ));
                st.inbound.insert(wamid.clone(), id.to_string());
                st.inbound_count += 1;
                wamids.push(wamid);
            }
            let duplicate = {
                let p = st.quirks.duplicate_inbound;
                st.ids.chance(p)
            };
            (number, contacts, messages, wamids, duplicate)
        };
        let body = payload::inbound_body(&number, &contacts, messages);
        self.webhooks.enqueue(&body);
        if duplicate {
            self.webhooks.enqueue(&body);
        }
        Ok(wamids)
    }

    /// One customer message; returns its wamid.
    pub(crate) fn customer_writes(
        &self,
        id: &str,
        from: &str,
        profile_name: Option<&str>,
        msg: CustomerMessage,
    ) -> Result<String, SimError> {
        let mut sender = Sender::phone(from);
        sender.profile_name = profile_name.map(str::to_string);
        self.sender_writes(id, sender, msg)
    }

    /// One message from `sender`; returns its wamid.
    pub(crate) fn sender_writes(
        &self,
        id: &str,
        sender: Sender,
        msg: CustomerMessage,
    ) -> Result<String, SimError> {
        let mut wamids = self.senders_write(id, vec![(sender, msg)])?;
        wamids.pop().ok_or_else(|| invalid("no message was built"))
    }

    /// `count` text messages from `customers` distinct senders, `per_body` per webhook.
    pub(crate) fn storm(
        &self,
        id: &str,
        count: usize,
        per_body: usize,
        customers: usize,
    ) -> Result<(Vec<String>, usize), SimError> {
        if count == 0 || count > 1_000_000 {
            return Err(invalid("count must be 1..=1000000"));
        }
        if per_body == 0 || per_body > 1000 {
            return Err(invalid("per_body must be 1..=1000"));
        }
        if customers == 0 || customers > 1_000_000 {
            return Err(invalid("customers must be 1..=1000000"));
        }
        self.number(id)?;
        let base: u64 = 15_557_000_000 + (self.state().ids.index(90_000) as u64) * 10_000;
        let mut wamids = Vec::with_capacity(count);
        let mut bodies = 0;
        for (chunk_no, chunk) in (0..count).collect::<Vec<_>>().chunks(per_body).enumerate() {
            let items = chunk
                .iter()
                .map(|i| {
                    let who = (*i % customers) as u64;
                    let from = format!("{}", base + who);
                    let text = format!("storm message {} (body {})", i + 1, chunk_no + 1);
                    (
                        from,
                        Some(format!("Storm {}", who + 1)),
                        Inbound::Text(text).into(),
                    )
                })
                .collect();
            wamids.extend(self.customer_writes_batch(id, items)?);
            bodies += 1;
        }
        Ok((wamids, bodies))
    }

    /// Adds a template and emits its `message_template_status_update`.
    pub(crate) fn add_template(
        &self,
        waba_id: &str,
        spec: &TemplateSpec,
    ) -> Result<Template, SimError> {
        let t = {
            let mut st = self.state();
            if !st.waba_exists(waba_id) {
                return Err(SimError::UnknownWaba(waba_id.to_string()));
            }
            st.add_template(waba_id, spec).map_err(SimError::Invalid)?
        };
        self.webhooks
            .enqueue(&payload::template_status_body(&t, &t.status));
        Ok(t)
    }

    /// Changes a template's status and emits the status webhook.
    pub(crate) fn set_template_status(
        &self,
        template_id: &str,
        status: &str,
    ) -> Result<Template, SimError> {
        let status = status.to_ascii_uppercase();
        if !STATUSES.contains(&status.as_str()) {
            return Err(invalid(format!("status must be one of {STATUSES:?}")));
        }
        let t = {
            let mut st = self.state();
            let t = st
                .templates
                .values_mut()
                .flatten()
                .find(|t| t.id == template_id)
                .ok_or_else(|| SimError::UnknownTemplate(template_id.to_string()))?;
            t.status = status.clone();
            t.clone()
        };
        self.webhooks
            .enqueue(&payload::template_status_body(&t, &status));
        Ok(t)
    }

    /// Changes a template's quality score and emits `message_template_quality_update`.
    pub(crate) fn set_template_quality(
        &self,
        template_id: &str,
        quality: Quality,
    ) -> Result<Template, SimError> {
        let score = match quality {
            Quality::Green | Quality::Yellow | Quality::Red | Quality::Unknown => quality.as_str(),
            Quality::Na => {
                return Err(invalid(
                    "quality_score must be GREEN, YELLOW, RED or UNKNOWN",
                ));
            }
        };
        let (previous, t) = {
            let mut st = self.state();
            let t = st
                .templates
                .values_mut()
                .flatten()
                .find(|t| t.id == template_id)
                .ok_or_else(|| SimError::UnknownTemplate(template_id.to_string()))?;
            let previous = std::mem::replace(&mut t.quality_score, score.to_string());
            (previous, t.clone())
        };
        self.webhooks
            .enqueue(&payload::template_quality_body(&t, &previous));
        Ok(t)
    }

    /// Sets a quality rating; emits `phone_number_quality_update` (FLAGGED when it
    /// worsens, UNFLAGGED when it improves).
    pub(crate) fn set_quality(&self, id: &str, quality: Quality) -> Result<Number, SimError> {
        let (old, n) = {
            let mut st = self.state();
            let n = st
                .numbers
                .get_mut(id)
                .ok_or_else(|| SimError::UnknownNumber(id.to_string()))?;
            let old = n.info.quality_rating;
            n.info.quality_rating = quality;
            (old, n.info.clone())
        };
        let event = match quality.rank().cmp(&old.rank()) {
            std::cmp::Ordering::Less => Some("FLAGGED"),
            std::cmp::Ordering::Greater => Some("UNFLAGGED"),
            std::cmp::Ordering::Equal => None,
        };
        if let Some(event) = event {
            self.webhooks
                .enqueue(&payload::quality_body(&n, event, None));
        }
        Ok(n)
    }

    /// Sets the messaging limit and/or throughput; emits UPGRADE/DOWNGRADE or
    /// THROUGHPUT_UPGRADE.
    pub(crate) fn set_limit(
        &self,
        id: &str,
        limit: Option<MessagingLimit>,
        mps: Option<u32>,
    ) -> Result<Number, SimError> {
        if let Some(m) = mps
            && !(1..=MAX_MPS).contains(&m)
        {
            return Err(invalid(format!(
                "throughput must be 1..={MAX_MPS} messages per second"
            )));
        }
        let (old, n) = {
            let mut st = self.state();
            let n = st
                .numbers
                .get_mut(id)
                .ok_or_else(|| SimError::UnknownNumber(id.to_string()))?;
            let old = n.info.clone();
            if let Some(l) = limit {
                n.info.messaging_limit = l;
            }
            if let Some(m) = mps {
                n.info.throughput_mps = m;
            }
            (old, n.info.clone())
        };
        let old_tier = old.messaging_limit.deprecated_tier();
        match n.messaging_limit.cmp(&old.messaging_limit) {
            std::cmp::Ordering::Greater => {
                self.webhooks
                    .enqueue(&payload::quality_body(&n, "UPGRADE", Some(old_tier)));
            }
            std::cmp::Ordering::Less => {
                self.webhooks
                    .enqueue(&payload::quality_body(&n, "DOWNGRADE", Some(old_tier)));
            }
            std::cmp::Ordering::Equal => {}
        }
        if n.throughput_level() == "HIGH" && old.throughput_level() != "HIGH" {
            self.webhooks
                .enqueue(&payload::quality_body(&n, "THROUGHPUT_UPGRADE", None));
        }
        Ok(n)
    }
}

/// Gives a customer's media object an id, MIME type and sha256 (storing fake bytes)
/// unless it already names stored media.
fn fill_media(st: &mut State, number: &Number, kind: &str, body: &mut Value) {
    if !body.is_object() {
        *body = json!({});
    }
    let existing = body
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| st.media.get(id))
        .map(|m| (m.mime_type.clone(), m.sha256.clone()));
    let (mime, sha) = match existing {
        Some(found) => found,
        None => {
            let mime = body
                .get("mime_type")
                .and_then(Value::as_str)
                .unwrap_or(default_mime(kind))
                .to_string();
            let mut bytes = st.ids.bytes(64);
            if mime == "image/jpeg" {
                bytes.splice(0..0, [0xFF, 0xD8, 0xFF, 0xE0]);
                bytes.extend_from_slice(&[0xFF, 0xD9]);
            }
            let id = st.store_media(number, &mime, bytes.into());
            let sha = st
                .media
                .get(&id)
                .map(|m| m.sha256.clone())
                .unwrap_or_default();
            body["id"] = json!(id);
            (mime, sha)
        }
    };
    body["mime_type"] = json!(mime);
    body["sha256"] = json!(sha);
}
