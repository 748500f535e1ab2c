//! Slow-connection attack against a real `wakit serve` process (the release binary):
//! `--slow-headers` connections that trickle unfinished headers and `--uploads` chunked
//! uploads of ~1 MiB to a path that does not exist that then stall, each reopened when
//! the server closes it, from `--attacker-ip` (a loopback address of its own, so the
//! per-IP cap applies to the attacker and not to the bystander on 127.0.0.1). Meanwhile
//! a bystander asks `GET /ping` on a fresh connection each time. Prints the bystander's
//! latency before and during the attack and the server's resident memory (RSS now and
//! its peak, VmHWM). `--relaxed` runs the server with its limits as good as off, to
//! compare. Figures only; nothing is asserted.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::stats::Samples;

/// Options.
#[derive(clap::Args)]
pub struct Args {
    /// Connections trickling unfinished headers (a header line every 2 s).
    #[arg(long, default_value_t = 300)]
    slow_headers: usize,
    /// Chunked uploads of ~1 MiB to a missing path that then stall.
    #[arg(long, default_value_t = 150)]
    uploads: usize,
    /// How long the attack (and the bystander's measurement during it) lasts.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Source address of the attack's connections (any loopback address).
    #[arg(long, default_value = "127.0.0.2")]
    attacker_ip: IpAddr,
    /// Run the server with its connection limits and timeouts as good as off.
    #[arg(long)]
    relaxed: bool,
    /// The `wakit` binary [default: `wakit` beside this benchmark's binary].
    #[arg(long)]
    wakit: Option<PathBuf>,
    /// Run the server with this file-descriptor limit (`ulimit -n`), as on hosts that
    /// keep the usual 1024.
    #[arg(long)]
    nofile: Option<u32>,
}

/// The server process; killed when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the benchmark.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let wakit = crate::cli_curl::wakit_binary(args.wakit.as_ref())?;
    let dir = tempfile::tempdir()?;
    let mut cmd = match args.nofile {
        Some(n) => {
            let mut sh = Command::new("sh");
            sh.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\"")])
                .arg(&wakit);
            sh
        }
        None => Command::new(&wakit),
    };
    cmd.args(["serve", "--no-workers", "--listen", "127.0.0.1:0"])
        .env("WAKIT_DATA_DIR", dir.path())
        .env("WAKIT_EXIT_WITH_PARENT", "1")
        .env("RUST_LOG", "error")
        .env_remove("WAKIT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if args.relaxed {
        cmd.args([
            "--max-connections",
            "1000000",
            "--max-connections-per-ip",
            "0",
        ])
        .args([
            "--header-timeout-seconds",
            "3600",
            "--idle-timeout-seconds",
            "3600",
        ])
        .args(["--body-timeout-seconds", "3600"]);
    }
    let mut child = Server(cmd.spawn()?);
    let pid = child.0.id();
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let banner = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await??;
    let root = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| anyhow::anyhow!("no URL in the banner: {banner}"))?
        .to_string();
    let addr: SocketAddr = root.trim_start_matches("http://").parse()?;
    let ping = format!("{root}/functions/v1/api/ping");
    println!(
        "# slowloris: {} slow-header connections + {} stalled 1 MiB uploads from {} for {} s against {} ({}, nofile {})",
        args.slow_headers,
        args.uploads,
        args.attacker_ip,
        args.seconds,
        root,
        if args.relaxed {
            "limits relaxed"
        } else {
            "default limits"
        },
        args.nofile
            .map_or("unchanged".to_string(), |n| n.to_string())
    );

    let before = bystander(&ping, None, Duration::from_secs(3)).await?;
    let rss_before = status_kib(pid, "VmRSS:");

    let stop = CancellationToken::new();
    let reopened = Arc::new(AtomicUsize::new(0));
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..args.slow_headers + args.uploads {
        let upload = i >= args.slow_headers;
        let (stop, reopened, ip) = (stop.clone(), reopened.clone(), args.attacker_ip);
        attackers.spawn(attacker(addr, ip, upload, stop, reopened));
    }
    let peak_sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while !stop.is_cancelled() {
                peak = peak.max(status_kib(pid, "VmRSS:").unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            peak
        })
    };
    // Let the attack build up before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = bystander(&ping, None, Duration::from_secs(args.seconds)).await?;
    stop.cancel();
    let sampled_peak = peak_sampler.await.unwrap_or(0);
    let hwm = status_kib(pid, "VmHWM:");
    attackers.abort_all();
    while attackers.join_next().await.is_some() {}

    report("before the attack", before);
    report("during the attack", during);
    let mib = |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    println!(
        "| server RSS before | {} MiB |\n| server RSS peak sampled during | {} MiB |\n| server VmHWM (peak RSS) | {} MiB |\n| attack connections reopened after the server closed them | {} |",
        mib(rss_before),
        mib(Some(sampled_peak)),
        mib(hwm),
        reopened.load(Ordering::Relaxed)
    );
    drop(child);
    Ok(())
}

