//! Webhook envelopes: batches, statuses, other fields, and the GET handshake.

use chrono::DateTime;
use serde_json::{Value, json};
use wakit_core::{MessageContent, MessageStatus};
use wakit_meta::{WebhookEvent, parse_webhook, parse_webhook_value, verify_challenge};

fn envelope(field: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": field, "value": value}]}]})
}

fn meta_value(extra: Value) -> Value {
    let mut v = json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}});
    for (k, x) in extra.as_object().expect("object").clone() {
        v[k] = x;
    }
    v
}

#[test]
fn reference_envelope_yields_one_message() {
    let body = envelope(
        "messages",
        meta_value(json!({
            "contacts": [{"profile": {"name": "Jane"}, "wa_id": "16505551234", "user_id": "US.13491208655302741918"}],
            "messages": [{"from": "16505551234", "id": "wamid.A", "timestamp": "1697043223", "type": "text", "text": {"body": "Hi"}}]
        })),
    );
    let events = parse_webhook(body.to_string().as_bytes());
    assert_eq!(
        events,
        vec![WebhookEvent::Message {
            phone_number_id: "106540352242922".into(),
            display_phone_number: "15550783881".into(),
            from: Some("16505551234".into()),
            user_id: Some("US.13491208655302741918".into()),
            parent_user_id: None,
            username: None,
            profile_name: Some("Jane".into()),
            wamid: "wamid.A".into(),
            timestamp: DateTime::from_timestamp(1697043223, 0).expect("ts"),
            content: MessageContent::text("Hi"),
        }]
    );
}

