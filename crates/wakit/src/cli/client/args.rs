//! Arguments of the client commands.

use clap::Args;

/// `--json`.
#[derive(Debug, Clone, Args)]
pub struct JsonFlag {
    /// Print the API's JSON answer as is (for piping to other tools).
    #[arg(long)]
    pub json: bool,
}

/// `--from`.
#[derive(Debug, Clone, Args)]
pub struct FromFlag {
    /// Use this WhatsApp number instead of the default account.
    #[arg(long, value_name = "PHONE")]
    pub from: Option<String>,
}

/// `wakit init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The wakit server's URL [prompted on a terminal; default http://127.0.0.1:8080, where
    /// `wakit demo` listens].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Your API key (sk_...) [prompted on a terminal; required without one].
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// The default account: its phone or its 1-based index [asked on a terminal when the
    /// organization has several numbers].
    #[arg(long, value_name = "PHONE|INDEX")]
    pub account: Option<String>,
}

/// `wakit health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `--limit`, `--from`, `--json`: what listing commands share.
#[derive(Debug, Args)]
pub struct PageFlags {
    /// How many to show [server default].
    #[arg(short, long, value_name = "N")]
    pub limit: Option<u32>,
    #[command(flatten)]
    pub from: FromFlag,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit conversations`.
#[derive(Debug, Args)]
#[command(mut_arg("limit", |a| a.help("How many conversations [server default: 10]")))]
pub struct ConversationsArgs {
    #[command(flatten)]
    pub page: PageFlags,
}

/// `wakit chat`.
#[derive(Debug, Args)]
#[command(mut_arg("limit", |a| a.help("How many of the latest messages [server default: 50]")))]
pub struct ChatArgs {
    /// The contact: a phone number (digits with country code) or a name to search for.
    #[arg(value_name = "PHONE|NAME")]
    pub contact: String,
    #[command(flatten)]
    pub page: PageFlags,
}

/// `wakit send`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  wakit send 5215551234567 \"Hola\"\n  \
    wakit send Maria \"Your order is on its way\"\n  \
    wakit send 5215551234567 --template hello_world\n  \
    wakit send 5215551234567 -t appointment_reminder --vars \"Maria,lunes 10:00\"\n  \
    wakit send 5215551234567 -t order_update --vars \"Maria,A-1042\" --lang es\n  \
    wakit send Maria --file ./foto.jpg --caption \"Tu pedido\"")]
pub struct SendArgs {
    /// The contact: a phone number (digits with country code) or a name to search for.
    #[arg(value_name = "PHONE|NAME")]
    pub contact: String,
    /// The text to send (needs an open 24 h service window).
    #[arg(required_unless_present_any = ["template", "file"], conflicts_with = "template")]
    pub text: Option<String>,
    /// Send this file (photo, video, audio, document or sticker, by its content); needs
    /// an open 24 h service window.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["template", "text"])]
    pub file: Option<std::path::PathBuf>,
    /// The file's caption (photos, videos and documents).
    #[arg(long, value_name = "TEXT", requires = "file")]
    pub caption: Option<String>,
    /// Send this approved template instead of text (works outside the service window).
    #[arg(short, long, value_name = "NAME")]
    pub template: Option<String>,
    /// The template's body variables, comma-separated, in placeholder order.
    #[arg(
        long,
        value_name = "A,B,...",
        requires = "template",
        conflicts_with = "text"
    )]
    pub vars: Option<String>,
    /// The template's language code.
    #[arg(long, value_name = "CODE", default_value = "es")]
    pub lang: String,
    #[command(flatten)]
    pub from: FromFlag,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit contacts`.
#[derive(Debug, Args)]
pub struct ContactsArgs {
    /// Part of a name, or of a number (a numeric query searches numbers).
    #[arg(value_name = "QUERY")]
    pub query: Option<String>,
    /// How many contacts.
    #[arg(short, long, value_name = "N", default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit templates`.
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    #[command(flatten)]
    pub from: FromFlag,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit switch`.
#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The account: its 1-based index in `wakit status`, its phone, or the phone's last
    /// digits.
    #[arg(value_name = "INDEX|PHONE")]
    pub account: String,
}

/// `wakit completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `wakit mcp`.
#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// Only these contacts (comma-separated numbers) are listed, read and messaged, as the
    /// HTTP endpoint's `Allowed-Contacts` header.
    #[arg(long, value_name = "PHONES")]
    pub allowed_contacts: Option<String>,
    /// Only these numbers of the org are used, as the HTTP endpoint's `Allowed-Accounts`.
    #[arg(long, value_name = "PHONES")]
    pub allowed_accounts: Option<String>,
}

/// `wakit listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Only these event types, comma-separated: messages.insert, messages.update,
    /// conversations.insert, conversations.update, contacts.insert, contacts.update.
    #[arg(long, value_name = "TYPES")]
    pub types: Option<String>,
    /// Start after this event seq (0: every event still kept) instead of from now.
    #[arg(long, value_name = "SEQ")]
    pub after: Option<i64>,
    /// Also POST each event to this URL (e.g. a local server in development), signed as
    /// outbound webhooks are (Standard Webhooks headers); the response status is printed.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// The `whsec_` secret to sign forwarded events with [default: a new one, printed].
    #[arg(long, value_name = "SECRET", requires = "forward_to")]
    pub secret: Option<String>,
    #[command(flatten)]
    pub out: JsonFlag,
}

/// `wakit media`.
#[derive(Debug, Args)]
pub struct MediaArgs {
    #[command(subcommand)]
    pub command: MediaCommand,
}

/// What `wakit media` does.
#[derive(Debug, clap::Subcommand)]
pub enum MediaCommand {
    /// Save a stored file (the `file.id` of a message, shown by `wakit chat --json`).
    Get {
        /// The file's id.
        id: String,
        /// Where to write it (`-` for standard output).
        #[arg(short, long, value_name = "FILE")]
        output: String,
    },
}
