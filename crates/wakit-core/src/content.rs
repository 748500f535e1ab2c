//! The normalized message content ("v1 parts", product.md §2). Stored and returned
//! in this one shape whatever Meta's wire format was.
//!
//! ```json
//! {"version":"1","type":"text","kind":"text","text":"Hola"}
//! {"version":"1","type":"file","kind":"image","text":"caption","file":{"mime_type":"image/jpeg","uri":"...","name":null,"size":48211}}
//! {"version":"1","type":"data","kind":"location","data":{"latitude":19.43,"longitude":-99.13}}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// The content format version written by this code.
pub const CONTENT_VERSION: &str = "1";

/// The part family: decides which payload field (`text`, `file`, `data`) carries the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartType {
    /// `text` carries the content.
    Text,
    /// `file` carries a media reference, `text` an optional caption.
    File,
    /// `data` carries a structured payload.
    Data,
}

/// What a message is. Each kind belongs to exactly one [`PartType`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Plain text.
    Text,
    /// An emoji reaction to `re_message_id`.
    Reaction,
    /// A caption, transcription or description derived from media.
    Caption,
    /// Speech-to-text of an audio message.
    Transcription,
    /// Description of an image or video.
    Description,
    /// Image media.
    Image,
    /// Video media.
    Video,
    /// Audio or voice note.
    Audio,
    /// A document (PDF, ...).
    Document,
    /// A sticker.
    Sticker,
    /// A template send (Meta's template object in `data`).
    Template,
    /// A shared location.
    Location,
    /// Shared contact cards.
    Contacts,
    /// An interactive message or a reply to one (button/list/flow).
    Interactive,
    /// A tap on a template quick-reply button.
    Button,
    /// A catalog order.
    Order,
    /// A type wakit does not understand; `data` keeps Meta's raw item.
    Unsupported,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 17] = [
        Kind::Text,
        Kind::Reaction,
        Kind::Caption,
        Kind::Transcription,
        Kind::Description,
        Kind::Image,
        Kind::Video,
        Kind::Audio,
        Kind::Document,
        Kind::Sticker,
        Kind::Template,
        Kind::Location,
        Kind::Contacts,
        Kind::Interactive,
        Kind::Button,
        Kind::Order,
        Kind::Unsupported,
    ];

    /// The snake_case wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Reaction => "reaction",
            Kind::Caption => "caption",
            Kind::Transcription => "transcription",
            Kind::Description => "description",
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Document => "document",
            Kind::Sticker => "sticker",
            Kind::Template => "template",
            Kind::Location => "location",
            Kind::Contacts => "contacts",
            Kind::Interactive => "interactive",
            Kind::Button => "button",
            Kind::Order => "order",
            Kind::Unsupported => "unsupported",
        }
    }

    /// The part family this kind belongs to.
    pub fn part_type(&self) -> PartType {
        match self {
            Kind::Text
            | Kind::Reaction
            | Kind::Caption
            | Kind::Transcription
            | Kind::Description => PartType::Text,
            Kind::Image | Kind::Video | Kind::Audio | Kind::Document | Kind::Sticker => {
                PartType::File
            }
            _ => PartType::Data,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = crate::status::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::status::UnknownName(s.to_string()))
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The URI scheme of a file wakit stores: `internal://media/<media-id>`.
pub const INTERNAL_MEDIA_SCHEME: &str = "internal://media/";

/// A media reference: a stored object (`internal://media/<id>`), Meta media id
/// (`meta://<id>`) or a public `https://` link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    /// MIME type, e.g. `image/jpeg`.
    pub mime_type: String,
    /// Where the bytes are.
    pub uri: String,
    /// Original file name, when known.
    #[serde(default)]
    pub name: Option<String>,
    /// Size in bytes (0 when unknown).
    #[serde(default)]
    pub size: u64,
    /// The stored file's id (`GET /media/{id}`), once wakit holds the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why wakit could not keep the file (e.g. Meta no longer has it); the part stays
    /// without bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileRef {
    /// The stored file's id when `uri` is `internal://media/<id>`.
    pub fn internal_id(&self) -> Option<&str> {
        self.uri.strip_prefix(INTERNAL_MEDIA_SCHEME)
    }
}

