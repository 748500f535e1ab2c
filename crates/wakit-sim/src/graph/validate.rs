//! Validation of `POST /messages` bodies (reference §1.1, §1.3): the envelope and each
//! message type's object, with Meta's codes (100, 131008, 131009, 131021, 131051).

use serde_json::{Map, Value};
use std::collections::HashSet;

use super::GraphError;
use crate::identity::is_bsuid;
use crate::number::normalize_phone;

/// Whom a send addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    /// `to`: phone digits.
    Phone(String),
    /// `recipient`: a BSUID or parent BSUID.
    Bsuid(String),
}

/// What the envelope says.
pub(crate) struct Envelope {
    /// `to` or `recipient` as given (the answer's `contacts[].input`).
    pub to: String,
    pub address: Address,
    pub kind: String,
    pub biz_opaque_callback_data: Option<String>,
}

/// Where a media message's file comes from.
pub(crate) enum MediaRef {
    Id(String),
    Link(String),
}

const TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn obj<'a>(v: &'a Value, name: &str) -> Result<&'a Map<String, Value>, GraphError> {
    match v.as_object() {
        Some(o) => member(o, name),
        None => Err(GraphError::missing(format!("{name} is required"))),
    }
}

fn member<'a>(o: &'a Map<String, Value>, name: &str) -> Result<&'a Map<String, Value>, GraphError> {
    match o.get(name) {
        None | Some(Value::Null) => Err(GraphError::missing(format!("{name} is required"))),
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(GraphError::invalid(format!("{name} must be an object"))),
    }
}

fn text_field<'a>(o: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, GraphError> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(GraphError::missing(format!("{path}['{key}'] is required")))
        }
        Some(_) => Err(GraphError::invalid(format!(
            "{path}['{key}'] must be a string"
        ))),
    }
}

fn max_len(o: &Map<String, Value>, path: &str, key: &str, max: usize) -> Result<(), GraphError> {
    match o.get(key) {
        Some(Value::String(s)) if chars(s) > max => Err(GraphError::invalid(format!(
            "{path}['{key}'] is too long. Max length is {max}"
        ))),
        Some(Value::String(_)) | None | Some(Value::Null) => Ok(()),
        Some(_) => Err(GraphError::invalid(format!(
            "{path}['{key}'] must be a string"
        ))),
    }
}

/// Checks the common envelope.
pub(crate) fn envelope(req: &Value, business_digits: &str) -> Result<Envelope, GraphError> {
    if !req.is_object() {
        return Err(GraphError::param(
            "The parameter messaging_product is required.",
        ));
    }
    match req.get("messaging_product").and_then(Value::as_str) {
        None => {
            return Err(GraphError::param(
                "The parameter messaging_product is required.",
            ));
        }
        Some(p) if !p.eq_ignore_ascii_case("whatsapp") => {
            return Err(GraphError::param(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{p}\"."
            )));
        }
        Some(_) => {}
    }
    match req.get("recipient_type").and_then(Value::as_str) {
        None | Some("individual") => {}
        Some("group") => {
            return Err(GraphError::invalid(
                "Group messages are not supported by the sandbox.",
            ));
        }
        Some(other) => {
            return Err(GraphError::param(format!(
                "Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got \"{other}\"."
            )));
        }
    }
    let (to, address) = address(req, business_digits)?;
    let kind = match req.get("type") {
        None | Some(Value::Null) => "text".to_string(),
        Some(Value::String(t)) => t.to_ascii_lowercase(),
        Some(_) => return Err(GraphError::param("Param type must be a string.")),
    };
    if !TYPES.contains(&kind.as_str()) {
        return Err(GraphError::wa(
            131051,
            axum::http::StatusCode::BAD_REQUEST,
            "Unsupported message type",
            format!("Message type {kind} is not supported."),
        ));
    }
    let biz_opaque_callback_data = match req.get("biz_opaque_callback_data") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if chars(s) <= 512 => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(GraphError::param(
                "Param biz_opaque_callback_data must be at most 512 characters long.",
            ));
        }
        Some(_) => {
            return Err(GraphError::param(
                "Param biz_opaque_callback_data must be a string.",
            ));
        }
    };
    if let Some(ctx) = req.get("context").filter(|c| !c.is_null()) {
        let ok = ctx
            .get("message_id")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty());
        if !ok {
            return Err(GraphError::missing("context['message_id'] is required"));
        }
    }
    Ok(Envelope {
        to,
        address,
        kind,
        biz_opaque_callback_data,
    })
}

