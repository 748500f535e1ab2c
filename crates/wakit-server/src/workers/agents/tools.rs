//! The tools an agent is offered: `respond` (always: the only way to answer), the local
//! `calculator` when its configuration lists it, HTTP `request` when it has an `http`
//! tool ([`http_tool`]) and its MCP servers' tools ([`mcp_tool`]). SQL tools are not run:
//! a call of a tool not offered gets an error result the model can read.

use serde_json::{Value, json};
use wakit_core::AgentConfig;

use super::http_tool;
use super::mcp_tool::McpTools;
use super::model::ToolCall;

/// The `respond` tool: send messages to the customer (empty: stay silent).
fn respond_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "respond",
        "description": "Send messages to the customer. An empty list sends nothing.",
        "parameters": {"type": "object", "properties": {"messages": {"type": "array",
            "items": {"type": "object", "properties": {
                "type": {"type": "string", "enum": ["text"]},
                "text": {"type": "string"}}, "required": ["type", "text"]}}},
            "required": ["messages"]}}})
}

fn calculator_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression (+ - * / and parentheses).",
        "parameters": {"type": "object", "properties": {
            "expression": {"type": "string"}}, "required": ["expression"]}}})
}

/// Whether the configuration lists the local calculator.
fn offers_calculator(config: &AgentConfig) -> bool {
    config
        .tools
        .iter()
        .any(|t| t["name"].as_str() == Some("calculator"))
}

/// The tool definitions sent with every call.
pub fn definitions(config: &AgentConfig, mcp: &McpTools) -> Vec<Value> {
    let mut tools = vec![respond_tool()];
    if offers_calculator(config) {
        tools.push(calculator_tool());
    }
    tools.extend(http_tool::definition(config));
    tools.extend(mcp.definitions());
    tools
}

/// Runs one tool call; its result as the `role: "tool"` message. `allow_private`: the
/// HTTP tool may reach private addresses.
pub async fn run(
    config: &AgentConfig,
    mcp: &McpTools,
    call: &ToolCall,
    allow_private: bool,
) -> Value {
    let content = match call.name.as_str() {
        "calculator" if offers_calculator(config) => {
            let expr = call.arguments["expression"].as_str().unwrap_or_default();
            match evaluate(expr) {
                Some(v) => format_number(v),
                None => format!("error: cannot evaluate {expr:?}"),
            }
        }
        "request" if http_tool::definition(config).is_some() => {
            http_tool::run(config, &call.arguments, allow_private).await
        }
        other => match mcp.run(other, &call.arguments).await {
            Some(result) => result,
            None => format!("error: no tool named {other:?} is available"),
        },
    };
    json!({"role": "tool", "tool_call_id": call.id, "content": content})
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Evaluates `+ - * /`, unary minus and parentheses over decimal numbers; `None` for
/// anything else, a division by zero, or nesting deeper than 64.
pub fn evaluate(expr: &str) -> Option<f64> {
    let tokens: Vec<char> = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let mut p = Parser { t: &tokens, i: 0 };
    let v = p.sum(0)?;
    (p.i == tokens.len() && v.is_finite()).then_some(v)
}

struct Parser<'a> {
    t: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.t.get(self.i).copied()
    }

    fn sum(&mut self, depth: u32) -> Option<f64> {
        let mut v = self.product(depth)?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.i += 1;
            let r = self.product(depth)?;
            v = if op == '+' { v + r } else { v - r };
        }
        Some(v)
    }

    fn product(&mut self, depth: u32) -> Option<f64> {
        let mut v = self.factor(depth)?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.i += 1;
            let r = self.factor(depth)?;
            v = if op == '*' {
                v * r
            } else if r == 0.0 {
                return None;
            } else {
                v / r
            };
        }
        Some(v)
    }

    fn factor(&mut self, depth: u32) -> Option<f64> {
        if depth > 64 {
            return None;
        }
        match self.peek()? {
            '-' => {
                self.i += 1;
                Some(-self.factor(depth + 1)?)
            }
            '(' => {
                self.i += 1;
                let v = self.sum(depth + 1)?;
                (self.peek() == Some(')')).then(|| self.i += 1)?;
                Some(v)
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.i += 1;
                }
                self.t[start..self.i]
                    .iter()
                    .collect::<String>()
                    .parse()
                    .ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calculator_follows_precedence_and_refuses_the_rest() {
        assert_eq!(evaluate("2 + 3*4"), Some(14.0));
        assert_eq!(evaluate("(2+3)*-4"), Some(-20.0));
        assert_eq!(evaluate("7/2"), Some(3.5));
        assert_eq!(evaluate("1/0"), None);
        assert_eq!(evaluate("2+"), None);
        assert_eq!(evaluate("rm -rf"), None);
        assert_eq!(evaluate(&"(".repeat(100)), None);
        assert_eq!(format_number(14.0), "14");
    }
}
