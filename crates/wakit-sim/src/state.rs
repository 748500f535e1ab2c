//! The sandbox's world: numbers, templates, media, customers and logs, behind one mutex
//! that is never held across an `.await`.

use axum::body::Bytes;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::{Chatty, Quirks};
use crate::customers::Customers;
use crate::graph::PhoneAdmin;
use crate::ids::IdGen;
use crate::number::{CanSend, MAX_MPS, Number, NumberSpec, normalize_phone};
use crate::records::{ReadReceipt, SentMessage};
use crate::template::{Template, TemplateSpec, validate_spec};
use crate::throttle::Bucket;

/// Meta's customer-service window.
pub(crate) const WINDOW_HOURS: i64 = 24;
/// How long a media download URL stays valid.
pub(crate) const MEDIA_URL_MINUTES: i64 = 5;

/// A number plus its throughput bucket.
pub(crate) struct NumberState {
    pub info: Number,
    pub bucket: Bucket,
}

/// One stored media object.
pub(crate) struct Media {
    pub id: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub mime_type: String,
    pub sha256: String,
    pub bytes: Bytes,
}

/// Everything mutable.
pub(crate) struct State {
    pub ids: IdGen,
    pub numbers: BTreeMap<String, NumberState>,
    /// WABA id → templates in creation order.
    pub templates: BTreeMap<String, Vec<Template>>,
    pub media: HashMap<String, Media>,
    /// Download hash → (media id, expiry).
    pub media_urls: HashMap<String, (String, DateTime<Utc>)>,
    pub customers: Customers,
    /// Phone-number id → profile, settings, block list, registration.
    pub admin: HashMap<String, PhoneAdmin>,
    /// Inbound wamid → the number it was sent to.
    pub inbound: HashMap<String, String>,
    /// Expired token → when it expired.
    pub expired_tokens: HashMap<String, DateTime<Utc>>,
    pub sent: Vec<SentMessage>,
    pub reads: Vec<ReadReceipt>,
    pub accepted: u64,
    pub inbound_count: u64,
    pub rejected: BTreeMap<i64, u64>,
    pub failed_statuses: BTreeMap<i64, u64>,
    /// (number, customer, category) → (conversation id, expiry unix seconds), for ≤v23
    /// status shapes.
    pub conversations: HashMap<(String, String, String), (String, i64)>,
    pub quirks: Quirks,
    pub chatty: Option<Chatty>,
    pub customers_read: bool,
    /// File downloads served.
    pub media_downloads: u64,
    /// Downloads still to fail with a 500.
    pub failing_downloads: u32,
    /// Downloads still to stall after half the bytes.
    pub stalling_downloads: u32,
    /// Downloads that stalled so far.
    pub stalled_downloads: u64,
}

impl State {
    pub(crate) fn new(
        seed: u64,
        quirks: Quirks,
        chatty: Option<Chatty>,
        customers_read: bool,
    ) -> Self {
        State {
            ids: IdGen::new(seed),
            numbers: BTreeMap::new(),
            templates: BTreeMap::new(),
            media: HashMap::new(),
            media_urls: HashMap::new(),
            customers: Customers::default(),
            admin: HashMap::new(),
            inbound: HashMap::new(),
            expired_tokens: HashMap::new(),
            sent: Vec::new(),
            reads: Vec::new(),
            accepted: 0,
            inbound_count: 0,
            rejected: BTreeMap::new(),
            failed_statuses: BTreeMap::new(),
            conversations: HashMap::new(),
            quirks,
            chatty,
            customers_read,
            media_downloads: 0,
            failing_downloads: 0,
            stalling_downloads: 0,
            stalled_downloads: 0,
        }
    }

