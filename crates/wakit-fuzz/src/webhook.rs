//! The Meta webhook parser ([`wakit_meta::parse_webhook`]) and the signature check
//! ([`wakit_meta::signature`]).
//!
//! Properties: never a panic; every item of a body (each message, status, `errors`,
//! change and entry) yields exactly one event, so one bad item never drops the others;
//! bytes and the decoded value give the same events; a signature verifies exactly when
//! it is `sha256=` and the body's HMAC in either hex case.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::Value;
use std::collections::BTreeSet;
use wakit_meta::WebhookEvent;
use wakit_meta::signature::{sign, verify};

use crate::{Target, corpus, r#gen};

/// Events a body must yield: one per entry without `changes`, per change that is not
/// understood, per message, per status and per `errors` (a `messages` change with
/// none of them yields one `Unknown`); one `Invalid` for a body without entries.
pub fn expected_events(body: &Value) -> usize {
    let wrong_object = body
        .get("object")
        .and_then(Value::as_str)
        .is_some_and(|o| o != "whatsapp_business_account");
    let Some(entries) = body
        .get("entry")
        .and_then(Value::as_array)
        .filter(|_| !wrong_object)
    else {
        return 1;
    };
    let len = |v: &Value, key: &str| v.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    let change = |c: &Value| match (
        c.get("field").and_then(Value::as_str),
        c.get("value").filter(|v| v.is_object()),
    ) {
        (Some("messages"), Some(v)) => {
            let errors = v.get("errors").is_some_and(|e| !e.is_null());
            (len(v, "messages") + len(v, "statuses") + usize::from(errors)).max(1)
        }
        _ => 1,
    };
    entries
        .iter()
        .map(|e| match e.get("changes").and_then(Value::as_array) {
            Some(changes) => changes.iter().map(change).sum(),
            None => 1,
        })
        .sum()
}

fn kind(e: &WebhookEvent) -> &'static str {
    match e {
        WebhookEvent::Message { .. } => "Message",
        WebhookEvent::Status { .. } => "Status",
        WebhookEvent::Errors { .. } => "Errors",
        WebhookEvent::TemplateStatus { .. } => "TemplateStatus",
        WebhookEvent::NumberUpdate { .. } => "NumberUpdate",
        WebhookEvent::Unknown { .. } => "Unknown",
        WebhookEvent::Invalid { .. } => "Invalid",
    }
}

/// The outcome label: the kinds of events seen, sorted.
fn kinds(events: &[WebhookEvent]) -> String {
    let set: BTreeSet<&str> = events.iter().map(kind).collect();
    if set.is_empty() {
        return "no-events".into();
    }
    set.into_iter().collect::<Vec<_>>().join("+")
}

/// Checks the events of one decoded body.
fn check_value(body: &Value) -> Result<String, String> {
    let events = wakit_meta::parse_webhook_value(body);
    let expected = expected_events(body);
    if events.len() != expected {
        return Err(format!(
            "{} events for {expected} items: {:?}",
            events.len(),
            events.iter().map(kind).collect::<Vec<_>>()
        ));
    }
    Ok(kinds(&events))
}

/// Checks the events of raw bytes against those of their decoded value.
fn check_bytes(body: &[u8]) -> Result<String, String> {
    let events = wakit_meta::parse_webhook(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            if events != wakit_meta::parse_webhook_value(&v) {
                return Err("bytes and value give different events".into());
            }
            check_value(&v)
        }
        Err(_) => match events.as_slice() {
            [WebhookEvent::Invalid { .. }] => Ok("not-json".into()),
            other => Err(format!(
                "a body that is not JSON gave {} events",
                other.len()
            )),
        },
    }
}

/// A real body, mutated 0–4 times.
fn mutated_body(rng: &mut StdRng, seeds: &[Value]) -> Value {
    let mut body = seeds.choose(rng).cloned().unwrap_or(Value::Null);
    let rounds = rng.gen_range(0..5);
    r#gen::mutate(rng, &mut body, rounds);
    body
}

