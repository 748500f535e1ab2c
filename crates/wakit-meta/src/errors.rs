//! Meta's errors (reference §2): the synchronous error envelope, `Retry-After`, and the
//! retry class decided by Meta's `code` (§2.3), never by the HTTP status alone.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::time::Duration;

/// What a caller should do about a [`MetaError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Back off and retry (rate limits, temporary outages).
    Retry,
    /// Do not retry unchanged (bad parameters, closed window, policy blocks, ...).
    Permanent,
    /// The token is expired or lacks permission: stop, alert, refresh the token.
    Reauth,
    /// Meta was not reached or answered without a Meta error body: retryable.
    Network,
}

impl ErrorClass {
    /// Whether the same request may be tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ErrorClass::Retry | ErrorClass::Network)
    }
}

/// The class of a Meta error `code`, per the reference's handling guidance (§2.3):
/// re-auth for 0, 190, 10 and 200–299; back-off-and-retry for 1, 2, 4, 80007, 130429,
/// 131000, 131016, 131056, 131057, 133004; everything else permanent.
pub fn classify(code: i64) -> ErrorClass {
    match code {
        0 | 10 | 190 | 200..=299 => ErrorClass::Reauth,
        1 | 2 | 4 | 80007 | 130429 | 131000 | 131016 | 131056 | 131057 | 133004 => {
            ErrorClass::Retry
        }
        _ => ErrorClass::Permanent,
    }
}

/// A failed Graph API call.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct MetaError {
    /// The HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// Meta's `error.code`.
    pub code: Option<i64>,
    /// Meta's `error.error_subcode` (e.g. 463 for an expired session).
    pub subcode: Option<i64>,
    /// Meta's `error.message`, or a description of the transport failure.
    pub message: String,
    /// Meta's `error.error_data.details`, the most useful field for debugging.
    pub details: Option<String>,
    /// Meta's `error.fbtrace_id`.
    pub fbtrace_id: Option<String>,
    /// The `Retry-After` header, when Meta sent one.
    pub retry_after: Option<Duration>,
    /// What to do about it.
    pub class: ErrorClass,
    /// True only when the connection to Meta was never established, so the request
    /// certainly had no effect. Any other transport failure (a timeout, a connection
    /// dropped mid-request) leaves the outcome unknown: a send may have been accepted.
    pub unreached: bool,
}

impl MetaError {
    fn describe(&self) -> String {
        let mut s = match (self.code, self.http_status) {
            (Some(code), _) => format!("Meta error {code}: {}", self.message),
            (None, Some(status)) => format!("Meta HTTP {status}: {}", self.message),
            (None, None) => format!("Meta unreachable: {}", self.message),
        };
        if let Some(d) = &self.details {
            s.push_str(" (");
            s.push_str(d);
            s.push(')');
        }
        s
    }

    /// Whether the same request may be tried again later.
    pub fn is_retryable(&self) -> bool {
        self.class.is_retryable()
    }

    /// A transport failure (connect error, timeout, broken body): [`ErrorClass::Network`].
    pub fn network(message: impl Into<String>) -> Self {
        MetaError {
            http_status: None,
            code: None,
            subcode: None,
            message: message.into(),
            details: None,
            fbtrace_id: None,
            retry_after: None,
            class: ErrorClass::Network,
            unreached: false,
        }
    }

    /// A response Meta answered with but wakit could not use (e.g. a 200 without the
    /// expected fields). Permanent: the request may have had its effect, so it must not
    /// be blindly repeated.
    pub fn unexpected(http_status: u16, message: impl Into<String>) -> Self {
        MetaError {
            http_status: Some(http_status),
            class: ErrorClass::Permanent,
            ..MetaError::network(message)
        }
    }

