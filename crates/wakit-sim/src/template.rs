//! Message templates as a WABA holds them (reference §4.2), and their placeholders.

use serde::Serialize;
use serde_json::{Value, json};

/// A template to add to a WABA.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateSpec {
    /// Name: lower-case letters, digits and `_`.
    pub name: String,
    /// Locale, e.g. `en_US`.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// `APPROVED` (default), `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// `POSITIONAL` or `NAMED`; detected from the placeholders when `None`.
    pub parameter_format: Option<String>,
    /// Meta's definition components (`HEADER`/`BODY`/`FOOTER`/`BUTTONS`).
    pub components: Vec<Value>,
}

impl TemplateSpec {
    /// An approved template with one `BODY` component holding `body` (placeholders
    /// `{{1}}` or `{{name}}` allowed).
    pub fn body(
        name: impl Into<String>,
        language: impl Into<String>,
        category: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        TemplateSpec {
            name: name.into(),
            language: language.into(),
            category: category.into(),
            status: "APPROVED".to_string(),
            parameter_format: None,
            components: vec![json!({"type": "BODY", "text": body.into()})],
        }
    }

    /// Sets the status.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }
}

/// Template statuses the sandbox accepts.
pub const STATUSES: &[&str] = &[
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "PENDING_DELETION",
    "DELETED",
    "LIMIT_EXCEEDED",
    "ARCHIVED",
    "LOCKED",
];

/// Template categories the sandbox accepts.
pub const CATEGORIES: &[&str] = &["MARKETING", "UTILITY", "AUTHENTICATION"];

