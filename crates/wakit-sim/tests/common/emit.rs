//! Makes the sandbox emit every kind of webhook body and captures them signed, for the
//! independent parsers (tests/pywa.rs, tests/whatsapp_api_js.rs).

use serde_json::{Value, json};
use wakit_sim::{
    Inbound, MessagingLimit, Quality, Quirks, STATUS_KINDS, Sender, SimHandle, TemplateSpec,
    webhook_kind, webhook_kinds,
};

use super::*;

/// One message of every inbound kind (interactive replies and button taps answer
/// `context`, as Meta always sends them).
pub fn every_inbound(context: &str) -> Vec<wakit_sim::CustomerMessage> {
    let cards = json!([{"name": {"formatted_name": "Ana López", "first_name": "Ana"},
                        "phones": [{"phone": "+1 650 555 0000", "wa_id": "16505550000", "type": "CELL"}]}]);
    vec![
        Inbound::text("Hola, ¿tienen envío? 😮").into(),
        Inbound::Image {
            caption: Some("this one".into()),
        }
        .into(),
        Inbound::Video { caption: None }.into(),
        Inbound::Audio { voice: true }.into(),
        Inbound::Audio { voice: false }.into(),
        Inbound::Document {
            filename: "invoice.pdf".into(),
            caption: Some("the invoice".into()),
        }
        .into(),
        Inbound::Sticker { animated: true }.into(),
        Inbound::Location {
            latitude: 19.43,
            longitude: -99.13,
            name: Some("Zócalo".into()),
            address: Some("Centro, CDMX".into()),
        }
        .into(),
        Inbound::Location {
            latitude: 37.46,
            longitude: -122.21,
            name: None,
            address: None,
        }
        .into(),
        Inbound::Contacts(cards).into(),
        Inbound::Reaction {
            message_id: context.into(),
            emoji: "👍".into(),
        }
        .into(),
        Inbound::Reaction {
            message_id: context.into(),
            emoji: String::new(),
        }
        .into(),
        wakit_sim::CustomerMessage::from(Inbound::Button {
            payload: "STOP".into(),
            text: "Stop promotions".into(),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::ButtonReply {
            id: "yes".into(),
            title: "Yes".into(),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::ListReply {
            id: "r1".into(),
            title: "Tomorrow".into(),
            description: Some("9-12 h".into()),
        })
        .replying_to(context),
        wakit_sim::CustomerMessage::from(Inbound::text("a quoted reply")).replying_to(context),
        Inbound::Unsupported.into(),
    ]
}

pub async fn send(sim: &SimHandle, addr: Value, kind: &str, body: Value) -> String {
    let mut req = json!({"messaging_product": "whatsapp", "type": kind, kind: body,
                         "biz_opaque_callback_data": "tracker-1"});
    if let (Value::Object(r), Value::Object(a)) = (&mut req, addr) {
        r.extend(a);
    }
    let (status, answer) = graph_post(sim, &format!("/{PNID}/messages"), req).await;
    assert_eq!(status, 200, "{answer}");
    answer["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string()
}

/// Makes the sandbox emit every kind of webhook, from phone and username-only
/// customers, and sends to phones and BSUIDs.
pub async fn emit_everything(sim: &SimHandle) {
    let context = send(
        sim,
        json!({"to": "16505550111"}),
        "template",
        json!({"name": "hello", "language": {"code": "en_US"}}),
    )
    .await;
    let senders = [
        Sender::phone(CUSTOMER).named("Jane Phone"),
        Sender::username("@ana.username")
            .named("Ana Username")
            .country("MX"),
        Sender::phone("5215512345678").with_username("@ana.username"),
    ];
    for sender in &senders {
        for msg in every_inbound(&context) {
            sim.sender_writes(PNID, sender.clone(), msg)
                .expect("customer writes");
        }
    }
    let bsuid = sim.customer_bsuid("5215512345678").expect("bsuid");
    let text = json!({"body": "¡Hola!"});
    send(sim, json!({"to": CUSTOMER}), "text", text.clone()).await;
    send(sim, json!({"recipient": bsuid}), "text", text.clone()).await;
    // Never wrote: 131047. Unknown media id: 131053.
    send(sim, json!({"to": "16505550999"}), "text", text).await;
    send(
        sim,
        json!({"to": CUSTOMER}),
        "image",
        json!({"id": "999999999999999"}),
    )
    .await;

    let t = sim
        .add_template(
            WABA,
            TemplateSpec::body("order_update", "en_US", "UTILITY", "Hi {{1}}, order {{2}}")
                .status("PENDING"),
        )
        .expect("template");
    for status in wakit_sim::TEMPLATE_STATUSES {
        sim.set_template_status(&t.id, status).expect("status");
    }
    for q in wakit_sim::TEMPLATE_QUALITIES {
        sim.set_template_quality(&t.id, *q).expect("quality");
    }
    sim.set_quality(PNID, Quality::Red).expect("flagged");
    sim.set_quality(PNID, Quality::Green).expect("unflagged");
    sim.set_limit(PNID, MessagingLimit::Tier250)
        .expect("downgrade");
    sim.set_limit(PNID, MessagingLimit::Unlimited)
        .expect("upgrade");
    sim.set_throughput(PNID, 1000).expect("throughput");
}

/// Starts a sandbox posting to a receiver, makes it emit every kind, and returns the
/// accepted bodies as `[{"kind", "body" (exact text), "signature"}]`, after checking
/// every body is a known kind and the identity variants are among them.
pub async fn capture_every_kind() -> Vec<Value> {
    let rx = Receiver::start(&[]).await;
    let (sim, _n) = sim_with(Some(&rx.url), Quirks::none()).await;
    sim.add_template(
        WABA,
        TemplateSpec::body("hello", "en_US", "MARKETING", "Hello!"),
    )
    .expect("template");
    emit_everything(&sim).await;
    assert!(sim.wait_webhooks_idle(WAIT).await, "webhooks drain");

    let all_kinds = webhook_kinds();
    let mut bodies = Vec::new();
    for r in rx.accepted() {
        let kind = webhook_kind(&r.json).unwrap_or_else(|| panic!("unclassified body {}", r.json));
        assert!(
            all_kinds.contains(&kind),
            "{kind} is not in webhook_kinds()"
        );
        bodies.push(json!({"kind": kind,
            "body": String::from_utf8(r.raw.to_vec()).expect("ASCII body"),
            "signature": r.signature.clone().expect("signature header")}));
    }
    let statuses = statuses(&rx.accepted());
    assert!(
        STATUS_KINDS
            .iter()
            .all(|k| statuses.iter().any(|s| s["status"] == *k))
    );
    assert!(
        statuses.iter().any(|s| s.get("recipient_id").is_none()),
        "a status of a BSUID send is among the bodies"
    );
    assert!(
        rx.messages().iter().any(|m| m.get("from").is_none()),
        "a username-only message is among the bodies"
    );
    sim.shutdown().await;
    bodies
}