    /// Builds the error from a non-success response. With Meta's `{"error":{...}}` body
    /// the class follows `error.code`; without one, 5xx is [`ErrorClass::Network`], 429
    /// is [`ErrorClass::Retry`] and anything else [`ErrorClass::Permanent`].
    pub fn from_response(http_status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<Value>(body).ok();
        let err = parsed
            .as_ref()
            .and_then(|v| v.get("error"))
            .filter(|e| e.is_object());
        let Some(err) = err else {
            let class = match http_status {
                500..=599 => ErrorClass::Network,
                429 => ErrorClass::Retry,
                _ => ErrorClass::Permanent,
            };
            let text = String::from_utf8_lossy(body);
            let snippet: String = text.chars().take(200).collect();
            return MetaError {
                http_status: Some(http_status),
                retry_after,
                class,
                ..MetaError::network(if snippet.is_empty() {
                    format!("HTTP {http_status} without a body")
                } else {
                    snippet
                })
            };
        };
        let code = err.get("code").and_then(int);
        let class = match code {
            Some(c) => classify(c),
            None if http_status >= 500 => ErrorClass::Network,
            None => ErrorClass::Permanent,
        };
        let s = |k: &str| err.get(k).and_then(Value::as_str).map(str::to_string);
        MetaError {
            http_status: Some(http_status),
            code,
            subcode: err.get("error_subcode").and_then(int),
            message: s("message").unwrap_or_else(|| format!("HTTP {http_status}")),
            details: err
                .get("error_data")
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(str::to_string),
            fbtrace_id: s("fbtrace_id"),
            retry_after,
            class,
            unreached: false,
        }
    }
}

/// An integer Meta may send as a number or a numeric string.
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Parses a `Retry-After` header value: delta-seconds or an HTTP date (relative to `now`;
/// a date in the past is zero).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn classification_table() {
        let table = [
            (0, ErrorClass::Reauth),
            (10, ErrorClass::Reauth),
            (190, ErrorClass::Reauth),
            (200, ErrorClass::Reauth),
            (299, ErrorClass::Reauth),
            (1, ErrorClass::Retry),
            (2, ErrorClass::Retry),
            (4, ErrorClass::Retry),
            (80007, ErrorClass::Retry),
            (130429, ErrorClass::Retry),
            (131000, ErrorClass::Retry),
            (131016, ErrorClass::Retry),
            (131056, ErrorClass::Retry),
            (131057, ErrorClass::Retry),
            (133004, ErrorClass::Retry),
            (100, ErrorClass::Permanent),
            (131008, ErrorClass::Permanent),
            (131026, ErrorClass::Permanent),
            (131030, ErrorClass::Permanent),
            (131047, ErrorClass::Permanent),
            (131051, ErrorClass::Permanent),
            (131053, ErrorClass::Permanent),
            (132000, ErrorClass::Permanent),
            (132001, ErrorClass::Permanent),
            (132015, ErrorClass::Permanent),
            (133010, ErrorClass::Permanent),
            (368, ErrorClass::Permanent),
            (131031, ErrorClass::Permanent),
        ];
        for (code, class) in table {
            assert_eq!(classify(code), class, "{code}");
        }
    }

    #[test]
    fn envelope_is_parsed_and_code_beats_status() {
        let body = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException",
            "code":130429,"error_subcode":2494055,"error_data":{"messaging_product":"whatsapp",
            "details":"Cloud API message throughput has been reached."},"fbtrace_id":"AbC"}}"#;
        let e = MetaError::from_response(400, Some(Duration::from_secs(3)), body);
        assert_eq!(e.code, Some(130429));
        assert_eq!(e.subcode, Some(2494055));
        assert_eq!(e.class, ErrorClass::Retry);
        assert_eq!(e.fbtrace_id.as_deref(), Some("AbC"));
        assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
        assert!(e.to_string().contains("130429"));
        assert!(e.to_string().contains("throughput"));

        // 190 with Graph's 400 is still re-auth; 131047 with 500 is still permanent.
        let e = MetaError::from_response(400, None, br#"{"error":{"message":"x","code":190}}"#);
        assert_eq!(e.class, ErrorClass::Reauth);
        let e = MetaError::from_response(500, None, br#"{"error":{"message":"x","code":131047}}"#);
        assert_eq!(e.class, ErrorClass::Permanent);
    }

    #[test]
    fn bodies_without_meta_error() {
        assert_eq!(
            MetaError::from_response(502, None, b"<html>").class,
            ErrorClass::Network
        );
        assert_eq!(
            MetaError::from_response(503, None, b"").class,
            ErrorClass::Network
        );
        assert_eq!(
            MetaError::from_response(429, None, b"").class,
            ErrorClass::Retry
        );
        assert_eq!(
            MetaError::from_response(404, None, b"nope").class,
            ErrorClass::Permanent
        );
        assert!(MetaError::network("timeout").is_retryable());
    }

    #[test]
    fn retry_after_forms() {
        let now = Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
            .single()
            .expect("time");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