/// A stored template.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Template {
    /// Graph id.
    pub id: String,
    /// WABA holding it.
    pub waba_id: String,
    /// Name.
    pub name: String,
    /// Locale.
    pub language: String,
    /// Status.
    pub status: String,
    /// Category.
    pub category: String,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
    /// Definition components (each with Meta's `example` when it has placeholders).
    pub components: Vec<Value>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN` (new templates).
    pub quality_score: String,
}

impl Template {
    /// Builds a stored template from a spec (validated by the caller).
    pub(crate) fn from_spec(id: String, waba_id: &str, spec: &TemplateSpec) -> Self {
        let parameter_format = spec.parameter_format.clone().unwrap_or_else(|| {
            let named = spec
                .components
                .iter()
                .flat_map(|c| placeholders(c.get("text").and_then(Value::as_str).unwrap_or("")))
                .any(|p| p.parse::<u32>().is_err());
            if named { "NAMED" } else { "POSITIONAL" }.to_string()
        });
        Template {
            id,
            waba_id: waba_id.to_string(),
            name: spec.name.clone(),
            language: spec.language.clone(),
            status: spec.status.to_ascii_uppercase(),
            category: spec.category.to_ascii_uppercase(),
            components: spec
                .components
                .iter()
                .map(|c| with_example(c, &parameter_format))
                .collect(),
            parameter_format,
            quality_score: "UNKNOWN".to_string(),
        }
    }

    /// The Graph object (`GET /{waba}/message_templates` item, reference §4.2).
    pub fn to_graph(&self) -> Value {
        let rejected_reason = if self.status == "REJECTED" {
            "INVALID_FORMAT"
        } else {
            "NONE"
        };
        json!({
            "name": self.name,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "quality_score": {"score": self.quality_score, "date": 1_750_000_000},
            "rejected_reason": rejected_reason,
            "id": self.id,
        })
    }

    /// The definition component of `kind` (`BODY`, `HEADER`, ...), if any.
    pub(crate) fn component(&self, kind: &str) -> Option<&Value> {
        self.components.iter().find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
    }

    /// Distinct placeholders of a component's `text`.
    pub(crate) fn component_params(&self, kind: &str) -> Vec<String> {
        self.component(kind)
            .and_then(|c| c.get("text"))
            .and_then(Value::as_str)
            .map(placeholders)
            .unwrap_or_default()
    }
}

/// `component` with Meta's `example` added when it has placeholders (or a media
/// header) and none was given: what Meta returns for an approved template.
fn with_example(component: &Value, parameter_format: &str) -> Value {
    let mut c = component.clone();
    if c.get("example").is_some() {
        return c;
    }
    let kind = c
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let format = c
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    let params = placeholders(c.get("text").and_then(Value::as_str).unwrap_or_default());
    let named = parameter_format == "NAMED";
    let sample = |p: &String| format!("sample {p}");
    let example = match (kind.as_str(), format.as_str()) {
        ("HEADER", "IMAGE" | "VIDEO" | "DOCUMENT" | "GIF") => {
            json!({"header_handle": ["4::aW1hZ2UvanBlZw==:ARZsandbox"]})
        }
        (_, _) if params.is_empty() => return c,
        ("HEADER", _) if named => json!({"header_text_named_params":
            params.iter().map(|p| json!({"param_name": p, "example": sample(p)})).collect::<Vec<_>>()}),
        ("HEADER", _) => json!({"header_text": params.iter().map(sample).collect::<Vec<_>>()}),
        ("BODY", _) if named => json!({"body_text_named_params":
            params.iter().map(|p| json!({"param_name": p, "example": sample(p)})).collect::<Vec<_>>()}),
        ("BODY", _) => json!({"body_text": [params.iter().map(sample).collect::<Vec<_>>()]}),
        _ => return c,
    };
    c["example"] = example;
    c
}

/// Validates a spec; the error is a sentence for a 400 answer.
pub(crate) fn validate_spec(spec: &TemplateSpec) -> Result<(), String> {
    let name_ok = !spec.name.is_empty()
        && spec.name.len() <= 512
        && spec
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err("name must be 1-512 lower-case letters, digits or _".into());
    }
    if spec.language.is_empty() {
        return Err("language is required (e.g. en_US)".into());
    }
    if !CATEGORIES.contains(&spec.category.to_ascii_uppercase().as_str()) {
        return Err(format!("category must be one of {CATEGORIES:?}"));
    }
    if !STATUSES.contains(&spec.status.to_ascii_uppercase().as_str()) {
        return Err(format!("status must be one of {STATUSES:?}"));
    }
    if let Some(f) = &spec.parameter_format
        && f != "POSITIONAL"
        && f != "NAMED"
    {
        return Err("parameter_format must be POSITIONAL or NAMED".into());
    }
    if spec
        .components
        .iter()
        .any(|c| !c.get("type").is_some_and(Value::is_string))
    {
        return Err("every component needs a type (HEADER, BODY, FOOTER, BUTTONS)".into());
    }
    Ok(())
}

/// Distinct `{{...}}` placeholder names in `text`, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid && !out.iter().any(|p| p == name) {
            out.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders() {
        assert_eq!(placeholders("Hi {{1}}, {{2}} and {{1}}"), vec!["1", "2"]);
        assert_eq!(placeholders("Hi {{first_name}}!"), vec!["first_name"]);
        assert!(placeholders("no {{ }} here {{").is_empty());
    }

    #[test]
    fn detects_named_format() {
        let spec = TemplateSpec::body("t", "en", "UTILITY", "Hi {{first_name}}");
        let t = Template::from_spec("1".into(), "9", &spec);
        assert_eq!(t.parameter_format, "NAMED");
        assert_eq!(t.component_params("body"), vec!["first_name"]);
        assert_eq!(
            t.components[0]["example"],
            json!({"body_text_named_params": [{"param_name": "first_name", "example": "sample first_name"}]})
        );
        let p = TemplateSpec::body("p", "en", "UTILITY", "Hi {{1}} {{2}}");
        let t = Template::from_spec("2".into(), "9", &p);
        assert_eq!(
            t.components[0]["example"],
            json!({"body_text": [["sample 1", "sample 2"]]})
        );
    }
}
