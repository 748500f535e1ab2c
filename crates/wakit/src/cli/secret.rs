//! The key that seals Meta access tokens at rest.
//!
//! `WAKIT_SECRET_KEY` (32 bytes, base64 or hex) wins. Without it, a single-machine
//! SQLite setup keeps a generated key in `$WAKIT_DATA_DIR/secret.key` (mode 0600);
//! PostgreSQL deployments must set the variable, because every replica needs the
//! same key.

use anyhow::{Context, bail};
use std::io::Write;
use wakit_store::secrets::SecretBox;

use super::db::{DbArgs, create_private_dir, data_dir};

/// The secret box for this database.
pub fn load(db: &DbArgs) -> anyhow::Result<SecretBox> {
    if let Ok(text) = std::env::var("WAKIT_SECRET_KEY")
        && !text.trim().is_empty()
    {
        return Ok(SecretBox::from_encoded(&text)?);
    }
    if !db.resolve().url.starts_with("sqlite:") {
        bail!(
            "WAKIT_SECRET_KEY is required with PostgreSQL (every replica must share it); generate one with `openssl rand -base64 32`"
        );
    }
    let path = data_dir().join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            SecretBox::from_encoded(&text).with_context(|| format!("reading {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(&data_dir())?;
            let text = SecretBox::generate_encoded();
            let mut file = open_private(&path)?;
            file.write_all(text.as_bytes())
                .and_then(|_| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "note: generated a secret key at {} (set WAKIT_SECRET_KEY to choose your own)",
                path.display()
            );
            Ok(SecretBox::from_encoded(&text)?)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(unix)]
fn open_private(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

#[cfg(not(unix))]
fn open_private(path: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}
