//! Command-line interface: one binary, many subcommands.

mod admin;
mod agent_args;
pub mod client;
mod db;
mod demo;
mod jwt;
mod outbound;
mod secret;
mod serve;
mod sim;
mod stop;

use clap::{CommandFactory, Parser, Subcommand};

/// wakit — a self-hostable WhatsApp Business platform in one binary.
#[derive(Debug, Parser)]
#[command(name = "wakit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API, the Meta webhook and the workers (`--no-workers`: without them).
    Serve(serve::ServeArgs),
    /// Run only the workers (webhook processing, sending), next to `serve --no-workers`.
    Worker(serve::WorkerArgs),
    /// One command, no setup: SQLite + the sandbox + a seeded org with chatting customers.
    Demo(demo::DemoArgs),
    /// Run the Cloud API sandbox alone, pointed at a wakit webhook URL.
    Sim(sim::SimArgs),
    /// Apply database migrations (serve also does it at start).
    Migrate(db::DbArgs),
    /// Operator commands: orgs, numbers, API keys.
    Admin(admin::AdminArgs),
    /// Configure the CLI: base URL, API key, default account.
    Init(client::InitArgs),
    /// Show the connection, the server's state and the accounts.
    Status,
    /// Check Meta API token status for all accounts.
    Health(client::HealthArgs),
    /// List recent conversations with a preview.
    #[command(visible_alias = "convs")]
    Conversations(client::ConversationsArgs),
    /// View the conversation history with a contact (phone or name).
    Chat(client::ChatArgs),
    /// Send a text or template message to a contact (phone or name).
    Send(client::SendArgs),
    /// List all contacts or search them by name or number.
    Contacts(client::ContactsArgs),
    /// List WhatsApp message templates.
    Templates(client::TemplatesArgs),
    /// Print the organization's events as they happen (messages, statuses,
    /// conversations); reconnects without missing any.
    Listen(client::ListenArgs),
    /// AI agents that answer customers: list, add, set, pause, resume (admin key).
    Agents(client::AgentsArgs),
    /// Outbound webhooks, signed: list, add, rm, deliveries, retry, test (admin key).
    Webhooks(client::WebhooksArgs),
    /// Stored media files: `wakit media get ID -o FILE`.
    Media(client::MediaArgs),
    /// Change the default WhatsApp account.
    Switch(client::SwitchArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions(client::CompletionsArgs),
    /// Serve the MCP tools over stdio for a desktop assistant, against the configured
    /// server (see `wakit init`).
    Mcp(client::McpArgs),
}

impl Command {
    /// Whether this command runs a long-lived server (logs at info by default).
    pub fn is_server(&self) -> bool {
        matches!(
            self,
            Command::Serve(_) | Command::Worker(_) | Command::Demo(_) | Command::Sim(_)
        )
    }
}

/// Logs to stderr. Levels: `WAKIT_LOG`, else `RUST_LOG` (e.g. `info,wakit_server=debug`);
/// servers log at info, one-shot commands at warn. `WAKIT_LOG_FORMAT=json` writes one
/// JSON object a line (time, level, target, message, fields) for a collector; otherwise
/// text, with colours only when stderr is a terminal.
pub fn init_tracing(server: bool) {
    use std::io::IsTerminal;
    let default = if server { "info" } else { "warn" };
    let filter = ["WAKIT_LOG", "RUST_LOG"]
        .iter()
        .find_map(|name| {
            let value = std::env::var(name).ok()?;
            tracing_subscriber::EnvFilter::try_new(value.trim()).ok()
        })
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default));
    let json = std::env::var("WAKIT_LOG_FORMAT").is_ok_and(|v| v.trim() == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}

pub use stop::remember_parent;

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Worker(args) => serve::run_worker(args).await,
        Command::Migrate(args) => db::migrate(args).await,
        Command::Admin(args) => admin::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Init(args) => client::init(args).await,
        Command::Status => client::status().await,
        Command::Health(args) => client::health(args).await,
        Command::Conversations(args) => client::conversations(args).await,
        Command::Chat(args) => client::chat(args).await,
        Command::Send(args) => client::send(args).await,
        Command::Contacts(args) => client::contacts(args).await,
        Command::Templates(args) => client::templates(args).await,
        Command::Listen(args) => client::listen(args).await,
        Command::Media(args) => client::media(args).await,
        Command::Switch(args) => client::switch(args).await,
        Command::Mcp(args) => client::mcp(args).await,
        Command::Agents(args) => client::agents(args).await,
        Command::Webhooks(args) => client::webhooks(args).await,
        Command::Completions(args) => {
            client::completions(args, &mut Cli::command());
            Ok(())
        }
    }
}
