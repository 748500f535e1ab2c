//! The HTTP floor: an axum server with the same layers as wakit's (body limit, trace)
//! whose every route reads the body and answers 200. The same load against it, in the
//! same run, tells how much of a figure is the machine, hyper and the load generator.

use anyhow::Context;
use axum::body::Bytes;
use axum::http::StatusCode;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// A running floor server.
pub struct Floor {
    /// Where it listens (127.0.0.1, an ephemeral port); any path answers.
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Floor {
    /// Starts it on 127.0.0.1:0.
    pub async fn start() -> anyhow::Result<Floor> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the floor server")?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(|_body: Bytes| async { StatusCode::OK })
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                wakit_server::MAX_BODY,
            ))
            .layer(tower_http::trace::TraceLayer::new_for_http());
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { signal.cancelled().await })
                .await
        });
        Ok(Floor { addr, stop, task })
    }

    /// Stops it and waits for it to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await??;
        Ok(())
    }
}
