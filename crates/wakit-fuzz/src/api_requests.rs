//! Requests for the API target: every route (and the Meta webhook), query strings with
//! percent-encoding junk, duplicates and huge values, `POST /messages` bodies from
//! near-valid sends to noise, and the headers that matter (key, Content-Type,
//! Idempotency-Key, the webhook signature).

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::domain::{phone_text, user_id_text};
use crate::shrink::Shrink;
use crate::{corpus, r#gen};

/// Replaced by the API key when the request is built (keys are random per run).
pub const KEY: &str = "{KEY}";
/// Replaced by the body's valid `X-Hub-Signature-256` when the request is built.
pub const SIGNED: &str = "{SIGNED}";
/// The customer whose service window is open (seeded inbound message).
pub const OPEN_CONTACT: &str = "5215512345678";
/// The business number of the seeded account.
pub const ACCOUNT_PHONE: &str = "5215588392274";
/// The seeded approved template: `order_update` / `en_US`, body `Hi {{1}}`.
pub const TEMPLATE: (&str, &str) = ("order_update", "en_US");

/// The routes: method and path relative to the API prefix (`/…`), or the webhook's
/// absolute path.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/ping"),
    ("GET", "/ready"),
    ("GET", "/accounts"),
    ("GET", "/conversations"),
    ("GET", "/conversation"),
    ("GET", "/messages"),
    ("POST", "/messages"),
    ("GET", "/templates"),
    ("GET", "/health"),
    ("GET", "/contacts"),
    ("GET", "/openapi.json"),
    ("GET", WEBHOOK),
    ("POST", WEBHOOK),
    ("POST", WEBHOOK),
];

/// The Meta webhook's path.
pub const WEBHOOK: &str = "/functions/v1/whatsapp-webhook";

/// One request, before the key and signature are filled in.
#[derive(Clone, Debug)]
pub struct RequestSpec {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The route it aims at (the outcome label).
    pub route: String,
    /// The path as sent.
    pub path: String,
    /// Query pairs, already percent-encoded (junk included).
    pub query: Vec<(String, String)>,
    /// Header name and value bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Shrink for RequestSpec {
    fn candidates(&self) -> Vec<Self> {
        let q = self
            .query
            .candidates()
            .into_iter()
            .map(|query| RequestSpec {
                query,
                ..self.clone()
            });
        let h = self
            .headers
            .candidates()
            .into_iter()
            .map(|headers| RequestSpec {
                headers,
                ..self.clone()
            });
        let b = self.body.candidates().into_iter().map(|body| RequestSpec {
            body,
            ..self.clone()
        });
        q.chain(h).chain(b).collect()
    }
}

/// Percent-encodes `s` except `%` and `+` (so junk escapes reach the decoder as typed).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~%+".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query value: a phone, a BSUID, a limit, the open contact, noise or a huge one.
fn query_value(rng: &mut StdRng, key: &str) -> String {
    match (key, rng.gen_range(0..6)) {
        ("limit", 0..=2) => [
            "1",
            "0",
            "-1",
            "50",
            "1e3",
            "99999999999999999999",
            " 7 ",
            "0x10",
            "1.5",
        ]
        .choose(rng)
        .unwrap_or(&"1")
        .to_string(),
        ("contact_phone" | "account_phone" | "number", 0 | 1) => phone_text(rng),
        ("contact_phone" | "account_phone", 2) => {
            [OPEN_CONTACT, ACCOUNT_PHONE, "+52 1 55 1234 5678"]
                .choose(rng)
                .unwrap_or(&OPEN_CONTACT)
                .to_string()
        }
        (_, 3) => user_id_text(rng),
        (_, 4) if rng.gen_bool(0.05) => "9".repeat(rng.gen_range(1_000..10_000)),
        _ => r#gen::text(rng, 10),
    }
}

/// Query pairs for a route; sometimes duplicated or with raw junk keys.
fn query(rng: &mut StdRng, route: &str) -> Vec<(String, String)> {
    const KEYS: &[&str] = &[
        "limit",
        "contact_phone",
        "account_phone",
        "name",
        "number",
        "code",
        "language",
        "template_id",
        "hub.mode",
        "hub.verify_token",
        "hub.challenge",
    ];
    let mut out = Vec::new();
    if matches!(route, "/conversation" | "/messages") && rng.gen_bool(0.5) {
        // The contact with messages, so the reads get past their required parameter.
        let contact = *[OPEN_CONTACT, "+52 55 1234 5678", "BR.998877665544332211"]
            .choose(rng)
            .unwrap_or(&OPEN_CONTACT);
        out.push(("contact_phone".into(), encode(contact)));
    }
    for _ in 0..rng.gen_range(0..5) {
        let key = if rng.gen_bool(0.9) {
            KEYS.choose(rng).copied().unwrap_or("limit").to_string()
        } else {
            r#gen::text(rng, 3)
        };
        let value = if key == "hub.mode" && rng.gen_bool(0.7) {
            "subscribe".to_string()
        } else if key == "hub.verify_token" && rng.gen_bool(0.5) {
            "verify-me".to_string()
        } else {
            query_value(rng, &key)
        };
        let pair = (encode(&key), encode(&value));
        if rng.gen_bool(0.1) {
            out.push(pair.clone());
        }
        out.push(pair);
    }
    if rng.gen_bool(0.05) {
        out.push((
            ["%", "%zz", "%ff%fe", "a=b=c", "&&", "=", "+"]
                .choose(rng)
                .unwrap_or(&"%")
                .to_string(),
            String::new(),
        ));
    }
    out
}

