//! Real Meta webhook bodies (the shapes of the Cloud API reference §3.3–§3.7 as the
//! sandbox and wakit-meta's tests build them): the seeds the structure-aware targets
//! mutate.

use serde_json::{Value, json};

/// The business number's metadata in every `messages` change.
fn metadata() -> Value {
    json!({"display_phone_number": "15550783881", "phone_number_id": "106540352242922"})
}

/// A customer contact with phone and BSUID.
fn contact() -> Value {
    json!({"profile": {"name": "Sheena Nelson", "username": "sheena"}, "wa_id": "16505551234",
           "user_id": "US.13491208655302741918", "parent_user_id": "US.ENT.1349120865"})
}

/// `{"object":"whatsapp_business_account","entry":[{"id","time","changes":[{field,value}]}]}`.
fn envelope(field: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account",
           "entry": [{"id": "102290129340398", "time": 1_697_043_223,
                      "changes": [{"value": value, "field": field}]}]})
}

fn inbound(messages: Vec<Value>) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
               "contacts": [contact()], "messages": messages}),
    )
}

/// One inbound message of `kind` with its type object.
fn message(kind: &str, body: Value) -> Value {
    let mut m = json!({"from": "16505551234", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                       "timestamp": "1697043223", "type": kind});
    m[kind] = body;
    m
}

/// Messages of every type Meta delivers.
fn messages() -> Vec<Value> {
    vec![
        message("text", json!({"body": "Hola, ¿tienen envío?"})),
        message(
            "image",
            json!({"caption": "look", "mime_type": "image/jpeg", "sha256": "abc", "id": "111"}),
        ),
        message(
            "video",
            json!({"mime_type": "video/mp4", "sha256": "abc", "id": "222"}),
        ),
        message(
            "audio",
            json!({"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "333", "voice": true}),
        ),
        message(
            "document",
            json!({"caption": "inv", "filename": "x.pdf", "mime_type": "application/pdf", "sha256": "abc", "id": "444"}),
        ),
        message(
            "sticker",
            json!({"mime_type": "image/webp", "sha256": "abc", "id": "555", "animated": false}),
        ),
        message(
            "location",
            json!({"latitude": 37.46, "longitude": -122.21, "name": "HQ", "address": "1 Hacker Way"}),
        ),
        message(
            "contacts",
            json!([{"name": {"formatted_name": "Jane Doe", "first_name": "Jane"}, "phones": [{"phone": "+1 555", "wa_id": "1555", "type": "CELL"}]}]),
        ),
        message(
            "interactive",
            json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}),
        ),
        message(
            "interactive",
            json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Row", "description": "d"}}),
        ),
        message(
            "interactive",
            json!({"type": "nfm_reply", "nfm_reply": {"response_json": "{\"a\":1}", "body": "Sent", "name": "flow"}}),
        ),
        message("button", json!({"payload": "STOP_PROMOS", "text": "Stop"})),
        message(
            "order",
            json!({"catalog_id": "c1", "text": "t", "product_items": [{"product_retailer_id": "p", "quantity": 1, "item_price": 9.5, "currency": "USD"}]}),
        ),
        message(
            "reaction",
            json!({"message_id": "wamid.OUT", "emoji": "\u{1f62e}"}),
        ),
        message(
            "system",
            json!({"body": "User A changed from 1 to 2", "wa_id": "2", "type": "user_changed_number"}),
        ),
        message("unsupported", json!({"type": "poll"})),
    ]
}

/// A status of `word` for an outgoing message.
fn status(word: &str) -> Value {
    let mut s = json!({"id": "wamid.OUT", "status": word, "timestamp": "1697043300",
                       "recipient_id": "16505551234", "recipient_user_id": "US.13491208655302741918",
                       "biz_opaque_callback_data": "wakit:1"});
    match word {
        "failed" => {
            s["errors"] = json!([{"code": 131047, "title": "Re-engagement message",
                "message": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed"},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]);
        }
        "sent" | "delivered" => {
            s["conversation"] = json!({"id": "c1", "expiration_timestamp": "1697129700", "origin": {"type": "service"}});
            s["pricing"] = json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "service"});
        }
        _ => {}
    }
    s
}

/// The seed bodies: messages of every type (one per body and all in one body), statuses,
/// a BSUID-only customer, out-of-band errors, template and number updates, an unknown
/// field, several entries.
pub fn meta_bodies() -> Vec<Value> {
    let all = messages();
    let mut bodies: Vec<Value> = all.iter().map(|m| inbound(vec![m.clone()])).collect();
    bodies.push(inbound(all));
    let statuses: Vec<Value> = ["sent", "delivered", "read", "played", "failed"]
        .into_iter()
        .map(status)
        .collect();
    bodies.push(envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
               "contacts": [contact()], "statuses": statuses}),
    ));
    // A customer who adopted a username and shares no phone: BSUID only.
    bodies.push(envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
               "contacts": [{"profile": {"name": "Ana", "username": "ana.c"}, "user_id": "BR.998877665544332211"}],
               "messages": [{"from_user_id": "BR.998877665544332211", "from_parent_user_id": "BR.ENT.99",
                             "id": "wamid.BSUID", "timestamp": 1_697_043_223, "type": "text", "text": {"body": "oi"}}]}),
    ));
    bodies.push(envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
               "errors": [{"code": 130429, "title": "Rate limit hit", "message": "Rate limit hit"}]}),
    ));
    bodies.push(envelope(
        "message_template_status_update",
        json!({"event": "APPROVED", "message_template_id": 594_425_479_261_596_u64,
               "message_template_name": "order_update", "message_template_language": "en_US",
               "reason": "NONE", "message_template_category": "UTILITY"}),
    ));
    bodies.push(envelope(
        "message_template_quality_update",
        json!({"previous_quality_score": "GREEN", "new_quality_score": "YELLOW",
               "message_template_id": 594_425_479_261_596_u64, "message_template_name": "order_update",
               "message_template_language": "en_US"}),
    ));
    bodies.push(envelope(
        "phone_number_quality_update",
        json!({"display_phone_number": "15550783881", "event": "DOWNGRADE", "current_limit": "TIER_1K",
               "max_daily_conversations_per_business": "TIER_1K", "old_limit": "TIER_10K"}),
    ));
    bodies.push(envelope(
        "account_update",
        json!({"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"}),
    ));
    let mut two = inbound(vec![message("text", json!({"body": "a"}))]);
    if let (Some(entries), Some(first)) = (
        two.get_mut("entry").and_then(Value::as_array_mut),
        bodies.first().cloned(),
    ) {
        entries.extend(first["entry"].as_array().cloned().unwrap_or_default());
    }
    bodies.push(two);
    bodies
}
