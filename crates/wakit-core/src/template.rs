//! Template parameter counting: how many parameters a template's components expect
//! (from Meta's template definition) and whether a send's components supply exactly
//! those, so a mismatch is refused before anything reaches Meta (which would answer 132000).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Parameters one template expects, per component.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParamSpec {
    /// Header parameters: text placeholders, or 1 for a media/location header.
    pub header: usize,
    /// Body placeholders.
    pub body: usize,
    /// Button index → placeholders in that button (URL suffixes, copy codes, ...).
    pub buttons: BTreeMap<usize, usize>,
    /// Placeholder names when the template uses named parameters (`{{first_name}}`).
    pub body_names: Vec<String>,
}

/// A send whose parameters do not fit the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateParamError {
    /// Wrong number of parameters for a component.
    #[error("template {component} expects {expected} parameter(s), got {got}")]
    Count {
        /// `header`, `body` or `button N`.
        component: String,
        /// What the template defines.
        expected: usize,
        /// What the send supplied.
        got: usize,
    },
    /// A component the template does not have.
    #[error("template has no {0} that takes parameters")]
    Unexpected(String),
    /// Named parameters that do not match the template's names.
    #[error("template body expects named parameters {expected:?}, got {got:?}")]
    Names {
        /// Names in the template.
        expected: Vec<String>,
        /// Names supplied.
        got: Vec<String>,
    },
    /// The send's components are not a list of objects.
    #[error("template components must be a list of objects with a \"type\"")]
    Malformed,
}

/// Placeholders `{{1}}` or `{{name}}` in a text, distinct, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl ParamSpec {
    /// Reads Meta's template definition components (`[{"type":"BODY","text":...}, ...]`).
    pub fn from_definition(components: &Value) -> ParamSpec {
        let mut spec = ParamSpec::default();
        for c in components.as_array().into_iter().flatten() {
            match field(c, "type").to_ascii_uppercase().as_str() {
                "HEADER" => {
                    spec.header = match field(c, "format").to_ascii_uppercase().as_str() {
                        "" | "TEXT" => placeholders(field(c, "text")).len(),
                        _ => 1,
                    }
                }
                "BODY" => {
                    let names = placeholders(field(c, "text"));
                    spec.body = names.len();
                    let named = names
                        .iter()
                        .any(|n| !n.chars().all(|ch| ch.is_ascii_digit()));
                    // A second BODY replaces the first whole: its names must not stay
                    // behind with the new count (found by the template fuzz target).
                    spec.body_names = if named { names } else { Vec::new() };
                }
                "BUTTONS" => {
                    for (i, b) in c
                        .get("buttons")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let n = match field(b, "type").to_ascii_uppercase().as_str() {
                            "URL" => placeholders(field(b, "url")).len(),
                            "COPY_CODE" | "OTP" | "FLOW" | "CATALOG" => 1,
                            _ => 0,
                        };
                        if n > 0 {
                            spec.buttons.insert(i, n);
                        }
                    }
                }
                _ => {}
            }
        }
        spec
    }

    /// Whether the template uses named body parameters.
    pub fn is_named(&self) -> bool {
        !self.body_names.is_empty()
    }

    /// Checks a send's components (`[{"type":"body","parameters":[...]}, ...]`) against
    /// this spec. Missing components count as zero parameters.
    pub fn check(&self, send_components: &Value) -> Result<(), TemplateParamError> {
        let list = match send_components {
            Value::Null => &Vec::new(),
            Value::Array(a) => a,
            _ => return Err(TemplateParamError::Malformed),
        };
        let (mut header, mut body) = (0usize, 0usize);
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut buttons: BTreeMap<usize, usize> = BTreeMap::new();
        for c in list {
            let params = c.get("parameters").and_then(Value::as_array);
            let n = params.map_or(0, Vec::len);
            match field(c, "type").to_ascii_lowercase().as_str() {
                "header" => header += n,
                "body" => {
                    body += n;
                    for p in params.into_iter().flatten() {
                        if let Some(name) = p.get("parameter_name").and_then(Value::as_str) {
                            names.insert(name.to_string());
                        }
                    }
                }
                "button" => {
                    let index = match c.get("index") {
                        Some(Value::String(s)) => s.parse().ok(),
                        Some(Value::Number(x)) => x.as_u64().map(|x| x as usize),
                        _ => None,
                    }
                    .ok_or(TemplateParamError::Malformed)?;
                    *buttons.entry(index).or_default() += n;
                }
                "" => return Err(TemplateParamError::Malformed),
                other => return Err(TemplateParamError::Unexpected(other.to_string())),
            }
        }
        count("header", self.header, header)?;
        count("body", self.body, body)?;
        if self.is_named() && !names.is_empty() {
            let expected: BTreeSet<String> = self.body_names.iter().cloned().collect();
            if expected != names {
                return Err(TemplateParamError::Names {
                    expected: expected.into_iter().collect(),
                    got: names.into_iter().collect(),
                });
            }
        }
        for (i, got) in &buttons {
            let expected = self.buttons.get(i).copied().unwrap_or(0);
            if expected == 0 && *got > 0 {
                return Err(TemplateParamError::Unexpected(format!("button {i}")));
            }
            count(&format!("button {i}"), expected, *got)?;
        }
        for (i, expected) in &self.buttons {
            if !buttons.contains_key(i) {
                count(&format!("button {i}"), *expected, 0)?;
            }
        }
        Ok(())
    }
}

