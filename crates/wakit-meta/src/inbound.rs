//! Meta's inbound `value.messages[]` items (reference §3.4) → wakit's v1 content parts.
//!
//! Every type maps to a part; anything wakit does not understand (or a known type whose
//! payload is malformed) becomes [`MessageContent::unsupported`] with the raw item kept.

use serde_json::{Map, Value};
use wakit_core::MessageContent;
use wakit_core::content::{FileRef, Kind};

/// The URI scheme for a Meta media id: `meta://<media-id>`.
pub const META_MEDIA_SCHEME: &str = "meta://";

/// Maps one `messages[]` item to its content. Never fails: unknown or malformed items
/// are kept whole as an `unsupported` part.
///
/// `context.id` becomes `re_message_id` (reactions use `reaction.message_id` instead);
/// `context.forwarded` / `context.frequently_forwarded` set `forwarded`.
pub fn message_content(item: &Value) -> MessageContent {
    let kind_name = item.get("type").and_then(Value::as_str).unwrap_or_default();
    let mapped = match kind_name {
        "text" => text(item),
        "image" => media(item, Kind::Image),
        "video" => media(item, Kind::Video),
        "audio" => media(item, Kind::Audio),
        "document" => media(item, Kind::Document),
        "sticker" => media(item, Kind::Sticker),
        "location" => data_object(item, "location", Kind::Location),
        "contacts" => contacts(item),
        "interactive" => data_object(item, "interactive", Kind::Interactive),
        "button" => data_object(item, "button", Kind::Button),
        "order" => data_object(item, "order", Kind::Order),
        "reaction" => {
            return reaction(item).unwrap_or_else(|| MessageContent::unsupported(item.clone()));
        }
        // system, unsupported, unknown, request_welcome, edit, revoke, future types.
        _ => None,
    };
    match mapped {
        Some(content) => with_context(content, item),
        None => with_context(MessageContent::unsupported(item.clone()), item),
    }
}

fn text(item: &Value) -> Option<MessageContent> {
    let body = item.get("text")?.get("body")?.as_str()?;
    Some(MessageContent::text(body))
}

fn media(item: &Value, kind: Kind) -> Option<MessageContent> {
    let obj = item.get(kind.as_str())?.as_object()?;
    let id = str_field(obj, "id")?;
    let file = FileRef {
        mime_type: str_field(obj, "mime_type").unwrap_or_default().to_string(),
        uri: format!("{META_MEDIA_SCHEME}{id}"),
        name: str_field(obj, "filename").map(str::to_string),
        size: obj.get("file_size").and_then(Value::as_u64).unwrap_or(0),
        ..FileRef::default()
    };
    let caption = str_field(obj, "caption").map(str::to_string);
    MessageContent::file(kind, file, caption)
}

fn data_object(item: &Value, key: &str, kind: Kind) -> Option<MessageContent> {
    let obj = item.get(key).filter(|v| v.is_object())?;
    MessageContent::data(kind, obj.clone())
}

fn contacts(item: &Value) -> Option<MessageContent> {
    let cards = item.get("contacts").filter(|v| v.is_array())?;
    MessageContent::data(Kind::Contacts, cards.clone())
}

fn reaction(item: &Value) -> Option<MessageContent> {
    let obj = item.get("reaction")?.as_object()?;
    let target = str_field(obj, "message_id")?;
    // Removal = emoji empty or absent.
    let emoji = str_field(obj, "emoji").unwrap_or_default();
    let mut content = MessageContent::reaction(emoji, target);
    content.forwarded = forwarded(item);
    Some(content)
}

fn with_context(mut content: MessageContent, item: &Value) -> MessageContent {
    if let Some(id) = item
        .get("context")
        .and_then(|c| c.get("id"))
        .and_then(Value::as_str)
    {
        content.re_message_id = Some(id.to_string());
    }
    content.forwarded = forwarded(item);
    content
}

fn forwarded(item: &Value) -> Option<bool> {
    let ctx = item.get("context")?;
    let flag = |k: &str| ctx.get(k).and_then(Value::as_bool).unwrap_or(false);
    (flag("forwarded") || flag("frequently_forwarded")).then_some(true)
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}
