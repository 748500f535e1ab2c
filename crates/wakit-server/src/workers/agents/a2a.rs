//! A2A agents (`protocol: "a2a"`): a turn sends the customer's messages since the last
//! answer as one JSON-RPC 2.0 `message/send` (A2A 0.3, `kind` parts) to `api_url`, with
//! the agent's key as a bearer token when one is set; an agent that does not know the
//! method (an A2A 1.0 server without 0.3 compatibility) is asked again with 1.0's
//! `SendMessage` (`A2A-Version: 1.0`, proto-JSON parts and enums). `contextId` names the conversation
//! since its last `/new`, so the remote agent keeps the conversation's memory itself;
//! `metadata` carries the context (organization, conversation, agent, customer). The
//! answer is a message (its text parts are sent) or a task (the text parts of its status
//! message and artifacts; a failed, rejected or canceled task sends nothing and fails the
//! turn). The same per-call timeout and retries as chat completions. (The hosted product
//! speaks the old draft's `tasks/send`.)

use serde_json::{Value, json};
use uuid::Uuid;

use super::AgentRuntimeConfig;
use super::model::{ModelError, post_json};

/// Who and what a turn is about, for the request's `contextId` and `metadata`.
pub struct A2aTurn {
    /// The organization.
    pub org_id: wakit_core::OrgId,
    /// The conversation.
    pub conversation_id: wakit_core::ConversationId,
    /// The agent answering.
    pub agent_id: wakit_core::AgentId,
    /// The customer's phone.
    pub contact_phone: String,
    /// The customer's name, when known.
    pub contact_name: Option<String>,
    /// The conversation since its last `/new` (see `history::context_id`).
    pub context_id: String,
}

/// The A2A version a request is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 0.3: `message/send`, `{"kind": "text", "text"}` parts, `role: "user"`.
    V03,
    /// 1.0: `SendMessage`, `{"text"}` parts, `role: "ROLE_USER"`.
    V10,
}

/// JSON-RPC's "Method not found".
const METHOD_NOT_FOUND: i64 = -32601;

/// The send request carrying `texts` in context `context_id`.
pub fn request(version: Version, context_id: &str, texts: &[String], metadata: Value) -> Value {
    let v03 = version == Version::V03;
    let parts: Vec<Value> = texts
        .iter()
        .map(|t| match version {
            Version::V03 => json!({"kind": "text", "text": t}),
            Version::V10 => json!({"text": t}),
        })
        .collect();
    let mut message = json!({
        "role": if v03 { "user" } else { "ROLE_USER" },
        "messageId": Uuid::new_v4().to_string(),
        "contextId": context_id,
        "parts": parts,
    });
    let configuration = if v03 {
        message["kind"] = json!("message");
        json!({"blocking": true, "acceptedOutputModes": ["text/plain"]})
    } else {
        json!({"acceptedOutputModes": ["text/plain"]})
    };
    json!({
        "jsonrpc": "2.0",
        "id": Uuid::new_v4().to_string(),
        "method": if v03 { "message/send" } else { "SendMessage" },
        "params": {"message": message, "configuration": configuration, "metadata": metadata},
    })
}

/// The non-empty text parts of `parts`.
fn texts(parts: &Value) -> impl Iterator<Item = String> + '_ {
    parts
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p.get("kind").is_none_or(|k| k == "text"))
        .filter_map(|p| p["text"].as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The texts to send for a JSON-RPC answer (empty: stay silent).
pub fn read_answer(answer: &Value) -> Result<Vec<String>, ModelError> {
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        let message: String = error["message"]
            .as_str()
            .unwrap_or("no message")
            .chars()
            .take(300)
            .collect();
        let code = &error["code"];
        return Err(ModelError::new(
            format!("the A2A agent answered error {code}: {message}"),
            false,
        ));
    }
    let result = &answer["result"];
    // 0.3 says what the result is in `kind`; 1.0 wraps it in `message` or `task`.
    let (kind, result) = match result["kind"].as_str() {
        Some(kind) => (kind, result),
        None if result.get("message").is_some() => ("message", &result["message"]),
        None if result.get("task").is_some() => ("task", &result["task"]),
        None => ("", result),
    };
    match kind {
        "message" => Ok(texts(&result["parts"]).collect()),
        "task" => {
            let state = result["status"]["state"].as_str().unwrap_or_default();
            let state = state.trim_start_matches("TASK_STATE_").to_ascii_lowercase();
            let said: Vec<String> = texts(&result["status"]["message"]["parts"]).collect();
            if matches!(state.as_str(), "failed" | "rejected" | "canceled") {
                let why = said.join(" ");
                return Err(ModelError::new(
                    format!("the A2A agent's task ended {state}: {why}"),
                    false,
                ));
            }
            let artifacts = result["artifacts"].as_array().into_iter().flatten();
            let made = artifacts.flat_map(|a| texts(&a["parts"]));
            Ok(said.into_iter().chain(made).collect())
        }
        _ => Err(ModelError::new(
            "the A2A agent's answer is neither a message nor a task",
            false,
        )),
    }
}