/// One message's content. Construct with the helper functions; deserializing checks
/// that `type` matches `kind` and that the part's payload field is present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawContent")]
pub struct MessageContent {
    /// Always [`CONTENT_VERSION`] for rows written by wakit.
    pub version: String,
    /// Part family, derived from `kind`.
    #[serde(rename = "type")]
    pub part_type: PartType,
    /// What the message is.
    pub kind: Kind,
    /// Text, caption or emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Media reference (file parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
    /// Structured payload (data parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The wamid replied or reacted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re_message_id: Option<String>,
    /// Whether the message was forwarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<bool>,
}

#[derive(Deserialize)]
struct RawContent {
    #[serde(default)]
    version: Option<String>,
    #[serde(rename = "type", default)]
    part_type: Option<PartType>,
    kind: Kind,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    file: Option<FileRef>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    re_message_id: Option<String>,
    #[serde(default)]
    forwarded: Option<bool>,
}

/// Content whose fields contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// `type` is not the family of `kind`.
    #[error("content type {found:?} does not match kind {kind} (expected {expected:?})")]
    TypeMismatch {
        /// The kind given.
        kind: Kind,
        /// The type given.
        found: PartType,
        /// The type the kind requires.
        expected: PartType,
    },
    /// The part's payload field is missing.
    #[error("content of kind {0} needs a `{1}` field")]
    MissingField(Kind, &'static str),
}

impl TryFrom<RawContent> for MessageContent {
    type Error = ContentError;
    fn try_from(raw: RawContent) -> Result<Self, Self::Error> {
        let expected = raw.kind.part_type();
        if let Some(found) = raw.part_type
            && found != expected
        {
            return Err(ContentError::TypeMismatch {
                kind: raw.kind,
                found,
                expected,
            });
        }
        let missing = match expected {
            PartType::Text if raw.text.is_none() && raw.kind != Kind::Reaction => Some("text"),
            PartType::File if raw.file.is_none() => Some("file"),
            PartType::Data if raw.data.is_none() => Some("data"),
            _ => None,
        };
        if let Some(field) = missing {
            return Err(ContentError::MissingField(raw.kind, field));
        }
        Ok(MessageContent {
            version: raw.version.unwrap_or_else(|| CONTENT_VERSION.to_string()),
            part_type: expected,
            kind: raw.kind,
            text: raw.text,
            file: raw.file,
            data: raw.data,
            re_message_id: raw.re_message_id,
            forwarded: raw.forwarded,
        })
    }
}

impl MessageContent {
    fn bare(kind: Kind) -> Self {
        MessageContent {
            version: CONTENT_VERSION.to_string(),
            part_type: kind.part_type(),
            kind,
            text: None,
            file: None,
            data: None,
            re_message_id: None,
            forwarded: None,
        }
    }

