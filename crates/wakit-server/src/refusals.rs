//! What the server refuses before it knows who is asking: a budget of failed
//! authentications per client IP (an invalid API key, a webhook with a bad signature),
//! and sampled logging of refusals — at most one WARN line a second per kind, saying
//! how many were refused since the last line — so a flood of bad requests costs
//! neither a database lookup nor a log line each.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, StatusCode};
use std::collections::HashMap;
use std::fmt::Display;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::workers::pacing::Pacer;

/// Default failed authentications per second per client IP (bursts of twice that).
pub const DEFAULT_AUTH_FAILURES_PER_IP: u32 = 10;

/// How often each kind of refusal is logged at most.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// The client's IP (the TCP peer; behind a proxy, the proxy's), when the request came
/// through [`crate::conn::serve`].
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A kind of refusal, logged on its own schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `accept()` failed (e.g. out of file descriptors).
    AcceptError,
    /// [`crate::conn::ConnLimits::max_connections`] are open: no more are accepted.
    ConnectionCap,
    /// A connection closed because its IP has its share open.
    ConnectionCapPerIp,
    /// An API request with an unknown or revoked key.
    InvalidKey,
    /// A Meta webhook POST whose signature does not match.
    BadSignature,
    /// A request refused (429) because its IP failed authentication too often.
    TooManyFailures,
    /// A request body not sent in time (408).
    SlowBody,
}

impl Kind {
    fn sentence(self) -> &'static str {
        match self {
            Kind::AcceptError => "cannot accept connections",
            Kind::ConnectionCap => "connections wait: the server has its maximum open",
            Kind::ConnectionCapPerIp => "connection refused: this client IP has its maximum open",
            Kind::InvalidKey => "API request with an invalid key refused",
            Kind::BadSignature => "Meta webhook with a bad signature refused",
            Kind::TooManyFailures => "request refused: too many failed authentications from its IP",
            Kind::SlowBody => "request refused: its body did not arrive in time",
        }
    }
}

/// Refusal bookkeeping shared by every connection and request of a process.
pub struct Refusals {
    /// Failed authentications per second per IP; `None` = no budget.
    per_ip: Option<u32>,
    failures: Pacer<IpAddr>,
    logged: Mutex<HashMap<Kind, (Option<Instant>, u64)>>,
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals::new(Some(DEFAULT_AUTH_FAILURES_PER_IP))
    }
}

impl Refusals {
    /// Bookkeeping allowing `per_ip` failed authentications a second per IP (bursts of
    /// twice that); `None` = unlimited.
    pub fn new(per_ip: Option<u32>) -> Self {
        Refusals {
            per_ip: per_ip.filter(|n| *n > 0),
            failures: Pacer::default(),
            logged: Mutex::new(HashMap::new()),
        }
    }

    /// The burst: two seconds' worth of failures.
    const BURST: Duration = Duration::from_secs(2);

    /// 429 when `ip` has used its budget of failed authentications; checked before any
    /// lookup, so an IP guessing keys or forging signatures costs nothing past its budget.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let (Some(rate), Some(ip)) = (self.per_ip, ip) else {
            return Ok(());
        };
        let Some(wait) = self.failures.over(&ip, Self::BURST) else {
            return Ok(());
        };
        self.note(Kind::TooManyFailures, &ip);
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many failed authentications from this address (limit {rate}/s); retry in {secs}s"
            ),
        )
        .retry_after(secs))
    }

    /// Counts a failed authentication of `ip` against its budget.
    pub fn failed(&self, ip: Option<IpAddr>) {
        if let (Some(rate), Some(ip)) = (self.per_ip, ip) {
            // Past the budget nothing more is reserved; `check` refuses until it refills.
            let _ = self.failures.reserve(ip, rate, Self::BURST);
        }
    }

    /// Logs a refusal of `kind` — at most one line a second per kind, with how many
    /// were refused since the last line.
    pub fn note(&self, kind: Kind, detail: &dyn Display) {
        let now = Instant::now();
        let refused = {
            let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
            let (last, count) = logged.entry(kind).or_insert((None, 0));
            *count += 1;
            if last.is_some_and(|at| now.duration_since(at) < LOG_EVERY) {
                return;
            }
            *last = Some(now);
            std::mem::take(count)
        };
        tracing::warn!(refused, last = %detail, "{} ({refused} since the last such line)", kind.sentence());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_the_budget_are_refused_and_others_are_not() {
        let r = Refusals::new(Some(2));
        let (a, b) = (
            Some(IpAddr::from([10, 0, 0, 1])),
            Some(IpAddr::from([10, 0, 0, 2])),
        );
        for _ in 0..20 {
            r.failed(a);
        }
        assert!(r.check(a).is_err(), "over its budget");
        assert!(r.check(b).is_ok(), "another IP is not affected");
        assert!(r.check(None).is_ok(), "no IP known: not limited");
        let off = Refusals::new(None);
        for _ in 0..20 {
            off.failed(a);
        }
        assert!(off.check(a).is_ok(), "no budget configured");
    }

    #[test]
    fn refusals_are_counted_between_log_lines() {
        let r = Refusals::default();
        for _ in 0..5 {
            r.note(Kind::BadSignature, &"x");
        }
        let logged = r.logged.lock().expect("lock");
        assert_eq!(logged[&Kind::BadSignature].1, 4, "one logged, four waiting");
    }
}
