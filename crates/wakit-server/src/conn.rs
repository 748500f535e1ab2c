//! Accepting and serving HTTP/1.1 connections with the limits `axum::serve` lacks: a
//! cap on open connections (in all and per client IP), a deadline for a request's
//! headers (hyper's `header_read_timeout`, which also bounds how long a keep-alive
//! connection may sit idle between requests), and an idle timeout on the socket (no
//! byte read or written for that long while waiting: a stalled upload, or a client
//! that stops reading its answer). At the global cap the server stops accepting until a
//! connection closes (new ones wait in the kernel's backlog, holding no descriptor of
//! ours); a connection over its IP's cap is closed at once. So a flood of slow
//! connections costs file descriptors only up to the cap, and each lasts at most the
//! header timeout.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_io_timeout::TimeoutStream;
use tokio_util::sync::CancellationToken;

use crate::refusals::{Kind, Refusals};

/// Connection-level limits of `wakit serve`.
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// Connections open at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections open at once from one client IP (0 = no per-IP cap).
    pub max_connections_per_ip: usize,
    /// How long a request's headers may take to arrive, counted from the connection's
    /// start or the end of the previous answer (so it is also the keep-alive idle limit).
    pub header_timeout: Duration,
    /// How long a connection may wait on a read or a write with nothing moving.
    pub idle_timeout: Duration,
}

/// Default [`ConnLimits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default [`ConnLimits::max_connections_per_ip`].
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;
/// Default [`ConnLimits::header_timeout`] (seconds).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default [`ConnLimits::idle_timeout`] (seconds).
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
        }
    }
}

/// Open connections per client IP.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One open connection of an IP; gives its place back when dropped.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// A place for one more connection of `ip`, unless it has `max` open (`max` 0: no cap).
    fn acquire(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What an accepted connection holds until it closes.
struct Admitted {
    _global: OwnedSemaphorePermit,
    _ip: IpSlot,
}

/// Serves `router` on `listener` until `shutdown` fires, then stops accepting and waits
/// for the open connections to finish their in-flight requests (idle ones close at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    refusals: Arc<Refusals>,
    shutdown: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let global = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = Arc::new(PerIp::default());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            permit = Arc::clone(&global).acquire_owned() => permit,
        };
        let Ok(permit) = permit else {
            break; // the semaphore is never closed
        };
        if global.available_permits() == 0 {
            refusals.note(Kind::ConnectionCap, &limits.max_connections);
        }
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors, or the peer left before accept: wait a moment
                // rather than spin.
                refusals.note(Kind::AcceptError, &e);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = per_ip.acquire(peer.ip(), limits.max_connections_per_ip) else {
            refusals.note(Kind::ConnectionCapPerIp, &peer.ip());
            continue; // `stream` drops here: closed at once.
        };
        let admitted = Admitted {
            _global: permit,
            _ip: slot,
        };
        let conn = http.serve_connection(
            TokioIo::new(Box::pin(with_idle_timeout(stream, limits.idle_timeout))),
            hyper::service::service_fn(service(router.clone(), peer)),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, malformed request): nothing to do.
            let _ = conn.await;
            drop(admitted);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

fn with_idle_timeout(stream: TcpStream, idle: Duration) -> TimeoutStream<TcpStream> {
    // Small answers go out at once rather than waiting on Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let mut stream = TimeoutStream::new(stream);
    stream.set_read_timeout(Some(idle));
    stream.set_write_timeout(Some(idle));
    stream
}

/// The router as a hyper service for one connection: each request carries the peer's
/// address (`ConnectInfo<SocketAddr>`), as with axum's own `serve`.
fn service(
    router: Router,
    peer: SocketAddr,
) -> impl Fn(
    hyper::Request<Incoming>,
) -> futures::future::BoxFuture<
    'static,
    Result<axum::response::Response, std::convert::Infallible>,
> + Clone {
    move |mut req| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        Box::pin(async move { tower::Service::call(&mut router, req).await })
    }
}