    /// A plain text message.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            text: Some(body.into()),
            ..Self::bare(Kind::Text)
        }
    }

    /// A reaction (`emoji` empty = reaction removed) to the message `wamid`.
    pub fn reaction(emoji: impl Into<String>, wamid: impl Into<String>) -> Self {
        Self {
            text: Some(emoji.into()),
            re_message_id: Some(wamid.into()),
            ..Self::bare(Kind::Reaction)
        }
    }

    /// Media of a file kind (image, video, audio, document, sticker).
    /// Returns `None` for a kind that is not a file kind.
    pub fn file(kind: Kind, file: FileRef, caption: Option<String>) -> Option<Self> {
        (kind.part_type() == PartType::File).then(|| Self {
            file: Some(file),
            text: caption,
            ..Self::bare(kind)
        })
    }

    /// A data part (template, location, contacts, interactive, button, order, ...).
    /// Returns `None` for a kind that is not a data kind.
    pub fn data(kind: Kind, data: Value) -> Option<Self> {
        (kind.part_type() == PartType::Data).then(|| Self {
            data: Some(data),
            ..Self::bare(kind)
        })
    }

    /// A template send; `template` is Meta's template object
    /// (`{"name","language":{"code"},"components":[...]}`).
    pub fn template(template: Value) -> Self {
        Self {
            data: Some(template),
            ..Self::bare(Kind::Template)
        }
    }

    /// Something wakit does not understand, kept whole.
    pub fn unsupported(raw: Value) -> Self {
        Self {
            data: Some(raw),
            ..Self::bare(Kind::Unsupported)
        }
    }

    /// Sets the replied-to wamid.
    pub fn replying_to(mut self, wamid: impl Into<String>) -> Self {
        self.re_message_id = Some(wamid.into());
        self
    }

    /// A one-line human preview (for lists and CLIs).
    pub fn preview(&self) -> String {
        match (&self.text, self.kind) {
            (Some(t), Kind::Text) => t.clone(),
            (Some(t), _) if !t.is_empty() => format!("[{}] {}", self.kind, t),
            _ => {
                let name = self
                    .data
                    .as_ref()
                    .and_then(|d| d.get("name"))
                    .and_then(Value::as_str)
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default();
                format!("[{}{}]", self.kind, name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(kind: Kind) -> MessageContent {
        match kind.part_type() {
            PartType::Text if kind == Kind::Reaction => MessageContent::reaction("👍", "wamid.X"),
            PartType::Text => MessageContent {
                text: Some("hola".into()),
                ..MessageContent::bare(kind)
            },
            PartType::File => MessageContent::file(
                kind,
                FileRef {
                    mime_type: "image/jpeg".into(),
                    uri: "https://example.com/x".into(),
                    name: Some("x.jpg".into()),
                    size: 48211,
                    ..FileRef::default()
                },
                Some("caption".into()),
            )
            .expect("file kind"),
            PartType::Data => {
                MessageContent::data(kind, json!({"k": [1, 2, {"x": null}]})).expect("data kind")
            }
        }
    }

    #[test]
    fn every_kind_round_trips_through_json() {
        for kind in Kind::ALL {
            let c = sample(kind);
            let v = serde_json::to_value(&c).expect("serialize");
            assert_eq!(v["version"], "1");
            assert_eq!(v["kind"], kind.as_str());
            let back: MessageContent = serde_json::from_value(v).expect("deserialize");
            assert_eq!(back, c, "{kind}");
        }
    }

    #[test]
    fn product_examples_parse() {
        let examples = [
            json!({"version":"1","type":"text","kind":"text","text":"Hola, necesito ayuda"}),
            json!({"version":"1","type":"text","kind":"reaction","text":"👍","re_message_id":"wamid.1"}),
            json!({"version":"1","type":"file","kind":"image","text":"caption","file":{"mime_type":"image/jpeg","uri":"u","name":null,"size":48211}}),
            json!({"version":"1","type":"data","kind":"template","data":{"name":"hello_world","language":{"code":"es"},"components":[]}}),
            json!({"version":"1","type":"data","kind":"location","data":{"latitude":19.43,"longitude":-99.13}}),
        ];
        for e in examples {
            let c: MessageContent = serde_json::from_value(e.clone()).expect("parses");
            assert_eq!(serde_json::to_value(&c).expect("ser")["kind"], e["kind"]);
        }
    }

    #[test]
    fn mismatched_or_incomplete_content_is_rejected() {
        let bad = [
            json!({"type":"file","kind":"text","text":"x"}),
            json!({"type":"data","kind":"template"}),
            json!({"kind":"image","text":"no file"}),
            json!({"kind":"poll","text":"x"}),
        ];
        for b in bad {
            assert!(
                serde_json::from_value::<MessageContent>(b.clone()).is_err(),
                "{b}"
            );
        }
    }

    #[test]
    fn seed_subset_without_version_or_type_is_accepted() {
        let c: MessageContent =
            serde_json::from_value(json!({"kind":"text","text":"hi"})).expect("parses");
        assert_eq!(c, MessageContent::text("hi"));
    }

    #[test]
    fn constructors_refuse_wrong_families() {
        assert!(MessageContent::data(Kind::Image, json!({})).is_none());
        assert!(
            MessageContent::file(
                Kind::Template,
                FileRef {
                    mime_type: "a".into(),
                    uri: "b".into(),
                    name: None,
                    size: 0,
                    ..FileRef::default()
                },
                None
            )
            .is_none()
        );
    }

    #[test]
    fn previews_are_readable() {
        assert_eq!(MessageContent::text("hi").preview(), "hi");
        assert_eq!(
            MessageContent::template(json!({"name":"hello_world"})).preview(),
            "[template hello_world]"
        );
        assert_eq!(sample(Kind::Image).preview(), "[image] caption");
    }
}
