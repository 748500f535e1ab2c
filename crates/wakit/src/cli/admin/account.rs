//! `wakit admin account ...`: connect numbers, set their pacing, replace their tokens.

use anyhow::{Context, anyhow};
use clap::Subcommand;
use serde_json::json;
use std::io::Read;
use wakit_core::{AccountId, OrgId, Phone};
use wakit_store::{
    Account, JobArgs, MAX_MPS, NewAccount, Priority, Store, StoreError, SyncNumber, SyncTemplates,
};

use super::{explain, parse_phone, print};
use crate::cli::db::DbArgs;
use crate::cli::secret;

#[derive(Debug, Subcommand)]
pub(super) enum AccountCommand {
    /// Connect a WhatsApp number to an organization; prints its id. A running server
    /// then fetches the number's templates and health from Meta.
    Add {
        /// Organization id.
        #[arg(long)]
        org: OrgId,
        /// The number's digits with country code (`+`, spaces and dashes allowed).
        #[arg(long, value_parser = parse_phone)]
        phone: Phone,
        /// Verified/display name.
        #[arg(long)]
        name: String,
        /// Meta's phone-number id.
        #[arg(long)]
        phone_number_id: String,
        /// WhatsApp Business Account id.
        #[arg(long)]
        waba_id: String,
        /// Meta access token; `-` reads it from stdin (keeps it out of shell history).
        #[arg(long, env = "WAKIT_ACCESS_TOKEN", hide_env_values = true)]
        access_token: String,
        /// Send rate to pace the number to, messages/s (default 80; Meta's high tier 1000).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_MPS as i64))]
        max_mps: Option<u32>,
    },
    /// Change a number's send rate (messages/s, 1–1000).
    SetRate {
        /// Organization id.
        #[arg(long)]
        org: OrgId,
        /// The number's id (from `account add`).
        id: AccountId,
        /// Messages per second.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_MPS as i64))]
        max_mps: u32,
    },
    /// Replace a number's Meta access token (after it expired); clears the token error.
    SetToken {
        /// Organization id.
        #[arg(long)]
        org: OrgId,
        /// The number's id.
        id: AccountId,
        /// The new token; `-` reads it from stdin.
        #[arg(long, env = "WAKIT_ACCESS_TOKEN", hide_env_values = true)]
        access_token: String,
    },
}

fn read_token(arg: String) -> anyhow::Result<String> {
    let token = if arg == "-" {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .context("reading the access token from stdin")?;
        buf.trim().to_string()
    } else {
        arg
    };
    anyhow::ensure!(!token.is_empty(), "the access token is empty");
    Ok(token)
}

fn not_found(e: StoreError, id: AccountId) -> anyhow::Error {
    match e {
        StoreError::NotFound(_) => anyhow!("number {id} not found in that organization"),
        e => e.into(),
    }
}

/// How many kept (failed) webhook bodies connecting a number queues again.
const RETRY_ON_CONNECT: u32 = 10_000;

/// Queues the jobs that fetch a number's templates and health from Meta.
pub(crate) async fn queue_refresh(store: &dyn Store, acct: &Account) -> anyhow::Result<()> {
    let (org, now, priority) = (
        Some(acct.org_id),
        chrono::Utc::now(),
        Priority::Interactive.value(),
    );
    let account_id = acct.id;
    for job in [
        SyncTemplates { account_id }.job(org, now, priority),
        SyncNumber { account_id }.job(org, now, priority),
    ] {
        store.enqueue_job(job).await?;
    }
    Ok(())
}

fn account_json(a: &Account) -> serde_json::Value {
    json!({"id": a.id, "org_id": a.org_id, "phone": a.phone, "phone_number_id": a.phone_number_id,
           "max_mps": a.max_mps})
}

pub(super) async fn run(
    store: &dyn Store,
    db: &DbArgs,
    j: bool,
    cmd: AccountCommand,
) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Add {
            org,
            phone,
            name,
            phone_number_id,
            waba_id,
            access_token,
            max_mps,
        } => {
            let token = read_token(access_token)?;
            let sealed = secret::load(db)?.seal(&token, &phone_number_id);
            let account = NewAccount {
                phone,
                name,
                phone_number_id: phone_number_id.clone(),
                waba_id,
                access_token: sealed,
            };
            let mut acct = store
                .add_account(org, account)
                .await
                .map_err(|e| explain(e, Some(org), Some(&phone_number_id)))?;
            if max_mps.is_some() {
                acct = store.set_account_max_mps(org, acct.id, max_mps).await?;
            }
            queue_refresh(store, &acct).await?;
            // Webhooks that arrived for this number before it was connected were kept.
            let retried = store
                .inbox_retry_failed(RETRY_ON_CONNECT, chrono::Utc::now())
                .await?;
            if retried > 0 {
                tracing::info!(retried, "kept webhook bodies queued for processing again");
            }
            print(j, account_json(&acct), &acct.id.to_string());
        }
        AccountCommand::SetRate { org, id, max_mps } => {
            let acct = store
                .set_account_max_mps(org, id, Some(max_mps))
                .await
                .map_err(|e| not_found(e, id))?;
            print(
                j,
                account_json(&acct),
                &format!("{id}: {max_mps} messages/s"),
            );
        }
        AccountCommand::SetToken {
            org,
            id,
            access_token,
        } => {
            let acct = store
                .get_account(org, id)
                .await
                .map_err(|e| not_found(e, id))?;
            let token = read_token(access_token)?;
            let sealed = secret::load(db)?.seal(&token, &acct.phone_number_id);
            store.replace_account_token(org, id, sealed).await?;
            queue_refresh(store, &acct).await?;
            print(j, account_json(&acct), &format!("{id}: token replaced"));
        }
    }
    Ok(())
}
