//! Random inputs: text built from the characters parsers trip on, JSON of bounded depth,
//! and structure-aware mutations of real JSON (fields deleted, retyped, duplicated,
//! swollen, nested deep, numbers as strings, nulls).

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Map, Value};

/// Pieces text is built from: digits and separators (phones), BSUID shapes, JSON and URL
/// punctuation, placeholders, controls, combining marks, wide and right-to-left
/// characters, non-ASCII digits and whitespace.
const PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "9",
    "52",
    "54",
    "55",
    "521",
    "549",
    "+",
    " ",
    "-",
    ".",
    "(",
    ")",
    "US",
    "BR",
    "us",
    ".",
    "_",
    "A",
    "z",
    "Dr.",
    "%",
    "%00",
    "%zz",
    "%ff",
    "\\",
    "\"",
    "'",
    "{{",
    "}}",
    "{{1}}",
    "{{name}}",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "=",
    "&",
    "?",
    "#",
    "/",
    "\0",
    "\n",
    "\r",
    "\t",
    "\u{7f}",
    "\u{a0}",
    "\u{3000}",
    "é",
    "e\u{301}",
    "İ",
    "ß",
    "ǅ",
    "\u{1f62e}",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{ffff}",
    "\u{10ffff}",
    "０",
    "٣",
    "sk_",
    "wamid.",
    "sha256=",
    "null",
    "true",
    "1e309",
    "-0",
    "9999999999999999999999",
];

