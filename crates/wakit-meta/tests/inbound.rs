//! Every `messages[]` type of reference §3.4, in Meta's exact shapes, → v1 parts.

use serde_json::{Value, json};
use wakit_core::MessageContent;
use wakit_core::content::{Kind, PartType};
use wakit_meta::inbound::message_content;

fn msg(kind: &str, extra: Value) -> Value {
    let mut m =
        json!({"from": "16505551234", "id": "wamid.IN1", "timestamp": "1697043223", "type": kind});
    for (k, v) in extra.as_object().expect("object").clone() {
        m[k] = v;
    }
    m
}

#[test]
fn text() {
    let c = message_content(&msg("text", json!({"text": {"body": "Hi"}})));
    assert_eq!(c, MessageContent::text("Hi"));
}

#[test]
fn media_kinds_become_file_parts_with_meta_uris() {
    let cases = [
        (
            "image",
            json!({"caption": "look", "mime_type": "image/jpeg", "sha256": "abc", "id": "111", "url": "https://lookaside.fbsbx.com/x"}),
            Kind::Image,
            Some("look"),
            None,
        ),
        (
            "video",
            json!({"caption": "vid", "mime_type": "video/mp4", "sha256": "abc", "id": "222"}),
            Kind::Video,
            Some("vid"),
            None,
        ),
        (
            "audio",
            json!({"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "333", "voice": true}),
            Kind::Audio,
            None,
            None,
        ),
        (
            "document",
            json!({"caption": "inv", "filename": "x.pdf", "mime_type": "application/pdf", "sha256": "abc", "id": "444"}),
            Kind::Document,
            Some("inv"),
            Some("x.pdf"),
        ),
        (
            "sticker",
            json!({"mime_type": "image/webp", "sha256": "abc", "id": "555", "animated": false}),
            Kind::Sticker,
            None,
            None,
        ),
    ];
    for (name, obj, kind, caption, filename) in cases {
        let id = obj["id"].as_str().expect("id").to_string();
        let mime = obj["mime_type"].as_str().expect("mime").to_string();
        let c = message_content(&msg(name, json!({ name: obj })));
        assert_eq!(c.kind, kind, "{name}");
        assert_eq!(c.part_type, PartType::File);
        let file = c.file.as_ref().expect("file");
        assert_eq!(file.uri, format!("meta://{id}"));
        assert_eq!(file.mime_type, mime);
        assert_eq!(file.name.as_deref(), filename);
        assert_eq!(c.text.as_deref(), caption, "{name}");
        // Round-trips through the stored JSON shape.
        let back: MessageContent =
            serde_json::from_value(serde_json::to_value(&c).expect("ser")).expect("de");
        assert_eq!(back, c);
    }
}

#[test]
fn data_kinds_keep_metas_object() {
    let location =
        json!({"latitude": 37.46, "longitude": -122.21, "name": "HQ", "address": "1 Hacker Way"});
    let contacts = json!([{"name": {"formatted_name": "Jane Doe", "first_name": "Jane"}, "phones": [{"phone": "+1 555", "wa_id": "1555", "type": "CELL"}]}]);
    let button_reply =
        json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}});
    let list_reply = json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Row", "description": "d"}});
    let nfm = json!({"type": "nfm_reply", "nfm_reply": {"response_json": "{\"a\":1}", "body": "Sent", "name": "flow"}});
    let button = json!({"payload": "STOP_PROMOS", "text": "Stop"});
    let order = json!({"catalog_id": "c1", "text": "t", "product_items": [{"product_retailer_id": "p", "quantity": 1, "item_price": 9.5, "currency": "USD"}]});
    let cases = [
        ("location", location, Kind::Location),
        ("contacts", contacts, Kind::Contacts),
        ("interactive", button_reply, Kind::Interactive),
        ("interactive", list_reply, Kind::Interactive),
        ("interactive", nfm, Kind::Interactive),
        ("button", button, Kind::Button),
        ("order", order, Kind::Order),
    ];
    for (name, obj, kind) in cases {
        let c = message_content(&msg(name, json!({ name: obj.clone() })));
        assert_eq!(c.kind, kind, "{name}");
        assert_eq!(c.data.as_ref(), Some(&obj), "{name}");
    }
}

#[test]
fn button_tap_links_to_the_template_message() {
    let item = msg(
        "button",
        json!({"button": {"payload": "P", "text": "Yes"}, "context": {"from": "15550783881", "id": "wamid.TPL"}}),
    );
    let c = message_content(&item);
    assert_eq!(c.kind, Kind::Button);
    assert_eq!(c.re_message_id.as_deref(), Some("wamid.TPL"));
}

#[test]
fn reactions_and_removals() {
    let c = message_content(&msg(
        "reaction",
        json!({"reaction": {"message_id": "wamid.OUT", "emoji": "\u{1f62e}"}}),
    ));
    assert_eq!(c, MessageContent::reaction("😮", "wamid.OUT"));
    let removed = message_content(&msg(
        "reaction",
        json!({"reaction": {"message_id": "wamid.OUT"}}),
    ));
    assert_eq!(removed, MessageContent::reaction("", "wamid.OUT"));
    // A reaction without a target is kept, not dropped.
    let bad = msg("reaction", json!({"reaction": {"emoji": "x"}}));
    assert_eq!(
        message_content(&bad),
        MessageContent::unsupported(bad.clone())
    );
}

#[test]
fn context_reply_and_forwarded() {
    let c = message_content(&msg(
        "text",
        json!({"text": {"body": "re"}, "context": {"from": "15550783881", "id": "wamid.PREV"}}),
    ));
    assert_eq!(c.re_message_id.as_deref(), Some("wamid.PREV"));
    assert_eq!(c.forwarded, None);
    let f = message_content(&msg(
        "text",
        json!({"text": {"body": "fw"}, "context": {"frequently_forwarded": true}}),
    ));
    assert_eq!(f.forwarded, Some(true));
    assert_eq!(f.re_message_id, None);
}

#[test]
fn unknown_and_contentless_types_are_kept_raw() {
    let items = [
        msg(
            "system",
            json!({"system": {"body": "User A changed from 1 to 2", "wa_id": "2", "type": "user_changed_number"}}),
        ),
        msg(
            "unsupported",
            json!({"errors": [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown", "error_data": {"details": "Message type is currently not supported."}}], "unsupported": {"type": "poll"}}),
        ),
        msg("unknown", json!({})),
        msg("request_welcome", json!({})),
        msg(
            "edit",
            json!({"edit": {"original_message_id": "wamid.A", "message": {"type": "text", "text": {"body": "x"}}}}),
        ),
        msg(
            "revoke",
            json!({"revoke": {"original_message_id": "wamid.A"}}),
        ),
        msg("poll_v9", json!({"poll_v9": {"q": 1}})),
        // Known types with broken payloads.
        msg("text", json!({"text": "not an object"})),
        msg("image", json!({"image": {"mime_type": "image/jpeg"}})),
        msg("location", json!({})),
    ];
    for item in items {
        let c = message_content(&item);
        assert_eq!(c.kind, Kind::Unsupported, "{item}");
        assert_eq!(c.data.as_ref(), Some(&item));
    }
}
