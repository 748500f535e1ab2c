//! Length limits of a template send's parameters, as Meta applies them, checked before
//! anything is stored: the body with its parameters filled in at most
//! [`MAX_BODY_CHARS`] (Meta's 132005 "hydrated text too long"), a header text parameter
//! at most [`MAX_HEADER_CHARS`], any other string at most [`MAX_VALUE_CHARS`] (a button
//! URL's length), and the components as a whole at most [`MAX_COMPONENTS_BYTES`].

use serde_json::Value;
use wakit_core::template::placeholders;

/// Longest template body once its parameters are filled in (characters).
pub const MAX_BODY_CHARS: usize = 1024;
/// Longest header text parameter (characters).
pub const MAX_HEADER_CHARS: usize = 60;
/// Longest string anywhere else in the components (characters).
pub const MAX_VALUE_CHARS: usize = 2000;
/// Largest `components` list, serialized (bytes).
pub const MAX_COMPONENTS_BYTES: usize = 32 * 1024;

/// Why a send's parameters are refused: a sentence for the 400, or `None` when they fit.
/// `definition` is Meta's template (its `BODY` text), `components` the send's.
pub fn check(definition: &Value, components: &Value) -> Option<String> {
    let size = serde_json::to_vec(components).map_or(usize::MAX, |v| v.len());
    if size > MAX_COMPONENTS_BYTES {
        return Some(format!(
            "the components are {size} bytes; at most {MAX_COMPONENTS_BYTES} are accepted"
        ));
    }
    let mut body_values = 0;
    for component in components.as_array().into_iter().flatten() {
        let kind = component.get("type").and_then(Value::as_str).unwrap_or("");
        for param in params(component) {
            let text_chars = param
                .get("text")
                .and_then(Value::as_str)
                .map(|t| t.chars().count());
            if kind.eq_ignore_ascii_case("header") && text_chars > Some(MAX_HEADER_CHARS) {
                return Some(format!(
                    "a header parameter is {} characters; Meta accepts at most {MAX_HEADER_CHARS}",
                    text_chars.unwrap_or_default()
                ));
            }
            if kind.eq_ignore_ascii_case("body") {
                body_values += shown_chars(param);
            }
            if let Some(long) = longest_string(param).filter(|n| *n > MAX_VALUE_CHARS) {
                return Some(format!(
                    "a parameter value is {long} characters; Meta accepts at most {MAX_VALUE_CHARS}"
                ));
            }
        }
    }
    let body = body_text(definition);
    let tokens: usize = placeholders(body)
        .iter()
        .map(|name| body.matches(&format!("{{{{{name}}}}}")).count() * (name.chars().count() + 4))
        .sum();
    let hydrated = (body.chars().count() + body_values).saturating_sub(tokens);
    (hydrated > MAX_BODY_CHARS).then(|| {
        format!(
            "the body would be {hydrated} characters with its parameters; Meta accepts at most {MAX_BODY_CHARS}"
        )
    })
}

fn params(component: &Value) -> impl Iterator<Item = &Value> {
    component
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// What a body parameter adds to the text the customer sees.
fn shown_chars(param: &Value) -> usize {
    let text = param.get("text").and_then(Value::as_str).or_else(|| {
        ["currency", "date_time"]
            .iter()
            .find_map(|k| param.get(*k)?.get("fallback_value")?.as_str())
    });
    text.map_or(0, |t| t.chars().count())
}

/// The longest string anywhere in `v` (characters).
fn longest_string(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(items) => items.iter().filter_map(longest_string).max(),
        Value::Object(map) => map.values().filter_map(longest_string).max(),
        _ => None,
    }
}

fn body_text(definition: &Value) -> &str {
    definition
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("body"))
        })
        .and_then(|c| c.get("text").and_then(Value::as_str))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn send(values: &[&str]) -> Value {
        let parameters: Vec<Value> = values
            .iter()
            .map(|t| json!({"type": "text", "text": t}))
            .collect();
        json!([{"type": "body", "parameters": parameters}])
    }

    #[test]
    fn the_filled_in_body_is_bounded_as_meta_bounds_it() {
        let def = json!([{"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}}"}]);
        assert_eq!(check(&def, &send(&["María", "A-1042"])), None);
        // "Hola , tu pedido " is 17 characters: 1007 more fit exactly.
        let fits = "x".repeat(MAX_BODY_CHARS - 17 - 1);
        assert_eq!(check(&def, &send(&[&fits, "y"])), None);
        let over = check(&def, &send(&[&fits, "yz"])).expect("refused");
        assert!(over.contains("1025 characters"), "{over}");
        let header =
            json!([{"type": "header", "parameters": [{"type": "text", "text": "h".repeat(61)}]}]);
        assert!(check(&def, &header).is_some_and(|e| e.contains("header")));
        let huge = send(&[&"x".repeat(1024 * 1024), "y"]);
        assert!(check(&def, &huge).is_some_and(|e| e.contains("bytes")));
    }
}
