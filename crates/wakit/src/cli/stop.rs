//! When a long-running command stops: SIGINT, SIGTERM, or — with
//! `WAKIT_EXIT_WITH_PARENT=1` — the process that started it going away.
//!
//! The last one is for supervisors and test harnesses that start `wakit serve` as a
//! child: when the parent dies without stopping it (a crash, `kill -9`, a panicking test),
//! the server would otherwise keep running, re-parented to init, holding its port and
//! database.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the parent is checked.
const PARENT_POLL: Duration = Duration::from_millis(250);

/// The parent at start (a parent that dies before the check begins still counts).
static PARENT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Records the parent process; call first thing in `main`.
pub fn remember_parent() {
    #[cfg(unix)]
    PARENT.get_or_init(std::os::unix::process::parent_id);
}

/// Resolves once the process should stop.
pub async fn requested() {
    tokio::select! {
        _ = signal() => tracing::info!("shutdown requested; draining"),
        _ = parent_gone() => tracing::warn!("the parent process exited; stopping"),
    }
}

/// Cancels `shutdown` once the process should stop.
pub async fn cancel_when_requested(shutdown: CancellationToken) {
    requested().await;
    shutdown.cancel();
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Resolves when `WAKIT_EXIT_WITH_PARENT` is on and the parent process is gone (the
/// process was re-parented); never otherwise.
async fn parent_gone() {
    let on = std::env::var("WAKIT_EXIT_WITH_PARENT")
        .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes" | "on"));
    #[cfg(unix)]
    if on {
        let parent = *PARENT.get_or_init(std::os::unix::process::parent_id);
        let mut tick = tokio::time::interval(PARENT_POLL);
        loop {
            tick.tick().await;
            if std::os::unix::process::parent_id() != parent {
                return;
            }
        }
    }
    let _ = on;
    std::future::pending::<()>().await
}
