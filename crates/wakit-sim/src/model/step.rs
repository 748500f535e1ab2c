//! One scripted answer of the sandbox model, as the control API takes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

use crate::error::{SimError, invalid};

/// The longest delay a step or the latency may ask for.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(600);

/// What the model answers to one request.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelStep {
    /// A `respond` tool call with these texts (empty: the agent stays silent).
    Respond {
        /// The texts, one message each.
        texts: Vec<String>,
        /// Held this long before answering.
        delay_ms: u64,
    },
    /// A call of tool `name` with `arguments` (a JSON object).
    Tool {
        /// The tool's name.
        name: String,
        /// Its arguments.
        arguments: Value,
        /// Held this long before answering.
        delay_ms: u64,
    },
    /// Plain assistant content without a tool call.
    Text {
        /// The content.
        text: String,
        /// Held this long before answering.
        delay_ms: u64,
    },
    /// An error answer in OpenAI's shape with this HTTP status.
    Error {
        /// 400..=599.
        status: u16,
        /// The error's message.
        message: String,
        /// Held this long before answering.
        delay_ms: u64,
    },
    /// Never answers (until the sandbox stops or 10 minutes pass): a client timeout.
    Hang,
}

impl ModelStep {
    /// A `respond` call sending `text`.
    pub fn respond(text: impl Into<String>) -> Self {
        ModelStep::Respond {
            texts: vec![text.into()],
            delay_ms: 0,
        }
    }

    /// A `respond` call with no message: stay silent.
    pub fn silent() -> Self {
        ModelStep::Respond {
            texts: Vec::new(),
            delay_ms: 0,
        }
    }

    /// A call of tool `name`.
    pub fn tool(name: impl Into<String>, arguments: Value) -> Self {
        ModelStep::Tool {
            name: name.into(),
            arguments,
            delay_ms: 0,
        }
    }

    /// An error answer with `status`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        ModelStep::Error {
            status,
            message: message.into(),
            delay_ms: 0,
        }
    }

    /// How long the step holds the request before answering.
    pub(crate) fn delay(&self) -> Duration {
        match self {
            ModelStep::Respond { delay_ms, .. }
            | ModelStep::Tool { delay_ms, .. }
            | ModelStep::Text { delay_ms, .. }
            | ModelStep::Error { delay_ms, .. } => Duration::from_millis(*delay_ms),
            ModelStep::Hang => MAX_DELAY,
        }
    }
}

/// The control API's JSON form: exactly one of `respond`, `tool`, `text`, `error`,
/// `hang`, plus `delay_ms`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepIn {
    respond: Option<Vec<String>>,
    tool: Option<String>,
    arguments: Option<Value>,
    text: Option<String>,
    error: Option<u16>,
    message: Option<String>,
    #[serde(default)]
    hang: bool,
    #[serde(default)]
    delay_ms: u64,
}

impl TryFrom<StepIn> for ModelStep {
    type Error = SimError;

    fn try_from(s: StepIn) -> Result<Self, SimError> {
        let kinds = [
            s.respond.is_some(),
            s.tool.is_some(),
            s.text.is_some(),
            s.error.is_some(),
            s.hang,
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err(invalid(
                "a step has exactly one of respond, tool, text, error, hang",
            ));
        }
        if Duration::from_millis(s.delay_ms) > MAX_DELAY {
            return Err(invalid("delay_ms must be at most 600000"));
        }
        if s.arguments.is_some() && s.tool.is_none() {
            return Err(invalid("arguments belong to a tool step"));
        }
        if s.message.is_some() && s.error.is_none() {
            return Err(invalid("message belongs to an error step"));
        }
        let delay_ms = s.delay_ms;
        Ok(match (s.respond, s.tool, s.text, s.error) {
            (Some(texts), ..) => ModelStep::Respond { texts, delay_ms },
            (_, Some(name), ..) => {
                let arguments = s
                    .arguments
                    .unwrap_or_else(|| Value::Object(Default::default()));
                if name.trim().is_empty() || !arguments.is_object() {
                    return Err(invalid("a tool step needs a name and object arguments"));
                }
                ModelStep::Tool {
                    name,
                    arguments,
                    delay_ms,
                }
            }
            (_, _, Some(text), _) => ModelStep::Text { text, delay_ms },
            (_, _, _, Some(status)) => {
                if !(400..=599).contains(&status) {
                    return Err(invalid("error must be an HTTP status in 400..=599"));
                }
                let message = s
                    .message
                    .unwrap_or_else(|| format!("sandbox model error {status}"));
                ModelStep::Error {
                    status,
                    message,
                    delay_ms,
                }
            }
            _ => ModelStep::Hang,
        })
    }
}
