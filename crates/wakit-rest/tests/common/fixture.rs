//! Two organizations, A and B, with a row or more in every table — and, on purpose, rows
//! of A that reference rows of B (the foreign keys allow it), so an embed without its
//! policy would show B's data.

use serde_json::{Value, json};

/// A fixture id: `id(0xA10)`.
pub fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

/// Organization A's id number.
pub const A: u128 = 0xA;
/// Organization B's id number.
pub const B: u128 = 0xB;

const T0: &str = "2026-01-02T03:04:05.123456Z";
const T1: &str = "2026-01-02T04:00:00Z";
const T2: &str = "2026-01-02T05:00:00.5Z";
const T3: &str = "2026-01-02T06:00:00Z";

fn stamped(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.insert("created_at".into(), json!(T0));
    o.insert("updated_at".into(), json!(T1));
    v
}

fn org(n: u128, name: &str) -> Value {
    stamped(json!({"id": id(n), "name": name, "timezone": "UTC", "extra": {"plan": name}}))
}

fn contact(n: u128, org: u128, name: Option<&str>, extra: Value) -> Value {
    stamped(json!({"id": id(n), "organization_id": id(org), "name": name, "extra": extra}))
}

fn address(org: u128, address: &str, contact: Option<u128>, profile: &str, extra: Value) -> Value {
    stamped(json!({
        "organization_id": id(org), "address": address, "wa_id": address,
        "contact_id": contact.map(id), "profile_name": profile, "extra": extra,
    }))
}

fn conversation(
    n: u128,
    org: u128,
    account: u128,
    contact_address: &str,
    last: Option<&str>,
    unread: i64,
) -> Value {
    stamped(json!({
        "id": id(n), "organization_id": id(org), "account_id": id(account),
        "contact_address": contact_address, "name": format!("chat {contact_address}"),
        "last_message_at": last, "unread_count": unread,
    }))
}

fn message(
    n: u128,
    org: u128,
    conv: u128,
    account: u128,
    direction: &str,
    at: &str,
    text: &str,
) -> Value {
    stamped(json!({
        "id": id(n), "organization_id": id(org), "conversation_id": id(conv),
        "account_id": id(account), "contact_address": "5511", "direction": direction,
        "content": {"type": "text", "text": text}, "status": "delivered", "timestamp": at,
    }))
}

/// Rows by table, in foreign-key order.
pub fn rows() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        ("organizations", vec![org(A, "Acme"), org(B, "Beta")]),
        (
            "organizations_addresses",
            vec![
                stamped(
                    json!({"id": id(0xA1), "organization_id": id(A), "address": "1001", "phone_number": "+15550001"}),
                ),
                stamped(
                    json!({"id": id(0xB1), "organization_id": id(B), "address": "2001", "phone_number": "+15550002"}),
                ),
            ],
        ),
        (
            "contacts",
            vec![
                contact(
                    0xA10,
                    A,
                    Some("Ana"),
                    json!({"vip": true, "tags": ["a", "b"], "n": 10}),
                ),
                contact(0xA11, A, Some("bob"), json!({"tags": ["b"], "n": 9})),
                contact(0xA12, A, None, json!({})),
                contact(0xB10, B, Some("Zed"), json!({"vip": true})),
            ],
        ),
        (
            "contacts_addresses",
            vec![
                address(
                    A,
                    "5511",
                    Some(0xA10),
                    "Ana P",
                    json!({"invitation": {"status": "pending"}}),
                ),
                address(A, "5522", Some(0xA11), "Bob, Jr.", json!({})),
                // A's address pointing at B's contact.
                address(A, "5533", Some(0xB10), "Leak", json!({})),
                // The same address in B: the composite key keeps them apart.
                address(B, "5511", Some(0xB10), "Zed Z", json!({})),
            ],
        ),
        (
            "conversations",
            vec![
                conversation(0xA20, A, 0xA1, "5511", Some(T3), 2),
                conversation(0xA21, A, 0xA1, "5522", None, 0),
                conversation(0xA22, A, 0xA1, "5533", Some(T1), 1),
                conversation(0xB20, B, 0xB1, "5511", Some(T2), 5),
            ],
        ),
        (
            "messages",
            vec![
                message(0xA30, A, 0xA20, 0xA1, "incoming", T1, "hi"),
                message(0xA31, A, 0xA20, 0xA1, "outgoing", T2, "hello"),
                message(0xA32, A, 0xA20, 0xA1, "internal", T3, "note"),
                message(0xA33, A, 0xA21, 0xA1, "incoming", T1, "yo"),
                // A's message in B's conversation.
                message(0xA34, A, 0xB20, 0xA1, "incoming", T0, "stray"),
                message(0xB30, B, 0xB20, 0xB1, "incoming", T2, "secret"),
            ],
        ),
        (
            "agents",
            vec![
                stamped(
                    json!({"id": id(0xA40), "organization_id": id(A), "user_id": id(0x1), "name": "Owner A", "ai": false, "extra": {"role": "owner"}}),
                ),
                stamped(
                    json!({"id": id(0xA41), "organization_id": id(A), "name": "Bot", "ai": true}),
                ),
                stamped(
                    json!({"id": id(0xB40), "organization_id": id(B), "user_id": id(0x2), "name": "Owner B", "ai": false}),
                ),
            ],
        ),
        (
            "api_keys",
            vec![
                stamped(
                    json!({"id": id(0xA50), "organization_id": id(A), "name": "ka", "key_hash": "ha", "prefix": "sk_a"}),
                ),
                stamped(
                    json!({"id": id(0xB50), "organization_id": id(B), "name": "kb", "key_hash": "hb", "prefix": "sk_b"}),
                ),
            ],
        ),
        (
            "webhooks",
            vec![
                stamped(
                    json!({"id": id(0xA60), "organization_id": id(A), "table_name": "messages", "operations": ["insert", "update"], "url": "https://a.example"}),
                ),
                stamped(
                    json!({"id": id(0xB60), "organization_id": id(B), "table_name": "messages", "operations": ["delete"], "url": "https://b.example"}),
                ),
            ],
        ),
        (
            "quick_replies",
            vec![
                stamped(
                    json!({"id": id(0xA70), "organization_id": id(A), "name": "hello", "content": "Hello!"}),
                ),
                stamped(
                    json!({"id": id(0xB70), "organization_id": id(B), "name": "bye", "content": "Bye!"}),
                ),
            ],
        ),
    ]
}