    /// Registers a number; the error is a sentence for a 400 answer.
    pub(crate) fn add_number(&mut self, spec: NumberSpec) -> Result<Number, String> {
        let digits = normalize_phone(&spec.display_phone_number)
            .ok_or("display_phone_number must be 7-15 digits")?;
        let id = match spec.phone_number_id {
            Some(id) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) => {
                return Err("phone_number_id must be digits".into());
            }
            Some(id) => id,
            None => self.ids.numeric_id(),
        };
        if self.numbers.contains_key(&id) {
            return Err(format!("phone number {id} already exists"));
        }
        let waba_id = match spec.waba_id {
            Some(w) if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) => {
                return Err("waba_id must be digits".into());
            }
            Some(w) => w,
            None => self.ids.numeric_id(),
        };
        if !(1..=MAX_MPS).contains(&spec.throughput_mps) {
            return Err(format!(
                "throughput must be 1..={MAX_MPS} messages per second"
            ));
        }
        let access_token = match spec.access_token {
            Some(t) if t.trim().is_empty() => return Err("access_token must not be empty".into()),
            Some(t) => t,
            None => self.ids.token(),
        };
        let info = Number {
            verified_name: spec
                .verified_name
                .unwrap_or_else(|| format!("Sandbox {}", &digits[digits.len() - 4..])),
            phone_number_id: id.clone(),
            display_phone_number: digits,
            waba_id,
            token_expired: self.expired_tokens.contains_key(&access_token),
            access_token,
            quality_rating: spec.quality_rating,
            messaging_limit: spec.messaging_limit,
            throughput_mps: spec.throughput_mps,
            health: CanSend::Available,
        };
        let bucket = Bucket::new(info.throughput_mps);
        self.numbers.insert(
            id,
            NumberState {
                info: info.clone(),
                bucket,
            },
        );
        Ok(info)
    }

    /// The number with Graph id `id`.
    pub(crate) fn number(&self, id: &str) -> Option<&Number> {
        self.numbers.get(id).map(|n| &n.info)
    }

    /// WABAs a (non-expired) token can reach: those of every number holding it.
    pub(crate) fn token_wabas(&self, token: &str) -> HashSet<String> {
        self.numbers
            .values()
            .filter(|n| n.info.access_token == token)
            .map(|n| n.info.waba_id.clone())
            .collect()
    }

    /// Whether `waba_id` exists (has a number or templates).
    pub(crate) fn waba_exists(&self, waba_id: &str) -> bool {
        self.templates.contains_key(waba_id)
            || self.numbers.values().any(|n| n.info.waba_id == waba_id)
    }

    /// Expires the token of `id` (and so of every number sharing it).
    pub(crate) fn expire_token(&mut self, id: &str) -> Option<Number> {
        let token = self.number(id)?.access_token.clone();
        self.expired_tokens.insert(token.clone(), Utc::now());
        for n in self.numbers.values_mut() {
            if n.info.access_token == token {
                n.info.token_expired = true;
            }
        }
        self.number(id).cloned()
    }

    /// Gives `id` a new valid token.
    pub(crate) fn renew_token(&mut self, id: &str, token: Option<String>) -> Option<Number> {
        let token = token.unwrap_or_else(|| self.ids.token());
        self.expired_tokens.remove(&token);
        let n = self.numbers.get_mut(id)?;
        n.info.access_token = token;
        n.info.token_expired = false;
        Some(n.info.clone())
    }

    /// Whether the customer with BSUID `user_id` wrote to number `id` within the last
    /// 24 h (whatever identity they wrote with).
    pub(crate) fn window_open(&self, id: &str, user_id: &str, now: DateTime<Utc>) -> bool {
        self.customers
            .get(user_id)
            .and_then(|c| c.last_inbound.get(id))
            .is_some_and(|t| now - *t < ChronoDuration::hours(WINDOW_HOURS))
    }

    /// Whether the customer with BSUID `user_id` reads what they get.
    pub(crate) fn customer_reads(&self, user_id: &str) -> bool {
        self.customers
            .get(user_id)
            .and_then(|c| c.reads)
            .unwrap_or(self.customers_read)
    }

    /// Adds a template to `waba_id`; the error is a sentence for a 400 answer.
    pub(crate) fn add_template(
        &mut self,
        waba_id: &str,
        spec: &TemplateSpec,
    ) -> Result<Template, String> {
        validate_spec(spec)?;
        if !self.waba_exists(waba_id) {
            return Err(format!("unknown WABA {waba_id}"));
        }
        let list = self.templates.entry(waba_id.to_string()).or_default();
        if list
            .iter()
            .any(|t| t.name == spec.name && t.language == spec.language)
        {
            return Err(format!(
                "template {} already exists in {}",
                spec.name, spec.language
            ));
        }
        let t = Template::from_spec(self.ids.numeric_id(), waba_id, spec);
        if let Some(list) = self.templates.get_mut(waba_id) {
            list.push(t.clone());
        }
        Ok(t)
    }

    /// The template with Graph id `id`.
    pub(crate) fn template_by_id(&self, id: &str) -> Option<&Template> {
        self.templates.values().flatten().find(|t| t.id == id)
    }

    /// Stores media owned by number `id`; returns the media id.
    pub(crate) fn store_media(&mut self, number: &Number, mime_type: &str, bytes: Bytes) -> String {
        let id = self.ids.numeric_id();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        self.media.insert(
            id.clone(),
            Media {
                id: id.clone(),
                phone_number_id: number.phone_number_id.clone(),
                waba_id: number.waba_id.clone(),
                mime_type: mime_type.to_string(),
                sha256,
                bytes,
            },
        );
        id
    }

    /// A fresh download hash for media `id`, valid [`MEDIA_URL_MINUTES`].
    pub(crate) fn issue_media_url(&mut self, id: &str, now: DateTime<Utc>) -> String {
        let hash = self.ids.alnum(32);
        let expires = now + ChronoDuration::minutes(MEDIA_URL_MINUTES);
        self.media_urls.retain(|_, (_, exp)| *exp > now);
        self.media_urls
            .insert(hash.clone(), (id.to_string(), expires));
        hash
    }

    /// Counts a synchronous rejection.
    pub(crate) fn count_rejection(&mut self, code: i64) {
        *self.rejected.entry(code).or_default() += 1;
    }
}
