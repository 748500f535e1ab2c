//! `wakit init`, `wakit status`, `wakit switch`: the saved connection and default account.

use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Write};
use wakit_api::{API_PREFIX, AccountRef, Client};

use super::config::{self, Config, mask_key};
use super::resolve::{self, numbered};
use super::style::{Style, Table, Tone, cell, plus};
use super::{Ctx, InitArgs, SwitchArgs, UsageError, call};

/// Where `wakit demo` and `wakit serve` listen by default.
const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// `wakit init`: asks (on a terminal) or takes flags, checks the key against `/accounts`,
/// picks the default account and saves the config.
pub async fn init(args: InitArgs) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal();
    if !interactive && args.api_key.is_none() {
        return Err(UsageError(
            "wakit init needs a terminal to prompt on; without one pass the settings as flags:\n  \
             wakit init --base-url http://127.0.0.1:8080 --api-key sk_... [--account <phone>]"
                .into(),
        )
        .into());
    }
    let previous = config::load().ok();
    let base_url = match args.base_url {
        Some(url) => url,
        None if interactive => {
            let default = previous
                .as_ref()
                .map_or(DEFAULT_BASE_URL, |c| c.base_url.as_str());
            prompt(&format!("Base URL [{default}]"))?
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default.to_string())
        }
        None => DEFAULT_BASE_URL.to_string(),
    };
    let base_url = normalize_base_url(&base_url)?;
    let api_key = match args.api_key {
        Some(key) => key,
        None => prompt_secret("API key (sk_...): ")?,
    };
    let api_key = api_key.trim().to_string();
    if api_key.is_empty() {
        bail!(
            "An API key is required (create one with: wakit admin key create --org <id> --name cli)"
        );
    }

    let client = Client::new(&base_url, &api_key)?;
    let accounts = call(|| client.accounts()).await?.value.accounts;
    if accounts.is_empty() {
        bail!(
            "No WhatsApp number is connected to this organization. Connect a number first: \
             wakit admin account add --org <id> --phone <digits> --name <name> \
             --phone-number-id <id> --waba-id <id> --access-token <token>"
        );
    }
    let chosen = match (&args.account, accounts.len()) {
        (Some(arg), _) => resolve::account(&accounts, arg)?.clone(),
        (None, 1) => accounts[0].clone(),
        (None, n) if interactive => ask_account(&accounts, n)?,
        (None, n) => {
            return Err(UsageError(format!(
                "This organization has {n} numbers; choose the default with --account <phone|index>:\n{}",
                numbered(&accounts)
            ))
            .into());
        }
    };
    let config = Config {
        base_url,
        api_key,
        organization_id: String::new(),
        default_account: chosen.phone.clone(),
        accounts,
    };
    let path = config::save(&config)?;
    let style = Style::detect();
    println!("{} Saved {}", style.green("✓"), path.display());
    println!(
        "Default account: {} ({})",
        style.bold(&chosen.name),
        plus(&chosen.phone)
    );
    Ok(())
}

/// Accepts the server's root or the API's base URL (what `wakit demo` prints).
fn normalize_base_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("The base URL must start with http:// or https:// (got \"{url}\")");
    }
    let root = url.strip_suffix(API_PREFIX).unwrap_or(url);
    Ok(root.trim_end_matches('/').to_string())
}

/// One line from stdin after a prompt on stderr; `None` at end of input.
fn prompt(label: &str) -> anyhow::Result<Option<String>> {
    eprint!("{label}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line)?;
    Ok((read > 0).then(|| line.trim().to_string()))
}

/// A line typed without echo.
fn prompt_secret(label: &str) -> anyhow::Result<String> {
    rpassword::prompt_password(label).context("reading the API key")
}

fn ask_account(accounts: &[AccountRef], n: usize) -> anyhow::Result<AccountRef> {
    eprintln!("Accounts:\n{}", numbered(accounts));
    loop {
        let Some(answer) = prompt(&format!("Default account [1-{n}]"))? else {
            bail!("wakit init cancelled: no account chosen");
        };
        match resolve::account(accounts, &answer) {
            Ok(a) => return Ok(a.clone()),
            Err(e) => eprintln!("{e}"),
        }
    }
}

/// `wakit status`: the saved connection, whether the server answers, and the org's
/// numbers with the default marked.
pub async fn status() -> anyhow::Result<()> {
    let mut ctx = Ctx::load()?;
    let s = ctx.style;
    let server = match ctx.client.ping().await {
        Ok(p) => s.green(&format!("reachable (database {})", p.value.db)),
        Err(e) => s.red(&format!("unreachable: {e}")),
    };
    let mut info = Table::new();
    info.row(vec![
        cell("Base URL", Tone::Bold),
        cell(ctx.config.base_url.clone(), Tone::Plain),
    ]);
    info.row(vec![cell("Server", Tone::Bold), cell(server, Tone::Plain)]);
    info.row(vec![
        cell("API key", Tone::Bold),
        cell(mask_key(&ctx.config.api_key), Tone::Plain),
    ]);
    let default = ctx
        .config
        .accounts
        .iter()
        .find(|a| a.phone == ctx.config.default_account)
        .map(|a| format!("{} ({})", a.name, plus(&a.phone)))
        .unwrap_or_else(|| none_or_phone(&ctx.config.default_account));
    info.row(vec![
        cell("Default account", Tone::Bold),
        cell(default, Tone::Plain),
    ]);
    info.row(vec![
        cell("Config", Tone::Bold),
        cell(config::path()?.display().to_string(), Tone::Dim),
    ]);
    print!("{}", info.render(s));

    let accounts = call(|| ctx.client.accounts()).await?.value.accounts;
    println!("\n{}", s.bold("Accounts"));
    let mut table = Table::new();
    for (i, a) in accounts.iter().enumerate() {
        let is_default = a.phone == ctx.config.default_account;
        let tone = if is_default { Tone::Green } else { Tone::Plain };
        table.row(vec![
            cell(if is_default { "*" } else { " " }, tone),
            cell((i + 1).to_string(), Tone::Plain),
            cell(a.name.clone(), tone),
            cell(plus(&a.phone), Tone::Plain),
        ]);
    }
    print!("{}", table.render(s));
    if !accounts
        .iter()
        .any(|a| a.phone == ctx.config.default_account)
    {
        println!("No default account is connected: choose one with wakit switch <index|phone>");
    }
    if ctx.config.accounts != accounts {
        ctx.config.accounts = accounts;
        config::save(&ctx.config)?;
    }
    Ok(())
}

fn none_or_phone(phone: &str) -> String {
    if phone.is_empty() {
        "(none)".into()
    } else {
        plus(phone)
    }
}

/// `wakit switch <account>`: makes another of the org's numbers the default.
pub async fn switch(args: SwitchArgs) -> anyhow::Result<()> {
    let mut ctx = Ctx::load()?;
    let accounts = call(|| ctx.client.accounts()).await?.value.accounts;
    let chosen = resolve::account(&accounts, &args.account)?.clone();
    ctx.config.default_account = chosen.phone.clone();
    ctx.config.accounts = accounts;
    config::save(&ctx.config)?;
    println!(
        "{} Default account: {} ({})",
        ctx.style.green("✓"),
        ctx.style.bold(&chosen.name),
        plus(&chosen.phone)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_the_api_prefix_and_slashes() {
        let n = |u: &str| normalize_base_url(u).expect(u);
        assert_eq!(n("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(
            n("http://127.0.0.1:8080/functions/v1/api"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(n(" https://api.example.com "), "https://api.example.com");
        assert!(normalize_base_url("127.0.0.1:8080").is_err());
    }
}
