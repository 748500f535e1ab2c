//! `wakit media get ID -o FILE`: a stored file, streamed to disk (or stdout).

use std::io::Write;

use anyhow::Context;

use super::{Ctx, MediaArgs, MediaCommand, UsageError, explain};

/// `wakit media ...`.
pub async fn media(args: MediaArgs) -> anyhow::Result<()> {
    match args.command {
        MediaCommand::Get { id, output } => get(&id, &output).await,
    }
}

async fn get(id: &str, output: &str) -> anyhow::Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(UsageError(format!("not a media id: {id:?}")).into());
    }
    let ctx = Ctx::load()?;
    let mut resp = ctx.client.media(id).await.map_err(explain)?;
    if output == "-" {
        let mut out = std::io::stdout().lock();
        while let Some(chunk) = resp.chunk().await.context("reading the file")? {
            out.write_all(&chunk)?;
        }
        return Ok(out.flush()?);
    }
    // Written beside the target and renamed at the end: never a half file under its name.
    let part = format!("{output}.part");
    let written = async {
        let mut file =
            std::fs::File::create(&part).with_context(|| format!("cannot write {part}"))?;
        let mut size = 0u64;
        while let Some(chunk) = resp.chunk().await.context("reading the file")? {
            file.write_all(&chunk)?;
            size += chunk.len() as u64;
        }
        file.sync_all()?;
        std::fs::rename(&part, output).with_context(|| format!("cannot write {output}"))?;
        anyhow::Ok(size)
    }
    .await;
    match written {
        Ok(size) => {
            eprintln!("{output}: {size} bytes");
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}
