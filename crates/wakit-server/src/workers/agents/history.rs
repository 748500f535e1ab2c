//! What the model is given: the system prompt (instructions + context) and the
//! conversation's recent messages as chat messages — since the last `/new`, within
//! [`HISTORY_DAYS`] and the agent's `max_messages`; `assistant` only for this agent's
//! own messages; non-text parts described in text.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use wakit_core::content::Kind;
use wakit_core::{AgentId, Direction, MessageContent};
use wakit_store::MessageRecord;

/// Messages older than this are not given to the model.
pub const HISTORY_DAYS: i64 = 7;

/// Whether a customer's message asks to start over (`/new`, any case).
pub fn is_reset(content: &MessageContent) -> bool {
    content.kind == Kind::Text
        && content.text.as_deref().is_some_and(|t| {
            let t = t.trim_start();
            t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("/new"))
                && t[4..].chars().next().is_none_or(char::is_whitespace)
        })
}

/// The system prompt: the agent's instructions, then the context.
pub fn system_prompt(
    instructions: &str,
    local_now: &str,
    name: Option<&str>,
    phone: &str,
) -> String {
    let mut prompt = instructions.trim().to_string();
    if !prompt.is_empty() {
        prompt.push_str("\n\n");
    }
    prompt.push_str("Context:\n");
    prompt.push_str(&format!("- Current time: {local_now}\n"));
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        prompt.push_str(&format!("- Customer name: {name}\n"));
    }
    prompt.push_str(&format!("- Customer phone: {phone}\n"));
    prompt
        .push_str("Answer the customer only through the respond tool; an empty list stays silent.");
    prompt
}

/// The chat messages for `messages` (oldest first): the part after the newest incoming
/// `/new`, no older than [`HISTORY_DAYS`], at most `limit`, mapped to roles.
pub fn chat_history(
    messages: &[MessageRecord],
    agent: AgentId,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let start = since_reset(messages);
    let since = now - Duration::days(HISTORY_DAYS);
    let recent: Vec<&MessageRecord> = messages[start..]
        .iter()
        .filter(|m| m.timestamp >= since && m.direction != Direction::Internal)
        .collect();
    let skip = recent.len().saturating_sub(limit);
    recent
        .into_iter()
        .skip(skip)
        .map(|m| {
            let text = describe(&m.content);
            match (m.direction, m.agent_id) {
                (Direction::Outgoing, Some(a)) if a == agent => {
                    json!({"role": "assistant", "content": text})
                }
                (Direction::Outgoing, _) => json!({"role": "user",
                    "content": format!("[sent to the customer by the business] {text}")}),
                _ => json!({"role": "user", "content": text}),
            }
        })
        .collect()
}

/// Where the conversation starts over: just after the newest incoming `/new` (0: none).
pub fn since_reset(messages: &[MessageRecord]) -> usize {
    messages
        .iter()
        .rposition(|m| m.direction == Direction::Incoming && is_reset(&m.content))
        .map_or(0, |i| i + 1)
}

/// The customer's messages (described in text) since the last message sent to them and
/// the last `/new`, oldest first: what an A2A agent is told in one `message/send`.
pub fn unanswered(messages: &[MessageRecord]) -> Vec<String> {
    let recent = &messages[since_reset(messages)..];
    let after = recent
        .iter()
        .rposition(|m| m.direction == Direction::Outgoing)
        .map_or(0, |i| i + 1);
    recent[after..]
        .iter()
        .filter(|m| m.direction == Direction::Incoming)
        .map(|m| describe(&m.content))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The A2A `contextId` of a conversation: its id, and the `/new` it starts after, so a
/// `/new` gives the agent a fresh context.
pub fn context_id(conversation: wakit_core::ConversationId, messages: &[MessageRecord]) -> String {
    match since_reset(messages) {
        0 => conversation.to_string(),
        i => format!("{conversation}/{}", messages[i - 1].id),
    }
}

/// A message's content as text: its text, or a description of what it carries.
pub fn describe(content: &MessageContent) -> String {
    let text = content.text.as_deref().unwrap_or_default().trim();
    match content.kind {
        Kind::Text => text.to_string(),
        kind => {
            let mut out = format!("[{}", kind.as_str());
            if let Some(name) = content.file.as_ref().and_then(|f| f.name.as_deref()) {
                out.push_str(&format!(" \"{name}\""));
            }
            if let Some(data) = content.data.as_ref().filter(|_| text.is_empty()) {
                let data = data.to_string();
                out.push_str(": ");
                out.extend(data.chars().take(500));
            }
            out.push(']');
            if !text.is_empty() {
                out.push(' ');
                out.push_str(text);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_is_the_command_alone_or_with_words_after_it() {
        for (text, reset) in [
            ("/new", true),
            ("  /NEW please", true),
            ("/newer", false),
            ("hi /new", false),
        ] {
            assert_eq!(is_reset(&MessageContent::text(text)), reset, "{text}");
        }
    }

    #[test]
    fn media_is_described_in_text() {
        let mut image = MessageContent::text("a cat");
        image.kind = Kind::Image;
        assert_eq!(describe(&image), "[image] a cat");
        assert_eq!(describe(&MessageContent::text(" hola ")), "hola");
    }
}