fn count(component: &str, expected: usize, got: usize) -> Result<(), TemplateParamError> {
    if expected == got {
        Ok(())
    } else {
        Err(TemplateParamError::Count {
            component: component.to_string(),
            expected,
            got,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Value {
        json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships {{3}}. Thanks {{1}}!"},
            {"type": "FOOTER", "text": "wakit"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "URL", "text": "Track", "url": "https://x.test/t/{{1}}"}
            ]}
        ])
    }

    fn texts(n: usize) -> Value {
        Value::Array(
            (0..n)
                .map(|i| json!({"type": "text", "text": format!("v{i}")}))
                .collect(),
        )
    }

    #[test]
    fn counts_distinct_placeholders_per_component() {
        let spec = ParamSpec::from_definition(&definition());
        assert_eq!(spec.header, 1);
        assert_eq!(spec.body, 3);
        assert_eq!(spec.buttons, BTreeMap::from([(1, 1)]));
        assert!(!spec.is_named());
    }

    #[test]
    fn a_later_body_replaces_the_earlier_names() {
        // Regression (fuzz target `template`): two BODY components left the first one's
        // two names with the second one's count of 1, so no send could fit.
        let spec = ParamSpec::from_definition(&json!([
            {"type": "BODY", "text": "{{3}}{{first_name}}"},
            {"type": "BODY", "text": "Hi {{1}}"}
        ]));
        assert_eq!(spec.body, 1);
        assert!(!spec.is_named());
        let send = json!([{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]);
        assert_eq!(spec.check(&send), Ok(()));
    }

    #[test]
    fn exact_parameters_pass() {
        let spec = ParamSpec::from_definition(&definition());
        let send = json!([
            {"type": "header", "parameters": texts(1)},
            {"type": "body", "parameters": texts(3)},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": texts(1)}
        ]);
        assert_eq!(spec.check(&send), Ok(()));
    }

    #[test]
    fn mismatches_name_the_component() {
        let spec = ParamSpec::from_definition(&definition());
        let send = json!([
            {"type": "header", "parameters": texts(1)},
            {"type": "body", "parameters": texts(2)},
            {"type": "button", "sub_type": "url", "index": 1, "parameters": texts(1)}
        ]);
        let err = spec.check(&send).expect_err("body short");
        assert_eq!(
            err.to_string(),
            "template body expects 3 parameter(s), got 2"
        );
        let err = spec.check(&json!([])).expect_err("all missing");
        assert!(err.to_string().contains("header"));
    }

    #[test]
    fn hello_world_takes_nothing() {
        let spec = ParamSpec::from_definition(&json!([{"type": "BODY", "text": "Hello World"}]));
        assert_eq!(spec.check(&json!([])), Ok(()));
        assert_eq!(spec.check(&Value::Null), Ok(()));
        assert!(
            spec.check(&json!([{"type": "body", "parameters": texts(1)}]))
                .is_err()
        );
        assert!(spec.check(&json!({"type": "body"})).is_err());
    }

    #[test]
    fn media_header_takes_one_parameter() {
        let spec = ParamSpec::from_definition(&json!([{"type": "HEADER", "format": "IMAGE"}]));
        assert_eq!(spec.header, 1);
    }

    #[test]
    fn named_parameters_must_match_by_name() {
        let spec = ParamSpec::from_definition(
            &json!([{"type": "BODY", "text": "Hi {{first_name}}, code {{code}}"}]),
        );
        assert!(spec.is_named());
        let ok = json!([{"type": "body", "parameters": [
            {"type": "text", "parameter_name": "code", "text": "1"},
            {"type": "text", "parameter_name": "first_name", "text": "Ana"}
        ]}]);
        assert_eq!(spec.check(&ok), Ok(()));
        let bad = json!([{"type": "body", "parameters": [
            {"type": "text", "parameter_name": "name", "text": "1"},
            {"type": "text", "parameter_name": "first_name", "text": "Ana"}
        ]}]);
        assert!(matches!(
            spec.check(&bad),
            Err(TemplateParamError::Names { .. })
        ));
    }

    #[test]
    fn placeholders_ignore_garbage() {
        assert_eq!(
            placeholders("{{1}} {{ 2 }} {{}} {{a-b}} {{1}} {{x"),
            vec!["1", "2"]
        );
    }
}
