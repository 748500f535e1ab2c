//! CLI wall time against curl: `wakit conversations --json` (the built binary, with
//! `WAKIT_CONFIG` pointing at a temporary config for the running server) and
//! `curl -s -H "Authorization: Bearer ..." URL` for the same request, run alternately
//! `--cli-runs` times each after one unmeasured run; medians of the wall times.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use wakit_store::Account;

use crate::stats::Samples;

/// The table's header.
pub const HEADER: &str = "| backend | runs | `wakit conversations --json` median ms | curl median ms | wakit / curl |\n|---|---|---|---|---|";

/// Bound on the whole comparison.
const LIMIT: Duration = Duration::from_secs(120);

/// Options.
#[derive(clap::Args)]
pub struct CliRuns {
    /// Timed runs each of `wakit conversations --json` and curl (0: skip).
    #[arg(long, default_value_t = 20)]
    cli_runs: usize,
    /// The `wakit` binary [default: `wakit` beside this benchmark's binary, i.e.
    /// target/release/wakit after `cargo build --release -p wakit`].
    #[arg(long)]
    wakit: Option<PathBuf>,
}

/// The `wakit` binary to run: `path`, else `wakit` beside this benchmark's binary
/// (target/release/wakit after `cargo build --release -p wakit`); an error saying how to
/// get one when it is missing.
pub fn wakit_binary(path: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let wakit = match path {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("wakit"),
    };
    anyhow::ensure!(
        wakit.is_file(),
        "no wakit binary at {} (cargo build --release -p wakit, or --wakit PATH)",
        wakit.display()
    );
    Ok(wakit)
}

/// Times both against the server at `root` (the CLI's `base_url`) with `key`; `url` is
/// the request the CLI makes. Returns the table row after the backend column; a
/// missing binary or a CLI without `conversations` is a row saying so, not an error.
pub async fn compare(
    opts: &CliRuns,
    root: &str,
    key: &str,
    accounts: &[Account],
    url: &str,
) -> anyhow::Result<String> {
    if opts.cli_runs == 0 {
        return Ok("| skipped (--cli-runs 0) | | | |".into());
    }
    let wakit = match wakit_binary(opts.wakit.as_ref()) {
        Ok(path) => path,
        Err(why) => {
            println!("# CLI vs curl skipped: {why}");
            return Ok(format!("| skipped: {why} | | | |"));
        }
    };
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.json");
    let accounts_json: Vec<_> = accounts
        .iter()
        .map(|a| serde_json::json!({"phone": a.phone.digits(), "name": a.name}))
        .collect();
    let body = serde_json::json!({
        "base_url": root,
        "api_key": key,
        "organization_id": "",
        "default_account": accounts[0].phone.digits(),
        "accounts": accounts_json,
    });
    std::fs::write(&config, serde_json::to_vec_pretty(&body)?)?;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))?;

    let mut cli = Command::new(&wakit);
    cli.args(["conversations", "--json"])
        .env("WAKIT_CONFIG", &config)
        .env("NO_COLOR", "1");
    let mut curl = Command::new("curl");
    curl.args(["-s", "--max-time", "30", "-H"])
        .arg(format!("Authorization: Bearer {key}"))
        .arg(url);
    let runs = opts.cli_runs;
    // Processes are waited for on a blocking thread; the server keeps the runtime's.
    let timed = tokio::task::spawn_blocking(move || time_both(cli, curl, runs)).await?;
    let (mut wakit_ms, mut curl_ms, done) = match timed {
        Ok(t) => t,
        Err(why) => {
            println!("# CLI vs curl skipped: {why}");
            return Ok(format!("| skipped: {why} | | | |"));
        }
    };
    let (w, c) = (wakit_ms.pct_ms(50.0), curl_ms.pct_ms(50.0));
    Ok(format!("| {done} | {w:.1} | {c:.1} | {:.2} |", w / c))
}

/// One unmeasured run of each (which must succeed), then `runs` alternating timed runs
/// (fewer if [`LIMIT`] passes). `Err` says why the comparison cannot be made.
fn time_both(
    mut cli: Command,
    mut curl: Command,
    runs: usize,
) -> Result<(Samples, Samples, usize), String> {
    let first = run(&mut cli)?;
    if !first.status.success() {
        let err = String::from_utf8_lossy(&first.stderr).trim().to_string();
        return Err(if err.contains("not available") {
            format!("`wakit conversations` is not in this build yet ({err})")
        } else {
            format!("`wakit conversations --json` failed: {err}")
        });
    }
    serde_json::from_slice::<serde_json::Value>(&first.stdout)
        .map_err(|e| format!("`wakit conversations --json` printed no JSON: {e}"))?;
    let first = run(&mut curl)?;
    if !first.status.success() {
        return Err(format!("curl failed ({})", first.status));
    }
    let (mut wakit_ms, mut curl_ms) = (Samples::default(), Samples::default());
    let started = Instant::now();
    let mut done = 0;
    while done < runs && started.elapsed() < LIMIT {
        for (cmd, samples) in [(&mut cli, &mut wakit_ms), (&mut curl, &mut curl_ms)] {
            let t = Instant::now();
            let out = run(cmd)?;
            samples.push(t.elapsed());
            if !out.status.success() {
                return Err(format!("{:?} failed ({})", cmd.get_program(), out.status));
            }
        }
        done += 1;
    }
    Ok((wakit_ms, curl_ms, done))
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(cmd.get_program()).display()))
}