/// A `POST /messages` body: a near-valid send (text, template, document) mutated, random
/// JSON, or bytes.
fn send_body(rng: &mut StdRng) -> Vec<u8> {
    let to = match rng.gen_range(0..4) {
        0 | 1 => json!(OPEN_CONTACT),
        2 => json!(phone_text(rng)),
        _ => json!(user_id_text(rng)),
    };
    let mut send = match rng.gen_range(0..4) {
        0 => json!({"contact_phone": to, "text": r#gen::text(rng, 20)}),
        1 => json!({"contact_phone": to, "template": {"name": TEMPLATE.0, "language": TEMPLATE.1,
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]}}),
        2 => {
            json!({"contact_phone": to, "document": {"link": "https://example.com/a.pdf", "filename": "a.pdf"}})
        }
        _ => json!({"group_id": r#gen::text(rng, 5), "text": "hi"}),
    };
    if rng.gen_bool(0.3) {
        send["account_phone"] = json!(ACCOUNT_PHONE);
    }
    match rng.gen_range(0..10) {
        0 => r#gen::value(rng, 4).to_string().into_bytes(),
        1 => r#gen::bytes(rng, send.to_string().as_bytes()),
        2..=4 => send.to_string().into_bytes(),
        _ => {
            let rounds = rng.gen_range(1..4);
            r#gen::mutate(rng, &mut send, rounds);
            serde_json::to_vec(&send).unwrap_or_default()
        }
    }
}

/// A webhook body: a real Meta body, mutated or not, or noise.
fn webhook_body(rng: &mut StdRng, seeds: &[Value]) -> Vec<u8> {
    let mut body = seeds.choose(rng).cloned().unwrap_or(Value::Null);
    if rng.gen_bool(0.7) {
        let rounds = rng.gen_range(1..4);
        r#gen::mutate(rng, &mut body, rounds);
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    if rng.gen_bool(0.1) {
        r#gen::bytes(rng, &bytes)
    } else {
        bytes
    }
}

/// A header value: the usual one mostly, else noise (invalid values are dropped when
/// the request is built).
fn header_value(rng: &mut StdRng, usual: &str) -> Vec<u8> {
    match rng.gen_range(0..10) {
        0..=6 => usual.as_bytes().to_vec(),
        7 => r#gen::text(rng, 8).into_bytes(),
        8 => (0..rng.gen_range(0..40)).map(|_| rng.r#gen()).collect(),
        _ => "k".repeat(rng.gen_range(200..5_000)).into_bytes(),
    }
}

/// The request generator (holds the Meta seed bodies).
pub struct Requests {
    seeds: Vec<Value>,
}

impl Default for Requests {
    fn default() -> Self {
        Requests {
            seeds: corpus::meta_bodies(),
        }
    }
}

impl Requests {
    /// A random request.
    pub fn generate(&self, rng: &mut StdRng) -> RequestSpec {
        let (mut method, route) = *ROUTES.choose(rng).unwrap_or(&("GET", "/ping"));
        if rng.gen_bool(0.03) {
            method = ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "POST", "GET"]
                .choose(rng)
                .unwrap_or(&"GET");
        }
        let mut path = if route == WEBHOOK {
            route.to_string()
        } else {
            format!("{}{route}", wakit_api::API_PREFIX)
        };
        if rng.gen_bool(0.02) {
            path.push_str(&encode(&r#gen::text(rng, 4)).replace('%', "/"));
        }
        let mut headers = Vec::new();
        if route != WEBHOOK || rng.gen_bool(0.1) {
            match rng.gen_range(0..10) {
                // The key itself more often than other header values: most requests
                // should reach their handler.
                0..=5 => headers.push(("api-key".into(), KEY.as_bytes().to_vec())),
                6 => headers.push(("api-key".into(), header_value(rng, KEY))),
                7 => headers.push((
                    "authorization".into(),
                    header_value(rng, &format!("Bearer {KEY}")),
                )),
                8 => headers.push(("authorization".into(), header_value(rng, "Basic abc"))),
                _ => {}
            }
        }
        let body = match (method, route) {
            ("POST", "/messages") => send_body(rng),
            ("POST", WEBHOOK) => webhook_body(rng, &self.seeds),
            _ if rng.gen_bool(0.05) => r#gen::text(rng, 20).into_bytes(),
            _ => Vec::new(),
        };
        if method == "POST" && rng.gen_bool(0.9) {
            headers.push(("content-type".into(), header_value(rng, "application/json")));
        }
        if route == "/messages" && rng.gen_bool(0.3) {
            let key = format!("idem-{}", rng.gen_range(0..50));
            headers.push(("idempotency-key".into(), header_value(rng, &key)));
        }
        if route == WEBHOOK && rng.gen_bool(0.8) {
            headers.push(("x-hub-signature-256".into(), header_value(rng, SIGNED)));
        }
        if rng.gen_bool(0.001) {
            // Over the body limit (1 MiB): 413.
            let mut big = body.clone();
            big.resize(wakit_server::MAX_BODY + 1, b' ');
            return RequestSpec {
                method: method.into(),
                route: route.into(),
                path,
                query: query(rng, route),
                headers,
                body: big,
            };
        }
        RequestSpec {
            method: method.into(),
            route: route.into(),
            path,
            query: query(rng, route),
            headers,
            body,
        }
    }
}