/// Arbitrary bytes, and real bodies with bytes flipped, cut or inserted.
pub struct WebhookBytes {
    seeds: Vec<Vec<u8>>,
}

impl Default for WebhookBytes {
    fn default() -> Self {
        let seeds = corpus::meta_bodies()
            .iter()
            .filter_map(|v| serde_json::to_vec(v).ok())
            .collect();
        WebhookBytes { seeds }
    }
}

impl Target for WebhookBytes {
    type Input = Vec<u8>;
    fn name(&self) -> &'static str {
        "webhook-bytes"
    }
    fn generate(&mut self, rng: &mut StdRng) -> Vec<u8> {
        let seed = self.seeds.choose(rng).cloned().unwrap_or_default();
        r#gen::bytes(rng, &seed)
    }
    fn check(&mut self, input: &Vec<u8>) -> Result<String, String> {
        check_bytes(input)
    }
}

/// Structure-aware: real bodies with fields deleted, retyped, duplicated, swollen,
/// nested deep; checked as a value and as the bytes it serializes to.
pub struct WebhookJson {
    seeds: Vec<Value>,
}

impl Default for WebhookJson {
    fn default() -> Self {
        WebhookJson {
            seeds: corpus::meta_bodies(),
        }
    }
}

impl Target for WebhookJson {
    type Input = Value;
    fn name(&self) -> &'static str {
        "webhook-json"
    }
    fn generate(&mut self, rng: &mut StdRng) -> Value {
        mutated_body(rng, &self.seeds)
    }
    fn check(&mut self, input: &Value) -> Result<String, String> {
        let outcome = check_value(input)?;
        let bytes = serde_json::to_vec(input).map_err(|e| format!("cannot serialize: {e}"))?;
        check_bytes(&bytes)?;
        Ok(outcome)
    }
}

/// `X-Hub-Signature-256` values: the right one, its variants (case, whitespace, cut,
/// extended, other prefix), and noise.
pub struct Signature;

/// A header for `sig` (the right header for the body).
fn header(rng: &mut StdRng, sig: &str) -> String {
    match rng.gen_range(0..10) {
        0 => sig.to_string(),
        1 => sig.to_ascii_uppercase(),
        2 => format!(" {sig}\t"),
        3 => sig[..rng.gen_range(0..=sig.len())].to_string(),
        4 => format!("{sig}{}", r#gen::text(rng, 3)),
        5 => sig.replacen("sha256=", "sha1=", 1),
        6 => {
            let mut s: Vec<char> = sig.chars().collect();
            let i = rng.gen_range(0..s.len());
            s[i] = *['0', 'f', 'g', 'é', ' '].choose(rng).unwrap_or(&'0');
            s.into_iter().collect()
        }
        _ => r#gen::text(rng, 40),
    }
}

impl Target for Signature {
    type Input = (Vec<u8>, Vec<u8>, String);
    fn name(&self) -> &'static str {
        "signature"
    }
    fn generate(&mut self, rng: &mut StdRng) -> Self::Input {
        let secret = r#gen::text(rng, 8).into_bytes();
        let body = r#gen::text(rng, 30).into_bytes();
        let h = header(rng, &sign(&secret, &body));
        (secret, body, h)
    }
    fn check(&mut self, (secret, body, h): &Self::Input) -> Result<String, String> {
        let right = sign(secret, body);
        if !verify(secret, body, Some(&right)) {
            return Err("a signature made by sign() does not verify".into());
        }
        if verify(secret, body, None) {
            return Err("a missing header verifies".into());
        }
        let ok = verify(secret, body, Some(h));
        let expected = h
            .trim()
            .strip_prefix("sha256=")
            .is_some_and(|hex| hex.to_ascii_lowercase() == right["sha256=".len()..]);
        if ok != expected {
            return Err(format!("verify said {ok}, expected {expected}"));
        }
        Ok(if ok { "valid" } else { "refused" }.into())
    }
}
