//! Short-lived in-process caches for what every API request looks up before its own
//! query: the API key (by its SHA-256) and the org's connected numbers and timezone (by
//! org id). Without them a read is four database round trips; with them, one.
//!
//! Entries live [`TTL`] (2 s). So on each replica a revoked key stops working, and a
//! number connected or disconnected or a timezone changed (by `wakit admin`, possibly
//! in another process) is seen, within 2 s. A key that failed is remembered (by its hash)
//! for as long, so repeating it costs no lookup; a key created a moment ago works at once
//! (it was never presented before: keys are random). Entries are
//! keyed by the key hash or the org id alone, so one org's entry never answers another.
//!
//! A third map keeps answers of `GET /conversations` and `GET /conversation` (the
//! serialized body), reused only while the store's change epoch
//! ([`wakit_store::Store::change_epoch`]) is the one they were read under — a commit by
//! any process moves it on, so an answer is never older than a write that finished
//! before the request — only on the same org's local date (the time labels), before
//! the service window they state closes, and for at most [`TTL`]. Backends that cannot
//! tell the epoch (Postgres) never reuse one.

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use wakit_core::{AccountId, OrgId};
use wakit_store::{Account, AccountStatus, AuthContext, StoreResult};

use crate::AppState;
use crate::routes::labels::zone;

/// How long an entry is used before it is looked up again.
pub const TTL: Duration = Duration::from_secs(2);

/// Entries the key and org maps hold at most; past a map's bound expired entries are
/// dropped, then all.
const MAX_ENTRIES: usize = 10_000;

/// Kept answers held at most, and the largest answer kept (bytes): at most 64 MiB of
/// bodies. A bigger answer (a long page of messages) is read again every time.
const MAX_ANSWERS: usize = 2_000;
const MAX_ANSWER_BYTES: usize = 32 * 1024;

/// What an org's requests need besides their own query.
#[derive(Debug)]
pub struct OrgView {
    /// Its connected numbers, oldest first.
    pub accounts: Vec<Account>,
    /// Its timezone (UTC when the stored name is not a known zone).
    pub zone: Tz,
    /// Whether it has AI agents (a send without one then pauses them).
    pub has_ai_agents: bool,
}

/// The API's caches (one per process, shared by every request).
pub struct ApiCache {
    keys: Ttl<[u8; 32], AuthContext>,
    failed_keys: Ttl<[u8; 32], ()>,
    orgs: Ttl<OrgId, Arc<OrgView>>,
    answers: Ttl<AnswerKey, Kept>,
}

/// What a conversation read's answer depends on besides the data: the org, the number,
/// the contact (`None`: the list), the limit, and the timezone and local date its labels
/// were made in.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct AnswerKey {
    /// The org asking.
    pub org: OrgId,
    /// Its number.
    pub account: AccountId,
    /// The contact's number key (`GET /conversation`), or `None` (`GET /conversations`).
    pub contact: Option<String>,
    /// Conversations or messages asked for.
    pub limit: u32,
    /// The org's timezone.
    pub zone: Tz,
    /// Today in that timezone.
    pub today: NaiveDate,
}

/// A kept answer: the epoch it was read under, when it stops being true regardless
/// (the service window it states closes), and the body.
#[derive(Clone)]
struct Kept {
    epoch: u64,
    until: Option<DateTime<Utc>>,
    body: Bytes,
}

impl Default for ApiCache {
    fn default() -> Self {
        ApiCache::new(TTL)
    }
}

impl ApiCache {
    /// Caches whose entries live `ttl` (`Duration::ZERO`: nothing is cached).
    pub fn new(ttl: Duration) -> ApiCache {
        ApiCache {
            keys: Ttl::new(ttl, MAX_ENTRIES),
            failed_keys: Ttl::new(ttl, MAX_ENTRIES),
            orgs: Ttl::new(ttl, MAX_ENTRIES),
            answers: Ttl::new(ttl, MAX_ANSWERS),
        }
    }

    /// The answer kept for `key`, if it was read under `epoch` and is still true at `now`.
    pub fn answer(&self, key: &AnswerKey, epoch: u64, now: DateTime<Utc>) -> Option<Bytes> {
        let kept = self.answers.get(key)?;
        (kept.epoch == epoch && kept.until.is_none_or(|t| now < t)).then_some(kept.body)
    }

    /// Keeps `body`, read under `epoch` and true until `until` (`None`: no end of its
    /// own), as the answer for `key`.
    pub fn keep(&self, key: AnswerKey, epoch: u64, until: Option<DateTime<Utc>>, body: Bytes) {
        if body.len() <= MAX_ANSWER_BYTES {
            self.answers.put(key, Kept { epoch, until, body });
        }
    }