/// Asks `GET url` (with `key` as Bearer when given) on a fresh connection each time for
/// `time`; latencies and errors.
pub(crate) async fn bystander(
    url: &str,
    key: Option<&str>,
    time: Duration,
) -> anyhow::Result<(Samples, usize, usize)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(15))
        .build()?;
    let (mut samples, mut ok, mut errors) = (Samples::default(), 0, 0);
    let end = Instant::now() + time;
    while Instant::now() < end {
        let started = Instant::now();
        let mut req = http.get(url);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                samples.push(started.elapsed());
                ok += 1;
            }
            _ => errors += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((samples, ok, errors))
}

pub(crate) fn report(phase: &str, (mut samples, ok, errors): (Samples, usize, usize)) {
    println!(
        "| bystander {phase} | {ok} ok | {errors} errors | p50 {:.1} ms | p99 {:.1} ms |",
        samples.pct_ms(50.0),
        samples.pct_ms(99.0)
    );
}

/// One attacking connection, reopened whenever the server closes it, until `stop`.
async fn attacker(
    server: SocketAddr,
    ip: IpAddr,
    upload: bool,
    stop: CancellationToken,
    reopened: Arc<AtomicUsize>,
) {
    let mut first = true;
    while !stop.is_cancelled() {
        if !first {
            reopened.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        first = false;
        let Ok(mut conn) = connect_from(ip, server).await else {
            continue;
        };
        let opened = tokio::select! {
            _ = stop.cancelled() => return,
            opened = open(&mut conn, upload) => opened,
        };
        if opened.is_err() {
            continue;
        }
        // Hold it: a header line every 2 s (uploads send nothing more) until the server
        // answers or closes, or the attack ends.
        let mut buf = [0u8; 1024];
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                read = conn.read(&mut buf) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        break;
                    }
                }
                _ = tokio::time::sleep(Duration::from_secs(2)), if !upload => {
                    if conn.write_all(b"X-Slow: 1\r\n").await.is_err() {
                        break;
                    }
                }
            }
        }
    }
}

async fn connect_from(ip: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = if ip.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(ip, 0))?;
    socket.connect(server).await
}

/// Starts the attack on `conn`: unfinished headers, or a stalled upload.
async fn open(conn: &mut TcpStream, upload: bool) -> std::io::Result<()> {
    if upload {
        return start_upload(conn).await;
    }
    let head = "GET /functions/v1/api/ping HTTP/1.1\r\nHost: x\r\n";
    conn.write_all(head.as_bytes()).await
}

/// Sends the head of a chunked upload to a missing path and 1 MiB of it.
async fn start_upload(conn: &mut TcpStream) -> std::io::Result<()> {
    let head = "POST /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    conn.write_all(head.as_bytes()).await?;
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..16 {
        conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await?;
        conn.write_all(&chunk).await?;
        conn.write_all(b"\r\n").await?;
    }
    Ok(())
}

/// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`).
pub(crate) fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
