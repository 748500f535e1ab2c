//! `send_payload` for each sendable kind (reference §1.3).

use serde_json::json;
use wakit_core::MessageContent;
use wakit_core::content::{FileRef, Kind};
use wakit_meta::send_payload;

fn file(uri: &str, name: Option<&str>) -> FileRef {
    FileRef {
        mime_type: "application/pdf".into(),
        uri: uri.into(),
        name: name.map(Into::into),
        size: 0,
        ..FileRef::default()
    }
}

#[test]
fn text_with_and_without_urls() {
    let p = send_payload("16505551234", &MessageContent::text("Hola"), None).expect("ok");
    assert_eq!(
        p,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
               "type": "text", "text": {"body": "Hola"}})
    );
    let p = send_payload(
        "1",
        &MessageContent::text("Check https://example.com").replying_to("wamid.P"),
        Some("msg-7"),
    )
    .expect("ok");
    assert_eq!(
        p["text"],
        json!({"body": "Check https://example.com", "preview_url": true})
    );
    assert_eq!(p["context"], json!({"message_id": "wamid.P"}));
    assert_eq!(p["biz_opaque_callback_data"], "msg-7");
    assert!(send_payload("1", &MessageContent::text("  "), None).is_err());
}

#[test]
fn template_passes_metas_object() {
    let tpl = json!({"name": "hello_world", "language": {"code": "es"}, "components": []});
    let p = send_payload("1", &MessageContent::template(tpl.clone()), None).expect("ok");
    assert_eq!(p["type"], "template");
    assert_eq!(p["template"], tpl);
    assert!(send_payload("1", &MessageContent::template(json!("x")), None).is_err());
}

#[test]
fn media_by_id_or_link() {
    let doc = MessageContent::file(
        Kind::Document,
        file("https://example.com/inv.pdf", Some("inv-42.pdf")),
        Some("Invoice".into()),
    )
    .expect("file");
    let p = send_payload("1", &doc, None).expect("ok");
    assert_eq!(
        p["document"],
        json!({"link": "https://example.com/inv.pdf", "caption": "Invoice", "filename": "inv-42.pdf"})
    );

    let img = MessageContent::file(
        Kind::Image,
        file("meta://1037543291543636", Some("x.jpg")),
        Some("cap".into()),
    )
    .expect("file");
    assert_eq!(
        send_payload("1", &img, None).expect("ok")["image"],
        json!({"id": "1037543291543636", "caption": "cap"})
    );

    let vid = MessageContent::file(Kind::Video, file("meta://9", None), None).expect("file");
    assert_eq!(
        send_payload("1", &vid, None).expect("ok")["video"],
        json!({"id": "9"})
    );

    // Audio and stickers take no caption.
    for kind in [Kind::Audio, Kind::Sticker] {
        let c = MessageContent::file(kind, file("meta://5", Some("n")), Some("ignored".into()))
            .expect("file");
        assert_eq!(
            send_payload("1", &c, None).expect("ok")[kind.as_str()],
            json!({"id": "5"})
        );
    }
    for uri in [
        "internal://bucket/x",
        "http://example.com/x",
        "meta://",
        "/tmp/x",
    ] {
        let c = MessageContent::file(Kind::Image, file(uri, None), None).expect("file");
        assert!(send_payload("1", &c, None).is_err(), "{uri}");
    }
}

#[test]
fn location_contacts_interactive() {
    let loc = json!({"latitude": 37.4847, "longitude": -122.1473, "name": "HQ", "address": "1 Hacker Way"});
    let p = send_payload(
        "1",
        &MessageContent::data(Kind::Location, loc.clone()).expect("data"),
        None,
    )
    .expect("ok");
    assert_eq!(p["location"], loc);
    let bad = MessageContent::data(Kind::Location, json!({"latitude": "x"})).expect("data");
    assert!(send_payload("1", &bad, None).is_err());

    let card = json!({"name": {"formatted_name": "Jane Doe"}, "phones": [{"phone": "+1 555-555-5555", "type": "CELL"}]});
    let p = send_payload(
        "1",
        &MessageContent::data(Kind::Contacts, json!([card.clone()])).expect("data"),
        None,
    )
    .expect("ok");
    assert_eq!(p["contacts"], json!([card.clone()]));
    let p = send_payload(
        "1",
        &MessageContent::data(Kind::Contacts, card.clone()).expect("data"),
        None,
    )
    .expect("ok");
    assert_eq!(p["contacts"], json!([card]));

    let inter = json!({"type": "button", "body": {"text": "Ok?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}});
    let c = MessageContent::data(Kind::Interactive, inter.clone())
        .expect("data")
        .replying_to("wamid.Q");
    let p = send_payload("1", &c, None).expect("ok");
    assert_eq!(p["type"], "interactive");
    assert_eq!(p["interactive"], inter);
    assert_eq!(p["context"]["message_id"], "wamid.Q");
}

#[test]
fn reaction_targets_without_context() {
    let p = send_payload("1", &MessageContent::reaction("👍", "wamid.R"), None).expect("ok");
    assert_eq!(
        p["reaction"],
        json!({"message_id": "wamid.R", "emoji": "👍"})
    );
    assert!(p.get("context").is_none());
    let removal = send_payload("1", &MessageContent::reaction("", "wamid.R"), None).expect("ok");
    assert_eq!(removal["reaction"]["emoji"], "");
}

#[test]
fn unsendable_kinds_are_refused() {
    let kinds = [Kind::Button, Kind::Order, Kind::Unsupported];
    for kind in kinds {
        let c = MessageContent::data(kind, json!({"a": 1})).expect("data");
        let err = send_payload("1", &c, None).expect_err("refused");
        assert_eq!(err.kind, kind);
    }
}
