//! The CLI's configuration file: `~/.wakit/config.json` (the hosted CLI's shape), or the
//! path in `WAKIT_CONFIG`. It holds an API key, so it is written with mode 0600.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use wakit_api::AccountRef;

/// What `wakit init` saves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The server's root URL (without `/functions/v1/api`).
    pub base_url: String,
    /// The `sk_...` key.
    pub api_key: String,
    /// Kept for the hosted CLI's shape; always written as "".
    #[serde(default)]
    pub organization_id: String,
    /// The number commands use unless `--from` says otherwise.
    #[serde(default)]
    pub default_account: String,
    /// The org's numbers as of the last `init` / `switch` / `status`.
    #[serde(default)]
    pub accounts: Vec<AccountRef>,
}

/// Where the config lives: `WAKIT_CONFIG`, else `$HOME/.wakit/config.json`.
pub fn path() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("WAKIT_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".wakit").join("config.json")),
        None => bail!("cannot find the home directory: set HOME or WAKIT_CONFIG"),
    }
}

/// Reads the config; a missing file means the CLI was never set up.
pub fn load() -> anyhow::Result<Config> {
    let path = path()?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("Not configured. Run: wakit init")
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let config: Config = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a wakit config (run `wakit init` to rewrite it)",
            path.display()
        )
    })?;
    if config.base_url.is_empty() || config.api_key.is_empty() {
        bail!(
            "{} has no base_url or api_key. Run: wakit init",
            path.display()
        );
    }
    Ok(config)
}

/// Writes the config atomically (a private temporary file renamed over the old one).
pub fn save(config: &Config) -> anyhow::Result<PathBuf> {
    let path = path()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let mut text = serde_json::to_string_pretty(config)?;
    text.push('\n');
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = open_private(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(path)
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The key as `status` shows it: the first 8 and last 4 characters.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_ends() {
        assert_eq!(mask_key("sk_live_abcdefghijklmnop"), "sk_live_...mnop");
        assert_eq!(mask_key("short"), "*****");
    }

    #[test]
    fn reads_the_hosted_cli_shape() {
        let text = r#"{"base_url":"https://api.wakit.ai","api_key":"sk_x","organization_id":"",
            "default_account":"5215588392274","accounts":[{"phone":"5215588392274","name":"Mirlo"}]}"#;
        let c: Config = serde_json::from_str(text).expect("parse");
        assert_eq!(c.default_account, "5215588392274");
        assert_eq!(c.accounts[0].name, "Mirlo");
    }
}
