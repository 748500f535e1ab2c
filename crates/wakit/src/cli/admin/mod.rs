//! `wakit admin`: orgs, numbers and API keys, straight against the database.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde_json::json;
use wakit_core::{ApiKeyId, OrgId, Phone, Role};
use wakit_store::secrets::generate_api_key;
use wakit_store::{ApiKeyRecord, ConflictKey, NewApiKey, StoreError};

mod account;
mod people;

pub(super) use account::queue_refresh;

use super::db::DbArgs;

/// `wakit admin ...`
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Organizations (tenants).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Connected WhatsApp numbers.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Meta webhook bodies kept in the inbox.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// People who sign in at /auth/v1.
    #[command(subcommand)]
    User(people::UserCommand),
    /// Print the anon and service-role keys for Supabase clients (`apikey`), signed with
    /// the JWT secret (WAKIT_JWT_SECRET, or derived from the secret key).
    SupabaseKeys,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// Process again the bodies whose processing failed (e.g. messages for a number that
    /// was not connected yet; `account add` does this by itself). Idempotent.
    Retry {
        /// At most this many bodies.
        #[arg(long, default_value = "10000")]
        limit: u32,
        /// Replay instead the bodies kept as `ignored` (items this wakit did not handle,
        /// e.g. an unknown webhook field), after upgrading to a release that handles them.
        #[arg(long)]
        ignored: bool,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organization; prints its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// IANA timezone for time labels, e.g. America/Mexico_City.
        #[arg(long, default_value = "UTC", value_parser = parse_timezone)]
        timezone: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create an API key; prints the key once (only its hash is stored).
    Create {
        /// Organization id.
        #[arg(long)]
        org: OrgId,
        /// Human name for the key.
        #[arg(long)]
        name: String,
        /// What the key may do.
        #[arg(long, default_value = "member", value_parser = ["owner", "admin", "member"])]
        role: String,
    },
    /// List an organization's keys (prefixes only).
    List {
        /// Organization id.
        #[arg(long)]
        org: OrgId,
    },
    /// Revoke a key by id.
    Revoke {
        /// Key id (from `key list`).
        id: ApiKeyId,
    },
}

pub(super) fn parse_phone(s: &str) -> Result<Phone, String> {
    Phone::parse(s).map_err(|e| e.to_string())
}

fn parse_timezone(s: &str) -> Result<String, String> {
    s.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| {
            format!("unknown timezone {s:?}; use an IANA name such as America/Mexico_City or UTC")
        })
}

pub(super) fn explain(
    e: StoreError,
    org: Option<OrgId>,
    phone_number_id: Option<&str>,
) -> anyhow::Error {
    match (e, org, phone_number_id) {
        (StoreError::NotFound("organization"), Some(org), _) => {
            anyhow!("organization {org} not found")
        }
        (StoreError::Conflict(ConflictKey::PhoneNumberId), _, Some(id)) => {
            anyhow!("phone-number id {id} is already connected")
        }
        (e, _, _) => e.into(),
    }
}

pub(super) fn print(json_mode: bool, value: serde_json::Value, human: &str) {
    if json_mode {
        println!("{value}");
    } else {
        println!("{human}");
    }
}

fn key_json(k: &ApiKeyRecord) -> serde_json::Value {
    json!({"id": k.id, "org_id": k.org_id, "name": k.name, "role": k.role, "prefix": k.prefix,
           "created_at": k.created_at, "revoked_at": k.revoked_at})
}

/// Runs an admin command.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let j = args.json;
    if let AdminCommand::SupabaseKeys = args.command {
        return people::supabase_keys(&args.db, j);
    }
    let store = args.db.open().await?;
    match args.command {
        // Answered above: it needs the secret, not the database.
        AdminCommand::SupabaseKeys => {}
        AdminCommand::User(cmd) => people::run(&*store, j, cmd).await?,
        AdminCommand::Org(OrgCommand::Create { name, timezone }) => {
            let org = store.create_org(&name, &timezone).await?;
            print(
                j,
                json!({"id": org.id, "name": org.name, "timezone": org.timezone}),
                &org.id.to_string(),
            );
        }
        AdminCommand::Account(cmd) => account::run(&*store, &args.db, j, cmd).await?,
        AdminCommand::Inbox(InboxCommand::Retry { limit, ignored }) => {
            let now = chrono::Utc::now();
            let n = if ignored {
                store.inbox_retry_ignored(limit, now).await?
            } else {
                store.inbox_retry_failed(limit, now).await?
            };
            print(
                j,
                json!({"queued": n}),
                &format!("{n} webhook bodies queued for processing"),
            );
        }
        AdminCommand::Key(KeyCommand::Create { org, name, role }) => {
            let role: Role = role.parse()?;
            let key = generate_api_key();
            let rec = store
                .create_api_key(
                    org,
                    NewApiKey {
                        name,
                        role,
                        hash: key.hash,
                        prefix: key.prefix,
                    },
                )
                .await
                .map_err(|e| explain(e, Some(org), None))?;
            print(
                j,
                json!({"id": rec.id, "key": key.plain, "prefix": rec.prefix, "role": rec.role}),
                &key.plain,
            );
        }
        AdminCommand::Key(KeyCommand::List { org }) => {
            store
                .get_org(org)
                .await
                .map_err(|e| explain(e, Some(org), None))?;
            let keys = store.list_api_keys(org).await?;
            if j {
                println!(
                    "{}",
                    serde_json::Value::Array(keys.iter().map(key_json).collect())
                );
            } else {
                println!(
                    "{:<36}  {:<11}  {:<6}  {:<20}  STATE",
                    "ID", "PREFIX", "ROLE", "NAME"
                );
                for k in keys {
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!(
                        "{:<36}  {:<11}  {:<6}  {:<20}  {state}",
                        k.id, k.prefix, k.role, k.name
                    );
                }
            }
        }
        AdminCommand::Key(KeyCommand::Revoke { id }) => {
            let rec = store.revoke_api_key(None, id).await.map_err(|e| match e {
                StoreError::NotFound(_) => anyhow!("API key {id} not found"),
                e => e.into(),
            })?;
            print(j, key_json(&rec), &format!("revoked {}", rec.id));
        }
    }
    Ok(())
}
