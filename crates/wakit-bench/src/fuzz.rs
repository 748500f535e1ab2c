//! `fuzz`: runs wakit-fuzz's targets by the million and prints, per target, the cases
//! run, the rate, the distinct outcomes and the failures (a failure prints its shrunk
//! input and the command exits non-zero).

use anyhow::Context;
use std::collections::BTreeMap;
use wakit_fuzz::{Options, Report, TARGETS};

/// `wakit-bench fuzz` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// A target (see the list in the error for an unknown one) or `all`.
    #[arg(long, default_value = "all")]
    target: String,
    /// Cases per target.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// The run's seed: the same seed runs the same cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Stop each target after this many seconds even if fewer cases ran.
    #[arg(long)]
    seconds: Option<f64>,
    /// Outcomes listed per target (the most frequent first).
    #[arg(long, default_value_t = 12)]
    outcomes: usize,
}

/// Cases per last word of the outcome labels (the status code for the API).
fn by_last_word(report: &Report) -> BTreeMap<&str, u64> {
    let mut out = BTreeMap::new();
    for (label, n) in &report.outcomes {
        let word = label.rsplit(' ').next().unwrap_or(label);
        *out.entry(word).or_insert(0) += n;
    }
    out
}

fn print(report: &Report, seed: u64, shown: usize) {
    println!(
        "{:<14} cases {:>10}  {:>9.0} cases/s  {:>6.1} s  outcomes {:>3}  failures {}",
        report.target,
        report.cases,
        report.rate(),
        report.elapsed.as_secs_f64(),
        report.outcomes.len(),
        usize::from(report.failure.is_some()),
    );
    let mut top: Vec<(&String, &u64)> = report.outcomes.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (label, n) in top.iter().take(shown) {
        println!("    {n:>10}  {label}");
    }
    if top.len() > shown {
        println!("    ... {} more outcomes", top.len() - shown);
        let words: Vec<String> = by_last_word(report)
            .into_iter()
            .map(|(w, n)| format!("{w}: {n}"))
            .collect();
        println!("    by last word: {}", words.join(", "));
    }
    if let Some(f) = &report.failure {
        println!(
            "  FAILURE at case {} (seed {seed}): {}\n  shrunk input ({} steps): {}",
            f.case, f.message, f.shrink_steps, f.input
        );
    }
}

/// Runs the targets one after another on a thread of their own (the API target drives
/// its own runtime).
pub async fn run(args: Args) -> anyhow::Result<()> {
    let names: Vec<String> = if args.target == "all" {
        TARGETS.iter().map(|s| s.to_string()).collect()
    } else {
        vec![args.target.clone()]
    };
    let options = Options {
        cases: args.cases,
        seed: args.seed,
        seconds: args.seconds,
    };
    let shown = args.outcomes;
    let failed = std::thread::spawn(move || -> anyhow::Result<Vec<String>> {
        let mut failed = Vec::new();
        for name in names {
            let report = wakit_fuzz::run_named(&name, &options)?;
            print(&report, options.seed, shown);
            if report.failure.is_some() {
                failed.push(name);
            }
        }
        Ok(failed)
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the fuzz thread panicked"))?
    .context("fuzz")?;
    if !failed.is_empty() {
        anyhow::bail!("failures in: {}", failed.join(", "));
    }
    Ok(())
}
