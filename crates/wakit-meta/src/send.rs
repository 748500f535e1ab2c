//! wakit content → Meta's `POST /{phone-number-id}/messages` body (reference §1.1, §1.3).

use serde_json::{Map, Value, json};
use wakit_core::MessageContent;
use wakit_core::content::Kind;

use crate::inbound::META_MEDIA_SCHEME;

/// Content that cannot be sent as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot send {kind} content: {reason}")]
pub struct UnsupportedContent {
    /// The content's kind.
    pub kind: Kind,
    /// Why it cannot be sent.
    pub reason: String,
}

fn unsupported(kind: Kind, reason: impl Into<String>) -> UnsupportedContent {
    UnsupportedContent {
        kind,
        reason: reason.into(),
    }
}

/// Builds Meta's send body for `content` addressed to `to` (phone digits).
///
/// Supported kinds: text (`preview_url` set when the text holds a URL), template
/// (`data` = Meta's template object), image/video/audio/document/sticker (`meta://<id>` →
/// `{"id"}`, `https://` → `{"link"}`; caption for image/video/document, filename for
/// documents), location, contacts, reaction, interactive (`data` = Meta's interactive
/// object). `re_message_id` becomes `context.message_id` (except for reactions, where
/// it is the reacted message). Other kinds, and media not yet on Meta or at a public
/// URL (e.g. `internal://`), are refused.
pub fn send_payload(
    to: &str,
    content: &MessageContent,
    biz_opaque_callback_data: Option<&str>,
) -> Result<Value, UnsupportedContent> {
    let kind = content.kind;
    let body = match kind {
        Kind::Text => text(content)?,
        Kind::Template => data_object(content)?,
        Kind::Image | Kind::Video | Kind::Audio | Kind::Document | Kind::Sticker => media(content)?,
        Kind::Location => location(content)?,
        Kind::Contacts => contacts(content)?,
        Kind::Interactive => data_object(content)?,
        Kind::Reaction => reaction(content)?,
        other => return Err(unsupported(other, "Meta has no send type for this kind")),
    };
    let mut payload = Map::new();
    payload.insert("messaging_product".into(), json!("whatsapp"));
    payload.insert("recipient_type".into(), json!("individual"));
    // A customer who shares no phone number is addressed by BSUID (Meta 2026).
    let field = if to.starts_with(|c: char| c.is_ascii_alphabetic()) {
        "recipient"
    } else {
        "to"
    };
    payload.insert(field.into(), json!(to));
    payload.insert("type".into(), json!(kind.as_str()));
    payload.insert(kind.as_str().into(), body);
    if kind != Kind::Reaction
        && let Some(re) = &content.re_message_id
    {
        payload.insert("context".into(), json!({ "message_id": re }));
    }
    if let Some(data) = biz_opaque_callback_data {
        payload.insert("biz_opaque_callback_data".into(), json!(data));
    }
    Ok(Value::Object(payload))
}

fn text(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    let body = content
        .text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| unsupported(content.kind, "text is empty"))?;
    let mut obj = json!({ "body": body });
    if body.contains("https://") || body.contains("http://") {
        obj["preview_url"] = json!(true);
    }
    Ok(obj)
}

fn data_object(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    content
        .data
        .clone()
        .filter(Value::is_object)
        .ok_or_else(|| unsupported(content.kind, "data must be Meta's object"))
}

fn media(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    let kind = content.kind;
    let file = content
        .file
        .as_ref()
        .ok_or_else(|| unsupported(kind, "no file"))?;
    let mut obj = Map::new();
    if let Some(id) = file.uri.strip_prefix(META_MEDIA_SCHEME) {
        if id.is_empty() {
            return Err(unsupported(kind, "empty meta:// media id"));
        }
        obj.insert("id".into(), json!(id));
    } else if file.uri.starts_with("https://") {
        obj.insert("link".into(), json!(file.uri));
    } else {
        return Err(unsupported(
            kind,
            format!("media must be meta://<id> or https://, not {:?}", file.uri),
        ));
    }
    let captioned = matches!(kind, Kind::Image | Kind::Video | Kind::Document);
    if captioned && let Some(caption) = content.text.as_deref().filter(|c| !c.is_empty()) {
        obj.insert("caption".into(), json!(caption));
    }
    if kind == Kind::Document
        && let Some(name) = file.name.as_deref().filter(|n| !n.is_empty())
    {
        obj.insert("filename".into(), json!(name));
    }
    Ok(Value::Object(obj))
}

fn location(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    let data = data_object(content)?;
    let num = |k: &str| data.get(k).is_some_and(Value::is_number);
    if !(num("latitude") && num("longitude")) {
        return Err(unsupported(
            content.kind,
            "location needs numeric latitude and longitude",
        ));
    }
    Ok(data)
}

fn contacts(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    match &content.data {
        Some(Value::Array(cards)) if !cards.is_empty() => Ok(Value::Array(cards.clone())),
        Some(card @ Value::Object(_)) => Ok(Value::Array(vec![card.clone()])),
        _ => Err(unsupported(
            content.kind,
            "contacts needs one or more contact cards",
        )),
    }
}

fn reaction(content: &MessageContent) -> Result<Value, UnsupportedContent> {
    let target = content
        .re_message_id
        .as_deref()
        .ok_or_else(|| unsupported(content.kind, "reaction needs re_message_id"))?;
    Ok(json!({
        "message_id": target,
        "emoji": content.text.as_deref().unwrap_or_default(),
    }))
}
