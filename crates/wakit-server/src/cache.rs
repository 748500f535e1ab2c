//! Short-lived in-process caches for what every API request looks up before its own
//! query: the API key (by its SHA-256) and the org's connected numbers and timezone (by
//! org id). Without them a read is four database round trips; with them, one.
//!
//! Entries live [`TTL`] (2 s). So on each replica a revoked key stops working, and a
//! number connected or disconnected or a timezone changed (by `wakit admin`, possibly
//! in another process) is seen, within 2 s. Only successes are cached: a key created a
//! moment ago works at once, and an unknown key is looked up every time. Entries are
//! keyed by the key hash or the org id alone, so one org's entry never answers another.
//!
//! A third map keeps answers of `GET /conversations` (the serialized body), reused only
//! while the store's change epoch ([`wakit_store::Store::change_epoch`]) is the one they
//! were read under — a commit by any process moves it on, so an answer is never older
//! than a write that finished before the request — and only on the same org's local
//! date (the time labels), for at most [`TTL`]. Backends that cannot tell the epoch
//! (Postgres) never reuse one.

use axum::body::Bytes;
use chrono::NaiveDate;
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

/// Entries a map holds at most; past that expired ones are dropped, then all.
const MAX_ENTRIES: usize = 10_000;

/// What an org's requests need besides their own query.
#[derive(Debug)]
pub struct OrgView {
    /// Its connected numbers, oldest first.
    pub accounts: Vec<Account>,
    /// Its timezone (UTC when the stored name is not a known zone).
    pub zone: Tz,
}

/// The API's caches (one per process, shared by every request).
pub struct ApiCache {
    keys: Ttl<[u8; 32], AuthContext>,
    orgs: Ttl<OrgId, Arc<OrgView>>,
    lists: Ttl<ListKey, (u64, Bytes)>,
}

/// What a `GET /conversations` answer depends on besides the data: the org, the
/// number, the limit, and the timezone and local date its labels were made in.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct ListKey {
    /// The org asking.
    pub org: OrgId,
    /// Its number.
    pub account: AccountId,
    /// Conversations asked for.
    pub limit: u32,
    /// The org's timezone.
    pub zone: Tz,
    /// Today in that timezone.
    pub today: NaiveDate,
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
            keys: Ttl::new(ttl),
            orgs: Ttl::new(ttl),
            lists: Ttl::new(ttl),
        }
    }

    /// The answer kept for `key`, if it was read under `epoch`.
    pub fn list(&self, key: &ListKey, epoch: u64) -> Option<Bytes> {
        let (read_under, body) = self.lists.get(key)?;
        (read_under == epoch).then_some(body)
    }

    /// Keeps `body`, read under `epoch`, as the answer for `key`.
    pub fn put_list(&self, key: ListKey, epoch: u64, body: Bytes) {
        self.lists.put(key, (epoch, body));
    }

    /// The valid, unrevoked key `key` (as presented), or `None`.
    pub async fn authenticate(
        &self,
        state: &AppState,
        key: &str,
    ) -> StoreResult<Option<AuthContext>> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        if let Some(ctx) = self.keys.get(&digest) {
            return Ok(Some(ctx));
        }
        let hash = wakit_store::secrets::KeyHash(hex::encode(digest));
        let found = state.store.authenticate(&hash).await?;
        if let Some(ctx) = found {
            self.keys.put(digest, ctx);
        }
        Ok(found)
    }

    /// The org's connected numbers and timezone.
    pub async fn org(&self, state: &AppState, org: OrgId) -> StoreResult<Arc<OrgView>> {
        if let Some(view) = self.orgs.get(&org) {
            return Ok(view);
        }
        let (accounts, record) =
            futures::try_join!(state.store.list_accounts(org), state.store.get_org(org))?;
        let view = Arc::new(OrgView {
            accounts: accounts
                .into_iter()
                .filter(|a| a.status == AccountStatus::Connected)
                .collect(),
            zone: zone(&record.timezone),
        });
        self.orgs.put(org, view.clone());
        Ok(view)
    }
}

/// A map whose entries expire `ttl` after they were put.
struct Ttl<K, V> {
    ttl: Duration,
    map: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq, V: Clone> Ttl<K, V> {
    fn new(ttl: Duration) -> Self {
        Ttl {
            ttl,
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
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= MAX_ENTRIES {
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
        let ttl = Ttl::new(Duration::from_millis(30));
        ttl.put(1u32, "a");
        assert_eq!(ttl.get(&1), Some("a"));
        assert_eq!(ttl.get(&2), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(ttl.get(&1), None, "expired");
        for i in 0..(MAX_ENTRIES as u32 + 5) {
            ttl.put(i, "b");
        }
        assert!(ttl.map.read().expect("lock").len() <= MAX_ENTRIES);
        let off = Ttl::new(Duration::ZERO);
        off.put(1u32, "a");
        assert_eq!(off.get(&1), None, "a zero TTL caches nothing");
    }
}
