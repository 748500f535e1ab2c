//! What a simulated customer can send a business (reference §3.4), before it becomes
//! Meta's `value.messages[]` item.

use serde_json::{Map, Value, json};

use crate::identity::CustomerIdentity;

/// The content of one customer message.
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    /// Plain text.
    Text(String),
    /// A photo (the sandbox stores a small fake JPEG as its media).
    Image {
        /// Caption.
        caption: Option<String>,
    },
    /// A video.
    Video {
        /// Caption.
        caption: Option<String>,
    },
    /// A voice note or audio file.
    Audio {
        /// Whether it is a voice note.
        voice: bool,
    },
    /// A document.
    Document {
        /// File name shown to the business.
        filename: String,
        /// Caption.
        caption: Option<String>,
    },
    /// A sticker.
    Sticker {
        /// Whether it is animated.
        animated: bool,
    },
    /// A shared location.
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// Place name, for chosen places.
        name: Option<String>,
        /// Place address, for chosen places.
        address: Option<String>,
    },
    /// Contact cards (Meta's `contacts` array).
    Contacts(Value),
    /// A reaction to `message_id`; an empty emoji removes it.
    Reaction {
        /// The reacted message.
        message_id: String,
        /// The emoji.
        emoji: String,
    },
    /// A tap on a template quick-reply button (type `button`); set the template
    /// message as context.
    Button {
        /// The button's payload.
        payload: String,
        /// The button's text.
        text: String,
    },
    /// A tap on an interactive reply button (`interactive.button_reply`).
    ButtonReply {
        /// The button id.
        id: String,
        /// The button title.
        title: String,
    },
    /// A choice in an interactive list (`interactive.list_reply`).
    ListReply {
        /// The row id.
        id: String,
        /// The row title.
        title: String,
        /// The row description.
        description: Option<String>,
    },
    /// A message type Meta does not support (a poll, say): `type: unsupported` with
    /// error 131051.
    Unsupported,
    /// Any type with Meta's object for it as `body` (media ids are filled in when absent).
    Raw {
        /// Meta's `type`.
        kind: String,
        /// Meta's object under that type's key.
        body: Value,
    },
}

impl Inbound {
    /// Plain text.
    pub fn text(body: impl Into<String>) -> Self {
        Inbound::Text(body.into())
    }

    /// Meta's `type` and the object under it (media without id, sha256, mime type yet).
    pub(crate) fn meta_parts(&self) -> (String, Value) {
        let opt = |o: &mut Map<String, Value>, k: &str, v: &Option<String>| {
            if let Some(v) = v {
                o.insert(k.to_string(), json!(v));
            }
        };
        let (kind, body) = match self {
            Inbound::Text(body) => ("text", json!({"body": body})),
            Inbound::Image { caption } | Inbound::Video { caption } => {
                let mut o = Map::new();
                opt(&mut o, "caption", caption);
                let kind = if matches!(self, Inbound::Image { .. }) {
                    "image"
                } else {
                    "video"
                };
                (kind, Value::Object(o))
            }
            Inbound::Audio { voice } => ("audio", json!({"voice": voice})),
            Inbound::Document { filename, caption } => {
                let mut o = Map::new();
                opt(&mut o, "caption", caption);
                o.insert("filename".into(), json!(filename));
                ("document", Value::Object(o))
            }
            Inbound::Sticker { animated } => ("sticker", json!({"animated": animated})),
            Inbound::Location {
                latitude,
                longitude,
                name,
                address,
            } => {
                let mut o = Map::new();
                o.insert("latitude".into(), json!(latitude));
                o.insert("longitude".into(), json!(longitude));
                opt(&mut o, "name", name);
                opt(&mut o, "address", address);
                ("location", Value::Object(o))
            }
            Inbound::Contacts(cards) => ("contacts", cards.clone()),
            Inbound::Reaction { message_id, emoji } => (
                "reaction",
                json!({"message_id": message_id, "emoji": emoji}),
            ),
            Inbound::Button { payload, text } => {
                ("button", json!({"payload": payload, "text": text}))
            }
            Inbound::ButtonReply { id, title } => (
                "interactive",
                json!({"type": "button_reply", "button_reply": {"id": id, "title": title}}),
            ),
            Inbound::ListReply {
                id,
                title,
                description,
            } => {
                let mut row = json!({"id": id, "title": title});
                if let Some(d) = description {
                    row["description"] = json!(d);
                }
                (
                    "interactive",
                    json!({"type": "list_reply", "list_reply": row}),
                )
            }
            Inbound::Unsupported => ("unsupported", json!({"type": "poll"})),
            Inbound::Raw { kind, body } => return (kind.clone(), body.clone()),
        };
        (kind.to_string(), body)
    }
}

/// One customer message: content plus the business message it answers, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerMessage {
    /// What the customer sends.
    pub content: Inbound,
    /// The business message (`wamid`) replied to or whose button was tapped
    /// (`context.id`).
    pub context_id: Option<String>,
}

impl CustomerMessage {
    /// Marks the message as a reply to the business message `wamid`.
    pub fn replying_to(mut self, wamid: impl Into<String>) -> Self {
        self.context_id = Some(wamid.into());
        self
    }
}

impl From<Inbound> for CustomerMessage {
    fn from(content: Inbound) -> Self {
        CustomerMessage {
            content,
            context_id: None,
        }
    }
}

/// Media kinds whose inbound object carries a media id.
pub(crate) fn is_media_kind(kind: &str) -> bool {
    matches!(kind, "image" | "video" | "audio" | "document" | "sticker")
}

/// The MIME type a customer's media of `kind` gets when none is given.
pub(crate) fn default_mime(kind: &str) -> &'static str {
    match kind {
        "image" => "image/jpeg",
        "video" => "video/mp4",
        "audio" => "audio/ogg; codecs=opus",
        "sticker" => "image/webp",
        _ => "application/pdf",
    }
}

/// One `value.messages[]` item (without media filling, done by the caller): `from`
/// only when the customer shows a phone; `from_user_id` and `from_parent_user_id`
/// always (reference §3.4).
pub(crate) fn message_item(
    from: &CustomerIdentity,
    wamid: &str,
    timestamp: i64,
    kind: &str,
    body: Value,
    context: Option<(&str, &str)>,
) -> Value {
    let mut item = json!({});
    if let Some(phone) = &from.phone {
        item["from"] = json!(phone);
    }
    item["from_user_id"] = json!(from.user_id);
    item["from_parent_user_id"] = json!(from.parent_user_id);
    item["id"] = json!(wamid);
    item["timestamp"] = json!(timestamp.to_string());
    item["type"] = json!(kind);
    if kind == "unsupported" {
        item["errors"] = json!([{"code": 131051, "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]);
    }
    if !body.is_null() {
        item[kind] = body;
    }
    if let Some((business, id)) = context {
        item["context"] = json!({"from": business, "id": id});
    }
    item
}
