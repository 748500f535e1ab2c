//! Template sends (reference §1.3 "Template"): the template must exist in the number's
//! WABA in that language and be approved (132001, 132015, 132016), and each component's
//! parameters must match its placeholders (132000, 132012).

use axum::http::StatusCode;
use serde_json::Value;

use super::GraphError;
use crate::state::State;
use crate::template::{Template, placeholders};

fn count_mismatch(component: &str, given: usize, expected: usize) -> GraphError {
    GraphError::wa(
        132000,
        StatusCode::BAD_REQUEST,
        "Number of parameters does not match the expected number of params",
        format!(
            "{component}: number of localizable_params ({given}) does not match the expected number of params ({expected})"
        ),
    )
}

/// The template a send names, after every check.
pub(crate) fn check(st: &State, waba_id: &str, req: &Value) -> Result<Template, GraphError> {
    let tpl = match req.get("template") {
        Some(t @ Value::Object(_)) => t,
        Some(Value::Null) | None => return Err(GraphError::missing("template is required")),
        Some(_) => return Err(GraphError::invalid("template must be an object")),
    };
    let name = tpl
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| GraphError::missing("template['name'] is required"))?;
    let language = tpl
        .pointer("/language/code")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| GraphError::missing("template['language']['code'] is required"))?;
    let found = st
        .templates
        .get(waba_id)
        .into_iter()
        .flatten()
        .find(|t| t.name == name && t.language == language);
    let not_found = || {
        GraphError::wa(
            132001,
            StatusCode::NOT_FOUND,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        )
    };
    let t = found.ok_or_else(not_found)?;
    match t.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => {
            return Err(GraphError::wa(
                132015,
                StatusCode::BAD_REQUEST,
                "Template is paused",
                format!("Template {name} is paused due to low quality so it cannot be sent."),
            ));
        }
        "DISABLED" => {
            return Err(GraphError::wa(
                132016,
                StatusCode::BAD_REQUEST,
                "Template is disabled",
                format!(
                    "Template {name} has been paused too many times due to low quality and is now permanently disabled."
                ),
            ));
        }
        _ => return Err(not_found()),
    }
    let sent: Vec<&Value> = tpl
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    check_body(t, &sent)?;
    check_header(t, &sent)?;
    check_buttons(t, &sent)?;
    Ok(t.clone())
}

fn kind_of(c: &Value) -> String {
    c.get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Parameters of every sent component of `kind`.
fn params_of<'a>(sent: &[&'a Value], kind: &str) -> Result<Vec<&'a Value>, GraphError> {
    let mut out = Vec::new();
    for c in sent.iter().filter(|c| kind_of(c) == kind) {
        match c.get("parameters") {
            Some(Value::Array(ps)) => out.extend(ps.iter()),
            None | Some(Value::Null) => {}
            Some(_) => {
                return Err(GraphError::invalid(format!(
                    "{kind}['parameters'] must be an array"
                )));
            }
        }
    }
    for p in &out {
        let ptype = p.get("type").and_then(Value::as_str).unwrap_or_default();
        if ptype.is_empty() {
            return Err(GraphError::missing(format!(
                "{kind} parameter['type'] is required"
            )));
        }
        if ptype == "text" && !p.get("text").is_some_and(Value::is_string) {
            return Err(GraphError::missing(format!(
                "{kind} parameter['text'] is required"
            )));
        }
    }
    Ok(out)
}

fn check_body(t: &Template, sent: &[&Value]) -> Result<(), GraphError> {
    let expected = t.component_params("BODY");
    let given = params_of(sent, "body")?;
    if given.len() != expected.len() {
        return Err(count_mismatch("body", given.len(), expected.len()));
    }
    if t.parameter_format == "NAMED" {
        for p in given {
            let pname = p
                .get("parameter_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !expected.iter().any(|e| e == pname) {
                return Err(GraphError::wa(
                    132000,
                    StatusCode::BAD_REQUEST,
                    "Number of parameters does not match the expected number of params",
                    format!(
                        "body: parameter_name ({pname}) is not one of the template's named params {expected:?}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_header(t: &Template, sent: &[&Value]) -> Result<(), GraphError> {
    let given = params_of(sent, "header")?;
    let Some(header) = t.component("HEADER") else {
        return match given.len() {
            0 => Ok(()),
            n => Err(count_mismatch("header", n, 0)),
        };
    };
    let format = header
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    if format == "TEXT" {
        let expected = t.component_params("HEADER").len();
        if given.len() != expected {
            return Err(count_mismatch("header", given.len(), expected));
        }
        return Ok(());
    }
    if given.len() != 1 {
        return Err(count_mismatch("header", given.len(), 1));
    }
    let ptype = given[0]
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let expected = if format == "GIF" {
        "VIDEO"
    } else {
        format.as_str()
    };
    if ptype != expected {
        return Err(GraphError::wa(
            132012,
            StatusCode::BAD_REQUEST,
            "Parameter format does not match format in the created template",
            format!("header: Format mismatch, expected {format}, received {ptype}"),
        ));
    }
    Ok(())
}

fn check_buttons(t: &Template, sent: &[&Value]) -> Result<(), GraphError> {
    let defined: Vec<&Value> = t
        .component("BUTTONS")
        .and_then(|c| c.get("buttons"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // Parameters each defined button requires.
    let required = |b: &Value| -> usize {
        let btype = b
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let url = b.get("url").and_then(Value::as_str).unwrap_or_default();
        match btype.as_str() {
            "URL" => placeholders(url).len(),
            "COPY_CODE" => 1,
            _ => 0,
        }
    };
    let mut given_by_index = vec![0usize; defined.len()];
    for c in sent.iter().filter(|c| kind_of(c) == "button") {
        let index = match c.get("index") {
            Some(Value::String(s)) => s.parse::<usize>().ok(),
            Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
            _ => None,
        }
        .ok_or_else(|| GraphError::missing("button['index'] is required"))?;
        let n = c
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        match given_by_index.get_mut(index) {
            Some(slot) => *slot += n,
            None => {
                return Err(count_mismatch(&format!("button at index {index}"), n, 0));
            }
        }
    }
    for (i, b) in defined.iter().enumerate() {
        let need = required(b);
        let given = given_by_index[i];
        let btype = b
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        // Quick replies may carry an optional payload; flows an optional action.
        let optional = matches!(
            btype.as_str(),
            "QUICK_REPLY" | "FLOW" | "CATALOG" | "MPM" | "OTP"
        ) && given <= 1;
        if given != need && !optional {
            return Err(count_mismatch(&format!("button at index {i}"), given, need));
        }
    }
    Ok(())
}
