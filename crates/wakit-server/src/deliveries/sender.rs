//! One attempt of a delivery: POST the stored body with the Standard Webhooks headers
//! (`webhook-id` stable across retries, `webhook-timestamp` of this attempt,
//! `webhook-signature` with every valid secret) and the endpoint's Bearer token, within
//! the timeout, to public addresses only (checked on what the name resolves to, by the
//! client's resolver, so the connection goes where the check looked), redirects not
//! followed, no proxy.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wakit_store::webhooks::excerpt;

use super::{OutboundConfig, signature, ssrf};

/// What an attempt got.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The HTTP status, when one came.
    pub status: Option<u16>,
    /// How long it took.
    pub latency: Duration,
    /// The body's start (≤ 1 KiB).
    pub body: Option<String>,
    /// Why it failed without a status (timeout, refused address, connection).
    pub error: Option<String>,
    /// The receiver's `Retry-After`.
    pub retry_after: Option<Duration>,
}

/// What to send.
pub struct Request<'a> {
    /// Target.
    pub url: &'a str,
    /// `webhook-id`.
    pub msg_id: &'a str,
    /// The body, signed as is.
    pub body: &'a str,
    /// The valid secrets (`whsec_...`), newest first; none: unsigned.
    pub secrets: &'a [String],
    /// The Bearer token, if any.
    pub token: Option<&'a str>,
}

/// Resolves names and refuses internal addresses (unless allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            ssrf::check(&host, &ips, allow)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Sends attempts; one per process (its connection pool is shared).
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// A sender with `config`'s timeout and address policy.
    pub fn new(config: &OutboundConfig) -> Sender {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("wakit-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: config.allow_private,
            }))
            .build()
            .unwrap_or_default();
        Sender {
            client,
            allow_private: config.allow_private,
        }
    }

    /// Whether `url` may be a target: http(s), with a host that is not an internal
    /// address literal (names are checked at each attempt, after resolution).
    pub fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("url is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("url must be http:// or https://".into());
        }
        let host = parsed.host_str().ok_or("url has no host")?;
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return ssrf::check(host, &[ip], allow_private);
        }
        if host.eq_ignore_ascii_case("localhost") && !allow_private {
            return Err(format!(
                "{host} is a loopback name; webhooks go to public addresses only \
                 (WAKIT_WEBHOOK_ALLOW_PRIVATE=1 allows others)"
            ));
        }
        Ok(())
    }

    /// One attempt of `req`.
    pub async fn attempt(&self, req: &Request<'_>) -> Answer {
        let start = Instant::now();
        let failed = |error: String| Answer {
            status: None,
            latency: start.elapsed(),
            body: None,
            error: Some(error),
            retry_after: None,
        };
        if let Err(e) = Sender::check_url(req.url, self.allow_private) {
            return failed(e);
        }
        let timestamp = chrono::Utc::now().timestamp();
        let mut post = self
            .client
            .post(req.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", req.msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .body(req.body.to_string());
        if !req.secrets.is_empty() {
            let secrets: Vec<&str> = req.secrets.iter().map(String::as_str).collect();
            match signature::sign(&secrets, req.msg_id, timestamp, req.body.as_bytes()) {
                Some(sig) => post = post.header("webhook-signature", sig),
                None => return failed("the endpoint's secret is malformed".into()),
            }
        }
        if let Some(token) = req.token {
            post = post.bearer_auth(token);
        }
        let resp = match post.send().await {
            Ok(r) => r,
            Err(e) => return failed(describe(&e)),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(super::schedule::retry_after);
        let body = read_start(resp).await;
        Answer {
            status: Some(status),
            latency: start.elapsed(),
            body: Some(body),
            error: None,
            retry_after,
        }
    }
}

/// At most 1 KiB of the answer's body (the rest is not read).
async fn read_start(mut resp: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < wakit_store::webhooks::RESPONSE_EXCERPT {
        match resp.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    excerpt(&String::from_utf8_lossy(&bytes))
}

/// A sentence for a failed request, with its cause (the refused address, ...).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    excerpt(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_literals_and_odd_schemes_are_refused_up_front() {
        assert!(Sender::check_url("http://127.0.0.1:9/x", false).is_err());
        assert!(Sender::check_url("http://[::1]/x", false).is_err());
        assert!(Sender::check_url("http://localhost/x", false).is_err());
        assert!(Sender::check_url("http://169.254.169.254/latest", false).is_err());
        assert!(Sender::check_url("ftp://example.com/x", false).is_err());
        assert!(Sender::check_url("https://hooks.example.com/x", false).is_ok());
        assert!(Sender::check_url("http://127.0.0.1:9/x", true).is_ok());
    }
}
