//! Building the model's answers: the default script and OpenAI's response shapes.

use serde_json::{Value, json};

use super::ModelStep;

/// What the default script does with a request: answer a tool result, compute
/// arithmetic through `calculator` when the agent offers it, else echo the customer's
/// last text through `respond` (plain content when `respond` is not offered).
pub(crate) fn default_step(body: &Value) -> ModelStep {
    let messages = body["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let has_tool = |name: &str| {
        body["tools"].as_array().is_some_and(|tools| {
            tools
                .iter()
                .any(|t| t["function"]["name"].as_str() == Some(name))
        })
    };
    let say = |text: String| {
        if has_tool("respond") {
            ModelStep::respond(text)
        } else {
            ModelStep::Text { text, delay_ms: 0 }
        }
    };
    let Some(last) = messages.last() else {
        return ModelStep::silent();
    };
    if last["role"] == "tool" {
        return say(format!("Result: {}", content_text(&last["content"])));
    }
    let Some(user) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return ModelStep::silent();
    };
    let text = content_text(&user["content"]);
    let text = text.trim();
    if has_tool("calculator") && is_arithmetic(text) {
        return ModelStep::tool("calculator", json!({ "expression": text }));
    }
    if text.is_empty() {
        return ModelStep::silent();
    }
    say(format!("You said: {text}"))
}

/// A message's `content`: a string, or the text parts of an array joined by newlines.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Digits, spaces, parentheses and at least one operator.
fn is_arithmetic(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| "+-*/".contains(c))
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " .+-*/()".contains(c))
}

/// A successful `chat.completion` for `step` (a respond, tool or text step).
pub(crate) fn completion(body: &Value, step: &ModelStep, call: u64) -> Value {
    let model = body["model"].as_str().unwrap_or_default();
    let (message, finish, output_len) = match step {
        ModelStep::Respond { texts, .. } => {
            let messages: Vec<Value> = texts
                .iter()
                .map(|t| json!({"type": "text", "text": t}))
                .collect();
            tool_message("respond", &json!({ "messages": messages }), call)
        }
        ModelStep::Tool {
            name, arguments, ..
        } => tool_message(name, arguments, call),
        ModelStep::Text { text, .. } => (
            json!({"role": "assistant", "content": text}),
            "stop",
            text.len(),
        ),
        ModelStep::Error { .. } | ModelStep::Hang => (Value::Null, "stop", 0),
    };
    let prompt = tokens(body["messages"].to_string().len());
    let completion = tokens(output_len);
    json!({
        "id": format!("chatcmpl-sim-{call}"),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": null}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    })
}

fn tool_message(name: &str, arguments: &Value, call: u64) -> (Value, &'static str, usize) {
    let args = arguments.to_string();
    let len = args.len();
    let message = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{"id": format!("call_sim_{call}"), "type": "function",
                        "function": {"name": name, "arguments": args}}],
    });
    (message, "tool_calls", len)
}

/// A deterministic token estimate: one token per 4 bytes, at least 1.
fn tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4).max(1)
}

/// OpenAI's error body.
pub(crate) fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(last: &str, tools: &[&str]) -> Value {
        let tools: Vec<Value> = tools
            .iter()
            .map(|n| json!({"type": "function", "function": {"name": n}}))
            .collect();
        json!({"model": "m", "messages": [{"role": "system", "content": "be nice"},
            {"role": "user", "content": last}], "tools": tools})
    }

    #[test]
    fn default_script_echoes_computes_and_reports_tool_results() {
        assert_eq!(
            default_step(&request("Hola", &["respond"])),
            ModelStep::respond("You said: Hola")
        );
        assert_eq!(
            default_step(&request("2 + 3*4", &["respond", "calculator"])),
            ModelStep::tool("calculator", json!({"expression": "2 + 3*4"}))
        );
        assert_eq!(
            default_step(&request("2 + 3*4", &["respond"])),
            ModelStep::respond("You said: 2 + 3*4")
        );
        let mut after_tool = request("2+2", &["respond", "calculator"]);
        after_tool["messages"]
            .as_array_mut()
            .expect("array")
            .push(json!({"role": "tool", "tool_call_id": "c1", "content": "4"}));
        assert_eq!(default_step(&after_tool), ModelStep::respond("Result: 4"));
        assert_eq!(
            default_step(&request("Hola", &[])),
            ModelStep::Text {
                text: "You said: Hola".into(),
                delay_ms: 0
            }
        );
    }
}
