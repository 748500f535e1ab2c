//! Command-line interface: one binary, many subcommands.

mod admin;
pub mod client;
mod db;
mod demo;
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
    /// Change the default WhatsApp account.
    Switch(client::SwitchArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions(client::CompletionsArgs),
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

/// Logs to stderr; `RUST_LOG` overrides. Servers log at info, one-shot commands at warn.
pub fn init_tracing(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
        Command::Switch(args) => client::switch(args).await,
        Command::Completions(args) => {
            client::completions(args, &mut Cli::command());
            Ok(())
        }
    }
}
