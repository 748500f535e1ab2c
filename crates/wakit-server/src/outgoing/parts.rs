//! A message part as the data API and MCP take it, turned into the send request every
//! door submits: wakit's parts (`{"type": "text", "text"}`, `{"type": "data", "kind":
//! "template", "data"}`, `{"type": "file", "kind": "document", "file": {"uri", "name",
//! "mime_type"}, "text": caption}`) and the hosted product's documented shapes
//! (`{"type": "text", "text": {"body"}}`, `{"type": "template", "template"}`,
//! `{"type": "document", "document"}`).

use serde_json::Value;
use wakit_api::{DocumentRequest, SendRequest};

/// The send request `part` describes (recipient and number left empty), or why it
/// cannot be sent.
pub fn from_part(part: &Value) -> Result<SendRequest, String> {
    // A null field is a missing one.
    let get = |k: &str| part.get(k).filter(|v| !v.is_null());
    let kind = get("kind").and_then(Value::as_str);
    let family = get("type").and_then(Value::as_str);
    let text = |v: Option<&Value>| match v {
        Some(Value::String(t)) => Some(t.clone()),
        Some(t) => t.get("body").and_then(Value::as_str).map(String::from),
        None => None,
    };
    let mut request = SendRequest::default();
    match (family, kind) {
        (Some("text"), None | Some("text")) => {
            request.text = Some(text(get("text")).ok_or("content.text is required")?);
        }
        (Some("data"), None | Some("template")) | (Some("template"), _) => {
            let template = get("template").or_else(|| get("data")).cloned();
            request.template = Some(template.ok_or("content.data (the template) is required")?);
        }
        (Some("file"), None | Some("document")) => {
            let file = get("file").ok_or("content.file is required for a file part")?;
            let field = |k: &str| file.get(k).and_then(Value::as_str).map(String::from);
            request.document = Some(DocumentRequest {
                link: field("uri").ok_or("content.file.uri is required")?,
                filename: field("name"),
                caption: text(get("text")),
                mime_type: field("mime_type"),
                ..Default::default()
            });
        }
        (Some("document"), _) => {
            let doc = get("document").cloned().unwrap_or_default();
            request.document =
                Some(serde_json::from_value(doc).map_err(|e| format!("content.document: {e}"))?);
        }
        _ => {
            return Err(format!(
                "content type \"{}\" with kind \"{}\" cannot be sent; send a text part, a \
                 template (type data, kind template) or a document (type file, kind document)",
                family.unwrap_or_default(),
                kind.unwrap_or_default()
            ));
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn wakits_parts_and_the_hosted_shapes_are_the_same_sends() {
        let text = from_part(&json!({"type": "text", "text": "hola"})).unwrap();
        let hosted = from_part(&json!({"type": "text", "text": {"body": "hola"}})).unwrap();
        assert_eq!(
            (text.text.as_deref(), hosted.text.as_deref()),
            (Some("hola"), Some("hola"))
        );
        let t = json!({"name": "hello_world", "language": {"code": "es"}});
        let data = from_part(&json!({"type": "data", "kind": "template", "data": t})).unwrap();
        let hosted = from_part(&json!({"type": "template", "template": t})).unwrap();
        assert_eq!(
            (data.template.as_ref(), hosted.template.as_ref()),
            (Some(&t), Some(&t))
        );
        let doc = from_part(
            &json!({"type": "file", "kind": "document", "text": "la factura",
            "file": {"uri": "https://example.com/f.pdf", "name": "f.pdf"}}),
        )
        .unwrap()
        .document
        .unwrap();
        assert_eq!(doc.link, "https://example.com/f.pdf");
        assert_eq!(
            (doc.filename.as_deref(), doc.caption.as_deref()),
            (Some("f.pdf"), Some("la factura"))
        );
    }

    #[test]
    fn what_cannot_be_sent_says_why() {
        let cases = [
            (json!({"type": "text"}), "content.text is required"),
            (
                json!({"type": "data", "kind": "template"}),
                "content.data (the template) is required",
            ),
            (
                json!({"type": "data", "data": null}),
                "content.data (the template) is required",
            ),
            (
                json!({"type": "file", "kind": "document", "file": {}}),
                "content.file.uri is required",
            ),
            (json!({"type": "file", "kind": "image"}), "cannot be sent"),
            (json!({}), "cannot be sent"),
        ];
        for (part, why) in cases {
            let e = from_part(&part).unwrap_err();
            assert!(e.contains(why), "{part}: {e}");
        }
    }
}
