//! Storage benchmark: loads one org with `--messages` messages over `--conversations`
//! conversations and `--contacts` contacts (two numbers, so each contact has two
//! conversations), plus a second org of noise, then times the API's reads at the
//! checkpoint and at the end. Reads go through the Store trait, as the server's do.

use rand::Rng;
use std::time::Instant;
use wakit_store::ContactQuery;

use crate::corpus::{Corpus, Shape};
use crate::scratch::{Databases, Scratch};
use crate::stats::Samples;

/// Options.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: Databases,
    #[command(flatten)]
    shape: Shape,
    /// Message count of the first measurement.
    #[arg(long, default_value_t = 10_000)]
    checkpoint: usize,
    /// Timed calls per read operation.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
}

/// Runs the benchmark and prints a table.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let backends = args.db.backends()?;
    let shape = &args.shape;
    println!("# storage benchmark: {}", shape.describe());
    println!(
        "# reads: {} timed calls each; load batch {} messages per transaction; SQLite synchronous=FULL (WAL)",
        args.samples, shape.batch
    );
    println!(
        "| backend | messages | load msg/s | list convs p50/p99 ms | conversation page p50/p99 ms | search name p50/p99 ms | search number p50/p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    for backend in backends {
        let db = args.db.create(backend).await?;
        let result = bench_one(&args, backend, &db).await;
        args.db.finish(db).await?;
        result?;
    }
    Ok(())
}

async fn bench_one(args: &Args, backend: &str, db: &Scratch) -> anyhow::Result<()> {
    let mut w = Corpus::create(db.store.clone(), &args.shape).await?;
    for target in [args.checkpoint, args.shape.messages] {
        w.load_until(target).await?;
        db.analyze().await?;
        let rate = w.load_rate();
        let mut reads = measure(args, &mut w).await?;
        println!(
            "| {backend} | {} | {:.0} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} | {:.3} / {:.3} |",
            w.loaded,
            rate,
            reads[0].pct_ms(50.0),
            reads[0].pct_ms(99.0),
            reads[1].pct_ms(50.0),
            reads[1].pct_ms(99.0),
            reads[2].pct_ms(50.0),
            reads[2].pct_ms(99.0),
            reads[3].pct_ms(50.0),
            reads[3].pct_ms(99.0),
        );
    }
    Ok(())
}

async fn measure(args: &Args, w: &mut Corpus) -> anyhow::Result<[Samples; 4]> {
    let mut out: [Samples; 4] = Default::default();
    let known = w.known_conversations();
    let names = [
        "maría",
        "garcía",
        "lopez 1",
        "josé mar",
        "ramírez",
        "ana",
        "núñez 4",
    ];
    for i in 0..args.samples {
        let t = Instant::now();
        w.store
            .list_conversations(w.org, w.accounts[i % 2].id, 10)
            .await?;
        out[0].push(t.elapsed());

        if !known.is_empty() {
            let c = known[w.rng.gen_range(0..known.len())];
            let t = Instant::now();
            w.store.page_messages(w.org, c, 50, None).await?;
            out[1].push(t.elapsed());
        }

        let q = ContactQuery {
            name: Some(names[i % names.len()].to_string()),
            number: None,
            limit: 10,
        };
        let t = Instant::now();
        w.store.search_contacts(w.org, q).await?;
        out[2].push(t.elapsed());

        let digits = format!("{:05}", w.rng.gen_range(0..args.shape.contacts.min(99_999)));
        let q = ContactQuery {
            name: None,
            number: Some(digits),
            limit: 10,
        };
        let t = Instant::now();
        w.store.search_contacts(w.org, q).await?;
        out[3].push(t.elapsed());
    }
    Ok(out)
}
