//! The client CLI: the hosted `wakit-cli`'s commands, talking to a wakit server's REST API
//! with the key saved by `wakit init`.

mod agents;
mod args;
mod config;
mod listen;
mod mcp;
mod media;
mod resolve;
mod send;
mod setup;
mod style;
mod view;
mod webhooks;

pub use agents::{AgentsArgs, agents};
pub use args::*;
pub use listen::listen;
pub use mcp::mcp;
pub use media::media;
pub use send::send;
pub use setup::{init, status, switch};
pub use view::{chat, contacts, conversations, health, templates};
pub use webhooks::{WebhooksArgs, webhooks};

use std::future::Future;
use std::time::Duration;
use wakit_api::{Answer, Client, ClientError};

use config::Config;
use style::Style;

/// A usage problem found after parsing (exit code 2, like clap's own).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What every command but `init` needs: the saved config, a client, the output style.
pub(crate) struct Ctx {
    pub client: Client,
    pub config: Config,
    pub style: Style,
}

impl Ctx {
    /// Loads the config (`Not configured. Run: wakit init` when there is none).
    pub fn load() -> anyhow::Result<Ctx> {
        let config = config::load()?;
        let client = Client::new(&config.base_url, &config.api_key)?;
        Ok(Ctx {
            client,
            config,
            style: Style::detect(),
        })
    }

    /// The number to use: `--from`, else the default account, else none (the server
    /// picks the org's only number or says which ones exist).
    pub fn account(&self, from: Option<&str>) -> Option<String> {
        match from {
            Some(f) => Some(digits(f)),
            None => Some(self.config.default_account.clone()).filter(|a| !a.is_empty()),
        }
    }
}

/// `+`, spaces and dashes removed.
pub(crate) fn digits(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-'))
        .collect()
}

/// Retries after 429 and 503 (at most this many times).
const MAX_RETRIES: u32 = 3;
/// Never waits longer than this for one `Retry-After`.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Calls the API, retrying a bounded number of times when the server says it is busy
/// (429, 503), honouring `Retry-After`; errors come with the CLI's hints.
pub(crate) async fn call<T, F, Fut>(request: F) -> anyhow::Result<Answer<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ClientError>>,
{
    call_raw(request).await.map_err(explain)
}

/// [`call`] keeping the API's error as is. Sends carry an idempotency key, so a retry of
/// one can never send twice.
pub(crate) async fn call_raw<T, F, Fut>(mut request: F) -> Result<Answer<T>, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Answer<T>, ClientError>>,
{
    let mut attempt = 0;
    loop {
        match request().await {
            Err(ClientError::Api {
                status: 429 | 503,
                retry_after,
                ..
            }) if attempt < MAX_RETRIES => {
                attempt += 1;
                let wait = retry_after
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(u64::from(attempt)))
                    .clamp(Duration::from_millis(200), MAX_WAIT);
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

/// The server's sentence, plus what to do about it where the CLI knows.
pub(crate) fn explain(e: ClientError) -> anyhow::Error {
    let ClientError::Api { body, .. } = &e else {
        return e.into();
    };
    let mut message = body.error.clone();
    if let Some(accounts) = body.available_accounts.as_ref().filter(|a| !a.is_empty()) {
        let list: Vec<String> = accounts
            .iter()
            .map(|a| format!("{} (+{})", a.name, a.phone))
            .collect();
        if !message.contains(&accounts[0].phone) {
            message.push_str(&format!("\nAvailable accounts: {}", list.join(", ")));
        }
        message.push_str("\nUse --from <phone>, or set a default with: wakit switch <account>");
    }
    anyhow::anyhow!(message)
}

/// Prints the API's JSON as the server sent it (`--json`).
pub(crate) fn print_json(raw: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(raw)?);
    Ok(())
}

/// `wakit completions <shell>`: the completion script on stdout.
pub fn completions(args: CompletionsArgs, command: &mut clap::Command) {
    let name = command.get_name().to_string();
    clap_complete::generate(args.shell, command, name, &mut std::io::stdout());
}

#[cfg(test)]
mod tests {
    use super::*;
    use wakit_api::ErrorBody;

    fn busy(status: u16) -> ClientError {
        ClientError::Api {
            status,
            body: Box::new(ErrorBody {
                error: "Slow down".into(),
                code: "rate_limited".into(),
                ..ErrorBody::default()
            }),
            retry_after: Some(0),
        }
    }

    fn ok() -> Answer<u32> {
        Answer {
            status: 200,
            value: 7,
            raw: serde_json::json!(7),
        }
    }

    #[tokio::test]
    async fn busy_answers_are_retried_a_bounded_number_of_times() {
        let mut calls = 0;
        let answer = call_raw(|| {
            calls += 1;
            let result = if calls < 3 { Err(busy(429)) } else { Ok(ok()) };
            async move { result }
        })
        .await
        .expect("third call answers");
        assert_eq!((answer.value, calls), (7, 3));

        let mut calls = 0;
        let err = call_raw(|| {
            calls += 1;
            async { Err::<Answer<u32>, _>(busy(503)) }
        })
        .await
        .expect_err("always busy");
        assert_eq!(err.status(), Some(503));
        assert_eq!(calls, MAX_RETRIES + 1, "one call and {MAX_RETRIES} retries");

        let mut calls = 0;
        let err = call(|| {
            calls += 1;
            async { Err::<Answer<u32>, _>(busy(400)) }
        })
        .await
        .expect_err("not retried");
        assert_eq!((err.to_string().as_str(), calls), ("Slow down", 1));
    }
}