    /// The key `key` (as presented) if it was valid a moment ago (no lookup).
    pub fn known_key(&self, key: &str) -> Option<AuthContext> {
        self.keys.get(&Sha256::digest(key.as_bytes()).into())
    }

    /// The valid, unrevoked key `key` (as presented), or `None`. A key that failed a
    /// moment ago is refused without a lookup.
    pub async fn authenticate(
        &self,
        state: &AppState,
        key: &str,
    ) -> StoreResult<Option<AuthContext>> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(ctx) = self.keys.get(&digest) {
            return Ok(Some(ctx));
        }
        if self.failed_keys.get(&digest).is_some() {
            return Ok(None);
        }
        let hash = wakit_store::secrets::KeyHash(hex::encode(digest));
        let found = state.store.authenticate(&hash).await?;
        match found {
            Some(ctx) => self.keys.put(digest, ctx),
            None => self.failed_keys.put(digest, ()),
        }
        Ok(found)
    }

    /// The org's connected numbers and timezone.
    pub async fn org(&self, state: &AppState, org: OrgId) -> StoreResult<Arc<OrgView>> {
        if let Some(view) = self.orgs.get(&org) {
            return Ok(view);
        }
        let (accounts, record, agents) = futures::try_join!(
            state.store.list_accounts(org),
            state.store.get_org(org),
            state.store.list_ai_agents(org)
        )?;
        let view = Arc::new(OrgView {
            accounts: accounts
                .into_iter()
                .filter(|a| a.status == AccountStatus::Connected)
                .collect(),
            zone: zone(&record.timezone),
            has_ai_agents: !agents.is_empty(),
        });
        self.orgs.put(org, view.clone());
        Ok(view)
    }
}

/// A map whose entries expire `ttl` after they were put.
struct Ttl<K, V> {
    ttl: Duration,
    max: usize,
    map: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq, V: Clone> Ttl<K, V> {
    fn new(ttl: Duration, max: usize) -> Self {
        Ttl {
            ttl,
            max,
            map: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        let (at, value) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.max {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= self.max {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_map_stays_bounded() {
        let ttl = Ttl::new(Duration::from_millis(30), MAX_ENTRIES);
        ttl.put(1u32, "a");
        assert_eq!(ttl.get(&1), Some("a"));
        assert_eq!(ttl.get(&2), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(ttl.get(&1), None, "expired");
        for i in 0..(MAX_ENTRIES as u32 + 5) {
            ttl.put(i, "b");
        }
        assert!(ttl.map.read().expect("lock").len() <= MAX_ENTRIES);
        let off = Ttl::new(Duration::ZERO, MAX_ENTRIES);
        off.put(1u32, "a");
        assert_eq!(off.get(&1), None, "a zero TTL caches nothing");
    }

    #[test]
    fn answers_are_reused_only_under_their_epoch_and_before_their_end() {
        let cache = ApiCache::default();
        let now = Utc::now();
        let key = AnswerKey {
            org: OrgId::from(uuid::Uuid::new_v4()),
            account: AccountId::from(uuid::Uuid::new_v4()),
            contact: Some("5215512345678".into()),
            limit: 50,
            zone: Tz::UTC,
            today: now.date_naive(),
        };
        let body = Bytes::from_static(b"{}");
        cache.keep(
            key.clone(),
            7,
            Some(now + chrono::Duration::hours(1)),
            body.clone(),
        );
        assert_eq!(cache.answer(&key, 7, now), Some(body.clone()));
        assert_eq!(cache.answer(&key, 8, now), None, "another epoch");
        let later = now + chrono::Duration::hours(2);
        assert_eq!(
            cache.answer(&key, 7, later),
            None,
            "the window it states has closed"
        );
        let other_org = AnswerKey {
            org: OrgId::from(uuid::Uuid::new_v4()),
            ..key.clone()
        };
        assert_eq!(cache.answer(&other_org, 7, now), None, "another org");
        let list = AnswerKey {
            contact: None,
            ..key
        };
        cache.keep(list.clone(), 7, None, body.clone());
        assert_eq!(
            cache.answer(&list, 7, later),
            Some(body),
            "no end of its own"
        );
        let long = Bytes::from(vec![b' '; MAX_ANSWER_BYTES + 1]);
        cache.keep(list.clone(), 9, None, long);
        assert_eq!(cache.answer(&list, 9, now), None, "too long to keep");
    }
}