/// Asks the agent at `url` about `texts`; the texts to send back.
pub async fn ask(
    http: &reqwest::Client,
    runtime: &AgentRuntimeConfig,
    url: &str,
    api_key: Option<&str>,
    turn: &A2aTurn,
    texts: &[String],
) -> Result<Vec<String>, ModelError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ModelError::new(
            "an A2A agent's api_url must be the agent's http(s) URL",
            false,
        ));
    }
    let metadata = json!({
        "organization_id": turn.org_id.to_string(),
        "conversation_id": turn.conversation_id.to_string(),
        "agent_id": turn.agent_id.to_string(),
        "contact_phone": turn.contact_phone,
        "contact_name": turn.contact_name,
    });
    let body = request(Version::V03, &turn.context_id, texts, metadata.clone());
    let answer = post_json(http, runtime, url, api_key, &body, &[]).await?;
    if answer["error"]["code"].as_i64() != Some(METHOD_NOT_FOUND) {
        return read_answer(&answer);
    }
    let body = request(Version::V10, &turn.context_id, texts, metadata);
    let version = [("A2A-Version", "1.0")];
    read_answer(&post_json(http, runtime, url, api_key, &body, &version).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_tasks_are_read_and_failures_refused() {
        let message = json!({"jsonrpc": "2.0", "id": "1", "result": {"kind": "message",
            "role": "agent", "parts": [{"kind": "text", "text": "Hola"},
            {"kind": "data", "data": {}}, {"kind": "text", "text": " "}]}});
        assert_eq!(read_answer(&message).unwrap_or_default(), ["Hola"]);
        let task = json!({"result": {"kind": "task", "id": "t", "status": {"state":
            "completed", "message": {"parts": [{"kind": "text", "text": "Listo."}]}},
            "artifacts": [{"parts": [{"kind": "text", "text": "Cita: lunes 10:00"}]}]}});
        assert_eq!(
            read_answer(&task).unwrap_or_default(),
            ["Listo.", "Cita: lunes 10:00"]
        );
        let failed = json!({"result": {"kind": "task", "status": {"state": "failed"}}});
        assert!(read_answer(&failed).is_err());
        let error = json!({"error": {"code": -32601, "message": "Method not found"}});
        let e = read_answer(&error).expect_err("an error");
        assert!(e.message.contains("-32601"), "{e}");
        assert!(read_answer(&json!({"result": 1})).is_err());
        let v10 = json!({"result": {"task": {"id": "t", "status": {"state": "TASK_STATE_COMPLETED"},
            "artifacts": [{"parts": [{"text": "Echo"}]}]}}});
        assert_eq!(read_answer(&v10).unwrap_or_default(), ["Echo"]);
        let v10 = json!({"result": {"task": {"status": {"state": "TASK_STATE_REJECTED"}}}});
        assert!(read_answer(&v10).is_err());
    }

    #[test]
    fn requests_are_written_for_either_version() {
        let r = request(Version::V03, "conv-1", &["hola".into()], json!({"k": 1}));
        assert_eq!(r["method"], "message/send");
        assert_eq!(r["params"]["message"]["contextId"], "conv-1");
        assert_eq!(
            r["params"]["message"]["parts"][0],
            json!({"kind": "text", "text": "hola"})
        );
        assert_eq!(r["params"]["metadata"]["k"], 1);
        let r = request(Version::V10, "conv-1", &["hola".into()], json!({}));
        assert_eq!(r["method"], "SendMessage");
        assert_eq!(r["params"]["message"]["role"], "ROLE_USER");
        assert_eq!(r["params"]["message"]["parts"][0], json!({"text": "hola"}));
    }
}