/// Text of up to about `max` pieces; now and then random code points, or a huge run.
pub fn text(rng: &mut StdRng, max: usize) -> String {
    match rng.gen_range(0..40) {
        0 => (0..rng.gen_range(0..=max))
            .map(|_| rng.r#gen::<char>())
            .collect(),
        1 => PIECES
            .choose(rng)
            .copied()
            .unwrap_or("x")
            .repeat(rng.gen_range(1_000..20_000)),
        _ => (0..rng.gen_range(0..=max))
            .map(|_| PIECES.choose(rng).copied().unwrap_or(""))
            .collect(),
    }
}

/// `lo..=hi` ASCII digits.
pub fn digits(rng: &mut StdRng, lo: usize, hi: usize) -> String {
    (0..rng.gen_range(lo..=hi))
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Random bytes: noise, or a JSON text with a few bytes flipped or cut short.
pub fn bytes(rng: &mut StdRng, json_like: &[u8]) -> Vec<u8> {
    match rng.gen_range(0..4) {
        0 => (0..rng.gen_range(0..256)).map(|_| rng.r#gen()).collect(),
        1 => json_like[..rng.gen_range(0..=json_like.len())].to_vec(),
        _ => {
            let mut out = json_like.to_vec();
            for _ in 0..rng.gen_range(1..6) {
                if out.is_empty() {
                    break;
                }
                let i = rng.gen_range(0..out.len());
                match rng.gen_range(0..5) {
                    // Letters and digits swapped for others: still JSON, other values.
                    0 | 1 if out[i].is_ascii_alphanumeric() => {
                        out[i] = *b"0159azAZ_".choose(rng).unwrap_or(&b'0');
                    }
                    0 => out[i] = rng.r#gen(),
                    1 => {
                        out.remove(i);
                    }
                    _ => out.insert(i, *b"{}[]\",:\\0e-".choose(rng).unwrap_or(&b'x')),
                }
            }
            out
        }
    }
}

/// A random scalar or small container.
pub fn value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.r#gen()),
        2 => Value::from(rng.r#gen::<i64>() >> rng.gen_range(0..64)),
        3 => Value::from(rng.r#gen::<f64>() * 1e12 - 5e11),
        4 => Value::from(digits(rng, 0, 20)),
        5 => Value::from(text(rng, 12)),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| value(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.gen_range(0..4))
                .map(|_| (text(rng, 3), value(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// One step from a container to a child.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// A random path into `v`: the root, or a node found by a random walk.
fn random_path(rng: &mut StdRng, v: &Value) -> Vec<Step> {
    let mut path = Vec::new();
    let mut node = v;
    // Bounded by the depth of `v`; each step goes one level down.
    while rng.gen_bool(0.9) {
        let next = match node {
            Value::Object(m) if !m.is_empty() => m
                .iter()
                .nth(rng.gen_range(0..m.len()))
                .map(|(k, c)| (Step::Key(k.clone()), c)),
            Value::Array(a) if !a.is_empty() => {
                let i = rng.gen_range(0..a.len());
                Some((Step::Index(i), &a[i]))
            }
            _ => None,
        };
        let Some((step, child)) = next else { break };
        path.push(step);
        node = child;
    }
    path
}

fn node_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |node, step| match (node, step) {
        (Value::Object(m), Step::Key(k)) => m.get_mut(k),
        (Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// Field names and words Meta's bodies use, so retyped fields still hit the parser's arms.
const META_WORDS: &[&str] = &[
    "messages",
    "statuses",
    "errors",
    "contacts",
    "metadata",
    "phone_number_id",
    "from",
    "from_user_id",
    "user_id",
    "wa_id",
    "id",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "status",
    "sent",
    "delivered",
    "read",
    "played",
    "failed",
    "field",
    "value",
    "entry",
    "changes",
    "object",
    "whatsapp_business_account",
    "message_template_status_update",
    "phone_number_quality_update",
    "reaction",
    "interactive",
    "button",
    "context",
    "location",
];

/// A value replacing a node: another type, a number as a string, a huge string, a deep
/// nest, a Meta word.
fn replacement(rng: &mut StdRng, old: &Value) -> Value {
    match rng.gen_range(0..9) {
        0 => Value::Null,
        1 => match old {
            Value::Number(n) => Value::from(n.to_string()),
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(s.len())),
            other => Value::from(other.to_string()),
        },
        2 => Value::from("x".repeat(rng.gen_range(10_000..100_000))),
        3 => {
            // Deeper than serde_json's recursion limit (128) once re-serialized, now and then.
            let mut v = old.clone();
            for _ in 0..rng.gen_range(1..200) {
                v = if rng.r#gen() {
                    Value::Array(vec![v])
                } else {
                    Value::Object(Map::from_iter([("a".to_string(), v)]))
                };
            }
            v
        }
        4 => Value::from(META_WORDS.choose(rng).copied().unwrap_or("id")),
        5 => Value::Array(vec![old.clone(), old.clone()]),
        _ => value(rng, 2),
    }
}

/// Applies `rounds` random mutations to `v` in place.
pub fn mutate(rng: &mut StdRng, v: &mut Value, rounds: u32) {
    for _ in 0..rounds {
        let path = random_path(rng, v);
        let op = rng.gen_range(0..6);
        if op == 0
            && let Some((last, parent)) = path.split_last()
            && let Some(parent) = node_mut(v, parent)
        {
            // Delete the node from its parent.
            match (parent, last) {
                (Value::Object(m), Step::Key(k)) => {
                    m.remove(k);
                }
                (Value::Array(a), Step::Index(i)) if *i < a.len() => {
                    a.remove(*i);
                }
                _ => {}
            }
            continue;
        }
        let Some(node) = node_mut(v, &path) else {
            continue;
        };
        match (op, &mut *node) {
            // Duplicate an item of an array (many messages in one change).
            (1, Value::Array(a)) if !a.is_empty() => {
                let i = rng.gen_range(0..a.len());
                for _ in 0..rng.gen_range(1..4) {
                    a.push(a[i].clone());
                }
            }
            // Add or overwrite a field with a Meta word.
            (2, Value::Object(m)) => {
                let key = META_WORDS.choose(rng).copied().unwrap_or("id").to_string();
                m.insert(key, value(rng, 2));
            }
            _ => *node = replacement(rng, node),
        }
    }
}