#[test]
fn one_malformed_item_does_not_drop_the_others() {
    let good = |id: &str| json!({"from": "16505551234", "id": id, "timestamp": 1697043223, "type": "text", "text": {"body": id}});
    let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "W", "changes": [
            {"field": "messages", "value": meta_value(json!({
                "messages": [good("wamid.1"), {"from": "1", "type": "text"}, good("wamid.2"), "garbage"],
                "statuses": [{"id": "wamid.S", "status": "sent", "timestamp": "1750857384"}, {"status": "read"},
                             {"id": "wamid.T", "status": "exploded", "timestamp": "1"}]
            }))},
            {"field": "messages"},
            {"field": "messages", "value": {"messages": [good("wamid.3")]}}
        ]},
        {"id": "W2"},
        {"id": "W3", "changes": [{"field": "messages", "value": meta_value(json!({"messages": [good("wamid.4")]}))}]}
    ]});
    let events = parse_webhook_value(&body);
    let wamids: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            WebhookEvent::Message { wamid, .. } | WebhookEvent::Status { wamid, .. } => {
                Some(wamid.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(wamids, ["wamid.1", "wamid.2", "wamid.S", "wamid.4"]);
    let invalid: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            WebhookEvent::Invalid { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    // 2 bad messages, 2 bad statuses, change without value, message without metadata, entry without changes.
    assert_eq!(invalid.len(), 7, "{invalid:?}");
    assert!(invalid.iter().any(|r| r.contains("exploded")));
}

#[test]
fn not_json_or_wrong_envelope_is_invalid_not_a_panic() {
    assert!(matches!(
        parse_webhook(b"{nope").as_slice(),
        [WebhookEvent::Invalid { .. }]
    ));
    assert!(matches!(
        parse_webhook(b"[]").as_slice(),
        [WebhookEvent::Invalid { .. }]
    ));
    let page = json!({"object": "page", "entry": []});
    assert!(matches!(
        parse_webhook_value(&page).as_slice(),
        [WebhookEvent::Invalid { .. }]
    ));
}

/// (status, recipient_id, errors, biz_opaque_callback_data)
type StatusRow = (MessageStatus, Option<String>, Option<Value>, Option<String>);

#[test]
fn statuses_including_failed_and_played() {
    let failed_errors = json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]);
    let body = envelope(
        "messages",
        meta_value(json!({"statuses": [
            {"id": "wamid.O", "status": "sent", "timestamp": "1750857384", "recipient_id": "16505551234",
             "biz_opaque_callback_data": "order-42",
             "conversation": {"id": "a75d", "expiration_timestamp": "1750943820", "origin": {"type": "service"}},
             "pricing": {"billable": true, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}},
            {"id": "wamid.O", "status": "delivered", "timestamp": "1750857385", "recipient_id": "16505551234"},
            {"id": "wamid.O", "status": "read", "timestamp": "1750857386", "recipient_id": "16505551234"},
            {"id": "wamid.V", "status": "played", "timestamp": "1750857387"},
            {"id": "wamid.F", "status": "failed", "timestamp": "1750857388", "recipient_id": "16505551234", "errors": failed_errors.clone()}
        ]})),
    );
    let events = parse_webhook_value(&body);
    let got: Vec<StatusRow> = events
        .into_iter()
        .map(|e| match e {
            WebhookEvent::Status {
                status,
                recipient_id,
                errors,
                biz_opaque_callback_data,
                phone_number_id,
                ..
            } => {
                assert_eq!(phone_number_id, "106540352242922");
                (status, recipient_id, errors, biz_opaque_callback_data)
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let r = Some("16505551234".to_string());
    assert_eq!(
        got[0],
        (
            MessageStatus::Sent,
            r.clone(),
            None,
            Some("order-42".into())
        )
    );
    assert_eq!(got[1].0, MessageStatus::Delivered);
    assert_eq!(got[2].0, MessageStatus::Read);
    assert_eq!(got[3], (MessageStatus::Read, None, None, None));
    assert_eq!(
        got[4],
        (MessageStatus::Failed, r, Some(failed_errors), None)
    );
}

#[test]
fn value_errors_template_and_number_updates() {
    let errs = json!([{"code": 130429, "title": "Rate limit hit", "message": "Rate limit hit"}]);
    let events = parse_webhook_value(&envelope(
        "messages",
        meta_value(json!({"errors": errs.clone()})),
    ));
    assert_eq!(
        events,
        vec![WebhookEvent::Errors {
            phone_number_id: Some("106540352242922".into()),
            errors: errs
        }]
    );

    let tpl = json!({"event": "APPROVED", "message_template_id": 1689556908129832u64,
        "message_template_name": "order_update", "message_template_language": "en_US", "reason": "NONE"});
    assert_eq!(
        parse_webhook_value(&envelope("message_template_status_update", tpl)),
        vec![WebhookEvent::TemplateStatus {
            waba_id: "102290129340398".into(),
            template_id: "1689556908129832".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            event: "APPROVED".into(),
        }]
    );

    let quality = json!({"display_phone_number": "15550783881", "event": "DOWNGRADE", "current_limit": "TIER_1K"});
    match parse_webhook_value(&envelope("phone_number_quality_update", quality.clone())).as_slice()
    {
        [
            WebhookEvent::NumberUpdate {
                waba_id,
                display_phone_number,
                field,
                value,
            },
        ] => {
            assert_eq!(waba_id, "102290129340398");
            assert_eq!(display_phone_number.as_deref(), Some("15550783881"));
            assert_eq!(field, "phone_number_quality_update");
            assert_eq!(value, &quality);
        }
        other => panic!("unexpected {other:?}"),
    }
    let account = json!({"event": "ACCOUNT_RESTRICTION", "restriction_info": [{"restriction_type": "RESTRICTED_ADD_PHONE_NUMBER_ACTION", "expiration": 1}]});
    assert!(matches!(
        parse_webhook_value(&envelope("account_update", account)).as_slice(),
        [WebhookEvent::NumberUpdate {
            display_phone_number: None,
            ..
        }]
    ));
    let prefs = json!({"user_preferences": [{"wa_id": "1", "category": "marketing_messages", "value": "stop", "timestamp": 1}]});
    assert_eq!(
        parse_webhook_value(&envelope("user_preferences", prefs.clone())),
        vec![WebhookEvent::Unknown {
            field: "user_preferences".into(),
            value: prefs
        }]
    );
}

#[test]
fn profile_name_matches_the_sender() {
    let body = envelope(
        "messages",
        meta_value(json!({
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "1111111111"}, {"profile": {"name": "Bo"}, "wa_id": "2222222222"}],
            "messages": [{"from": "2222222222", "id": "wamid.B", "timestamp": "1", "type": "text", "text": {"body": "x"}},
                         {"from_user_id": "US.1", "id": "wamid.C", "timestamp": "1", "type": "text", "text": {"body": "y"}}]
        })),
    );
    let names: Vec<(Option<String>, Option<String>, Option<String>)> = parse_webhook_value(&body)
        .into_iter()
        .filter_map(|e| match e {
            WebhookEvent::Message {
                from,
                user_id,
                profile_name,
                ..
            } => Some((from, user_id, profile_name)),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            (Some("2222222222".into()), None, Some("Bo".into())),
            (None, Some("US.1".into()), None)
        ]
    );
}

/// Meta 2026: a customer who adopted a username writes with no phone number.
#[test]
fn username_customer_without_a_phone() {
    let body = envelope(
        "messages",
        meta_value(json!({
            "contacts": [{"profile": {"name": "Ana Username", "username": "@ana"},
                          "user_id": "MX.1234567890123456789", "parent_user_id": "MX.ENT.77"}],
            "messages": [{"from_user_id": "MX.1234567890123456789", "id": "wamid.U",
                          "timestamp": "1697043223", "type": "text", "text": {"body": "hola"}}]
        })),
    );
    let events = parse_webhook_value(&body);
    let [
        WebhookEvent::Message {
            from,
            user_id,
            parent_user_id,
            username,
            profile_name,
            ..
        },
    ] = &events[..]
    else {
        panic!("one message: {events:?}");
    };
    assert_eq!(from, &None);
    assert_eq!(user_id.as_deref(), Some("MX.1234567890123456789"));
    assert_eq!(parent_user_id.as_deref(), Some("MX.ENT.77"));
    assert_eq!(username.as_deref(), Some("@ana"));
    assert_eq!(profile_name.as_deref(), Some("Ana Username"));
}

#[test]
fn verification_handshake() {
    let ok = verify_challenge(Some("subscribe"), Some("tok"), Some("1158201444"), "tok");
    assert_eq!(ok.as_deref(), Some("1158201444"));
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("bad"), Some("1"), "tok"),
        None
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("to"), Some("1"), "tok"),
        None
    );
    assert_eq!(
        verify_challenge(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
        None
    );
    assert_eq!(verify_challenge(None, Some("tok"), Some("1"), "tok"), None);
    assert_eq!(
        verify_challenge(Some("subscribe"), None, Some("1"), "tok"),
        None
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some(""), Some("1"), ""),
        None
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), None, "tok"),
        None
    );
}