/// Checks the object of a non-template type. Media messages return their source.
pub(crate) fn body(kind: &str, req: &Value) -> Result<Option<MediaRef>, GraphError> {
    match kind {
        "text" => {
            let o = obj(req, "text")?;
            let body = text_field(o, "text", "body")?;
            if chars(body) > 4096 {
                return Err(GraphError::param(
                    "Param text['body'] must be at most 4096 characters long.",
                ));
            }
            if o.get("preview_url").is_some_and(|p| !p.is_boolean()) {
                return Err(GraphError::param(
                    "Param text['preview_url'] must be a boolean.",
                ));
            }
            Ok(None)
        }
        "image" | "video" | "audio" | "document" | "sticker" => {
            media(kind, obj(req, kind)?).map(Some)
        }
        "location" => {
            let o = obj(req, "location")?;
            let coord = |k: &str, limit: f64| match o.get(k) {
                Some(v) if v.as_f64().is_some_and(|x| x.abs() <= limit) => Ok(()),
                Some(Value::Null) | None => {
                    Err(GraphError::missing(format!("location['{k}'] is required")))
                }
                Some(_) => Err(GraphError::invalid(format!(
                    "location['{k}'] is not a valid coordinate"
                ))),
            };
            coord("latitude", 90.0)?;
            coord("longitude", 180.0)?;
            Ok(None)
        }
        "contacts" => {
            let cards = match req.get("contacts") {
                Some(Value::Array(a)) if !a.is_empty() => a,
                Some(Value::Null) | None => {
                    return Err(GraphError::missing("contacts is required"));
                }
                Some(_) => return Err(GraphError::invalid("contacts must be a non-empty array")),
            };
            for (i, c) in cards.iter().enumerate() {
                let named = c
                    .pointer("/name/formatted_name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.trim().is_empty());
                if !named {
                    return Err(GraphError::missing(format!(
                        "contacts[{i}]['name']['formatted_name'] is required"
                    )));
                }
            }
            Ok(None)
        }
        "reaction" => {
            let o = obj(req, "reaction")?;
            text_field(o, "reaction", "message_id")?;
            match o.get("emoji") {
                Some(Value::String(_)) => Ok(None),
                Some(Value::Null) | None => {
                    Err(GraphError::missing("reaction['emoji'] is required"))
                }
                Some(_) => Err(GraphError::invalid("reaction['emoji'] must be a string")),
            }
        }
        "interactive" => interactive(obj(req, "interactive")?).map(|_| None),
        _ => Ok(None),
    }
}

fn media(kind: &str, o: &Map<String, Value>) -> Result<MediaRef, GraphError> {
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let link = o
        .get("link")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let source = match (id, link) {
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid(format!(
                "{kind} must have either id or link, not both"
            )));
        }
        (None, None) => {
            return Err(GraphError::missing(format!(
                "{kind}['id'] or {kind}['link'] is required"
            )));
        }
        (Some(id), None) => MediaRef::Id(id.to_string()),
        (None, Some(link)) => {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(GraphError::invalid(format!(
                    "{kind}['link'] must be an http(s) URL"
                )));
            }
            MediaRef::Link(link.to_string())
        }
    };
    if matches!(kind, "audio" | "sticker") && o.contains_key("caption") {
        return Err(GraphError::invalid(format!(
            "{kind} messages cannot have a caption"
        )));
    }
    max_len(o, kind, "caption", 1024)?;
    if kind == "audio" && o.get("voice").is_some_and(|v| !v.is_boolean()) {
        return Err(GraphError::invalid("audio['voice'] must be a boolean"));
    }
    Ok(source)
}

fn interactive(o: &Map<String, Value>) -> Result<(), GraphError> {
    let kind = text_field(o, "interactive", "type")?;
    let needs_body = matches!(
        kind,
        "button"
            | "list"
            | "cta_url"
            | "flow"
            | "product_list"
            | "voice_call"
            | "request_contact_info"
    );
    match kind {
        "button"
        | "list"
        | "cta_url"
        | "flow"
        | "product"
        | "product_list"
        | "catalog_message"
        | "location_request_message"
        | "call_permission_request"
        | "voice_call"
        | "request_contact_info" => {}
        other => {
            return Err(GraphError::invalid(format!(
                "interactive type {other} is not valid"
            )));
        }
    }
    if needs_body {
        let body = member(o, "body")?;
        text_field(body, "interactive['body']", "text")?;
        max_len(body, "interactive['body']", "text", 1024)?;
    }
    if let Some(Value::Object(footer)) = o.get("footer") {
        max_len(footer, "interactive['footer']", "text", 60)?;
    }
    if let Some(Value::Object(header)) = o.get("header") {
        let htype = header
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind == "list" && htype != "text" {
            return Err(GraphError::invalid(
                "list messages only support text headers",
            ));
        }
        if htype == "text" {
            text_field(header, "interactive['header']", "text")?;
            max_len(header, "interactive['header']", "text", 60)?;
        }
    }
    let action = member(o, "action")?;
    match kind {
        "button" => buttons(action),
        "list" => list(action),
        "cta_url" => {
            let params = member(action, "parameters")?;
            let text = text_field(params, "action['parameters']", "display_text")?;
            if chars(text) > 20 {
                return Err(GraphError::invalid(
                    "display_text is too long. Max length is 20",
                ));
            }
            let url = text_field(params, "action['parameters']", "url")?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(GraphError::invalid(
                    "action['parameters']['url'] must be an http(s) URL",
                ));
            }
            Ok(())
        }
        "voice_call" => voice_call(action),
        _ => Ok(()),
    }
}

