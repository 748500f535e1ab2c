//! The HTTP load generator: `concurrency` keep-alive clients sending requests one after
//! another, bounded in count and in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::stats::Samples;

/// What one load measured.
pub struct Load {
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of each request answered 200.
    pub latency: Samples,
    /// Requests answered 200.
    pub ok: usize,
    /// Requests answered otherwise, or failed.
    pub refused: usize,
    /// CPU time this process used meanwhile (server and clients; unlike the rates, not
    /// inflated by other processes on the machine).
    pub cpu: Duration,
}

impl Load {
    /// Requests answered 200 per second.
    pub fn ok_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU microseconds per request (server and clients together).
    pub fn cpu_us_per_req(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / (self.ok + self.refused).max(1) as f64
    }
}

/// User + system CPU time of this process so far, from `/proc/self/stat` (clock ticks
/// of 1/100 s, Linux's USER_HZ); zero where it cannot be read.
pub fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Sends request `i` for `i` in `0..requests` (`make` builds it; `None` ends the client)
/// from `concurrency` keep-alive clients; a client stops at the first request it would
/// start after `limit`.
pub async fn fire<F>(
    concurrency: usize,
    requests: usize,
    limit: Duration,
    make: F,
) -> anyhow::Result<Load>
where
    F: Fn(&reqwest::Client, usize) -> Option<reqwest::RequestBuilder> + Send + Sync + 'static,
{
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let (started, cpu_before) = (Instant::now(), process_cpu());
    let deadline = started + limit;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (http, make, next) = (http.clone(), make.clone(), next.clone());
        clients.spawn(async move {
            let (mut latency, mut ok, mut refused) = (Samples::default(), 0, 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests || Instant::now() > deadline {
                    break;
                }
                let Some(request) = make(&http, i) else {
                    break;
                };
                let t = Instant::now();
                match request.send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::OK => {
                        // Read to the end so the connection is reused.
                        let _ = r.bytes().await;
                        latency.push(t.elapsed());
                        ok += 1;
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        refused += 1;
                    }
                    Err(_) => refused += 1,
                }
            }
            (latency, ok, refused)
        });
    }
    let mut load = Load {
        elapsed: Duration::ZERO,
        latency: Samples::default(),
        ok: 0,
        refused: 0,
        cpu: Duration::ZERO,
    };
    while let Some(done) = clients.join_next().await {
        let (latency, ok, refused) = done?;
        load.latency.extend(latency);
        load.ok += ok;
        load.refused += refused;
    }
    load.elapsed = started.elapsed();
    load.cpu = process_cpu().saturating_sub(cpu_before);
    Ok(load)
}
