//! wakit's benchmark harness. Prints figures; never asserts timings.
//!
//! ```sh
//! cargo run --release -p wakit-bench -- storage --backend both
//! cargo run --release -p wakit-bench -- dispatch --backend both --mps 1000
//! cargo run --release -p wakit-bench -- webhook --backend both
//! cargo run --release -p wakit-bench -- outbound --backend both
//! cargo run --release -p wakit-bench -- visible --backend both --mps 1000
//! cargo build --release -p wakit && cargo run --release -p wakit-bench -- api --backend both
//! cargo build --release -p wakit && cargo run --release -p wakit-bench -- restart --backend sqlite
//! cargo build --release -p wakit && cargo run --release -p wakit-bench -- slowloris
//! cargo run --release -p wakit-bench -- signin --backend both
//! cargo run --release -p wakit-bench -- agents --backend both --model-latency-ms 50
//! cargo run --release -p wakit-bench -- fuzz --target all --cases 1000000 --seed 1
//! ```
#![forbid(unsafe_code)]

mod agents;
mod api;
mod cli_curl;
mod corpus;
mod data;
mod dispatch;
mod floor;
mod fuzz;
mod inbox;
mod load;
mod outbound;
mod restart;
mod scratch;
mod search_attack;
mod signin;
mod slowloris;
mod stats;
mod storage;
mod visible;
mod webhook;
mod writes;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "wakit-bench",
    about = "wakit benchmarks (figures, not assertions)"
)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Storage: load rate and read latencies at 10k and 1M messages.
    Storage(storage::Args),
    /// Dispatch: sends per second to the sandbox for one number at its configured rate.
    Dispatch(dispatch::Args),
    /// Inbound Meta webhook: accept and processing rates against an HTTP floor.
    Webhook(webhook::Args),
    /// Outbound webhooks: idle latency from a Meta webhook to a customer endpoint, and
    /// deliveries per second to many endpoints, with and without one that hangs.
    Outbound(outbound::Args),
    /// Visibility latency: a Meta webhook POST → the message in GET /conversation and on
    /// the event stream, idle and at a paced inbound rate.
    Visible(visible::Args),
    /// REST API reads: req/s and latency of GET /conversations, /conversation and the
    /// data API's embed read over a 1M-message database against an HTTP floor; CLI wall
    /// time against curl.
    Api(api::Args),
    /// Restart recovery: SIGKILL `wakit serve` mid-storm, restart it, time until every
    /// acknowledged message is visible.
    Restart(restart::Args),
    /// Slow-connection attack on a release `wakit serve`: the server's peak RSS and a
    /// bystander's p99 latency during it.
    Slowloris(slowloris::Args),
    /// Contact-search attack on a release `wakit serve`: another org's latency, the
    /// server's memory and the cross-tenant timing signal during it.
    SearchAttack(search_attack::Args),
    /// The dashboard inbox's first paint: the requests the page makes before it shows
    /// the list (10,000 conversations by default), step by step.
    Inbox(inbox::Args),
    /// Password sign-in at /auth/v1/token: sign-ins per second and latency (argon2id).
    Signin(signin::Args),
    /// AI agents: conversations answered per second with the sandbox model, and wakit's
    /// own added latency per turn beyond the debounce and the model's time.
    Agents(agents::Args),
    /// Fuzz targets (webhook parser, signature, domain parsers, the API in process):
    /// cases, rate, distinct outcomes and failures per target.
    Fuzz(fuzz::Args),
}

/// mimalloc: the API's reads allocate a lot (rows, JSON), and glibc's malloc was a
/// large share of their CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::Storage(args) => storage::run(args).await,
        Bench::Dispatch(args) => dispatch::run(args).await,
        Bench::Webhook(args) => webhook::run(args).await,
        Bench::Outbound(args) => outbound::run(args).await,
        Bench::Visible(args) => visible::run(args).await,
        Bench::Api(args) => api::run(args).await,
        Bench::Restart(args) => restart::run(args).await,
        Bench::Slowloris(args) => slowloris::run(args).await,
        Bench::SearchAttack(args) => search_attack::run(args).await,
        Bench::Signin(args) => signin::run(args).await,
        Bench::Inbox(args) => inbox::run(args).await,
        Bench::Agents(args) => agents::run(args).await,
        Bench::Fuzz(args) => fuzz::run(args).await,
    }
}