/// `voice_call` action: `{"name": "voice_call", "parameters": {"display_text"? (≤ 20),
/// "ttl_minutes"? (1..=43200)}}`.
fn voice_call(action: &Map<String, Value>) -> Result<(), GraphError> {
    let Some(Value::Object(params)) = action.get("parameters") else {
        return Ok(());
    };
    max_len(params, "action['parameters']", "display_text", 20)?;
    match params.get("ttl_minutes") {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.as_f64().is_some_and(|m| (1.0..=43200.0).contains(&m)) => Ok(()),
        Some(_) => Err(GraphError::invalid(
            "action['parameters']['ttl_minutes'] must be 1-43200",
        )),
    }
}

fn buttons(action: &Map<String, Value>) -> Result<(), GraphError> {
    let list = match action.get("buttons") {
        Some(Value::Array(a)) => a,
        _ => return Err(GraphError::missing("action['buttons'] is required")),
    };
    if list.is_empty() || list.len() > 3 {
        return Err(GraphError::invalid(
            "Buttons count is invalid. Min 1, max 3",
        ));
    }
    let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
    for b in list {
        let reply = b
            .get("reply")
            .and_then(Value::as_object)
            .ok_or_else(|| GraphError::missing("button['reply'] is required"))?;
        let id = text_field(reply, "button['reply']", "id")?;
        let title = text_field(reply, "button['reply']", "title")?;
        if chars(id) > 256 || id.trim() != id {
            return Err(GraphError::invalid(
                "Button id is invalid. Max length is 256, no leading or trailing spaces",
            ));
        }
        if chars(title) > 20 {
            return Err(GraphError::invalid(
                "Button title length is too long. Max length is 20",
            ));
        }
        if !ids.insert(id) || !titles.insert(title) {
            return Err(GraphError::invalid("Button ids and titles must be unique"));
        }
    }
    Ok(())
}

fn list(action: &Map<String, Value>) -> Result<(), GraphError> {
    let button = text_field(action, "action", "button")?;
    if chars(button) > 20 {
        return Err(GraphError::invalid(
            "action['button'] is too long. Max length is 20",
        ));
    }
    let sections = match action.get("sections") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err(GraphError::missing("action['sections'] is required")),
    };
    if sections.len() > 10 {
        return Err(GraphError::invalid("Too many sections. Max is 10"));
    }
    let mut rows_total = 0;
    let mut ids = HashSet::new();
    for s in sections {
        let s = s
            .as_object()
            .ok_or_else(|| GraphError::invalid("every section must be an object"))?;
        if sections.len() > 1 {
            text_field(s, "section", "title")?;
        }
        max_len(s, "section", "title", 24)?;
        let rows = match s.get("rows") {
            Some(Value::Array(r)) if !r.is_empty() => r,
            _ => return Err(GraphError::missing("section['rows'] is required")),
        };
        rows_total += rows.len();
        for r in rows {
            let r = r
                .as_object()
                .ok_or_else(|| GraphError::invalid("every row must be an object"))?;
            let id = text_field(r, "row", "id")?;
            text_field(r, "row", "title")?;
            max_len(r, "row", "id", 200)?;
            max_len(r, "row", "title", 24)?;
            max_len(r, "row", "description", 72)?;
            if !ids.insert(id.to_string()) {
                return Err(GraphError::invalid("Row ids must be unique"));
            }
        }
    }
    if rows_total > 10 {
        return Err(GraphError::invalid("Too many rows. Max is 10 in total"));
    }
    Ok(())
}

/// `to` (phone) wins over `recipient` (BSUID or parent BSUID) when both are given.
fn address(req: &Value, business_digits: &str) -> Result<(String, Address), GraphError> {
    let given = |key: &str| match req.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(GraphError::param(format!("Param {key} must be a string."))),
    };
    let (to, recipient) = (given("to")?, given("recipient")?);
    let Some(to) = to else {
        let recipient =
            recipient.ok_or_else(|| GraphError::param("The parameter to is required."))?;
        if !is_bsuid(&recipient) {
            return Err(GraphError::param(format!(
                "Invalid parameter: recipient ({recipient}) is not a valid business-scoped user ID."
            )));
        }
        return Ok((recipient.clone(), Address::Bsuid(recipient)));
    };
    let wa_id = normalize_phone(&to).ok_or_else(|| {
        GraphError::param(format!(
            "Invalid parameter: to ({to}) is not a valid phone number."
        ))
    })?;
    if wa_id == business_digits {
        return Err(GraphError::wa(
            131021,
            axum::http::StatusCode::BAD_REQUEST,
            "Recipient cannot be sender",
            "Sender and recipient phone number is the same.",
        ));
    }
    Ok((to, Address::Phone(wa_id)))
}
