//! Group commit of the Meta webhook inbox.
//!
//! A POST is answered 200 only once its body is durable, and a durable commit costs a
//! disk flush (about a millisecond): one transaction per POST caps the webhook near a
//! thousand requests a second, whatever the hardware does besides. So handlers hand
//! their body to one writer task and wait for its answer; while one group commits, the
//! next requests queue up, and the writer takes all of them (up to [`MAX_GROUP`]) into
//! the next transaction. Nothing waits on a timer: a lone request is a group of one.

use std::sync::Arc;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use wakit_store::{NewInboxItem, Store};

use crate::error::ApiError;

/// Bodies one transaction takes at most: bounds the transaction and the job's payload.
pub const MAX_GROUP: usize = 256;
/// Bodies waiting for the writer beyond which a POST is refused rather than queued, so a
/// slow database turns into quick 503s (Meta retries) instead of unbounded memory.
pub const QUEUE: usize = 4096;
/// Seconds Meta is asked to wait before retrying a refused POST.
const RETRY_AFTER_SECONDS: &str = "1";

/// Why a body was not stored. Every case is answered 503 with `Retry-After`: Meta
/// retries whatever is not a 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The queue is full: the database is not keeping up.
    #[error("the webhook inbox queue is full")]
    Busy,
    /// The writer has stopped.
    #[error("the webhook inbox writer has stopped")]
    Closed,
    /// The store failed to commit the group (logged once by the writer).
    #[error("the webhook inbox could not be stored")]
    Store,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The webhook could not be stored now; retry shortly.",
        )
        .into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        response
    }
}

struct Submission {
    item: NewInboxItem,
    reply: oneshot::Sender<Result<(), Refused>>,
}

/// Hands bodies to the writer task. Cheap to clone; the task commits what is queued and
/// stops once every handle is dropped, so a request accepted before shutdown always
/// gets its answer.
#[derive(Clone)]
pub struct InboxWriter {
    queue: mpsc::Sender<Submission>,
}

impl InboxWriter {
    /// Starts the writer task over `store`: groups of at most `max_group` bodies, at most
    /// `queue` bodies waiting.
    pub fn spawn(
        store: Arc<dyn Store>,
        max_group: usize,
        queue: usize,
    ) -> (InboxWriter, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let task = tokio::spawn(run(store, rx, max_group.max(1)));
        (InboxWriter { queue: tx }, task)
    }

    /// Stores `item` in the next group; returns once that group is durable.
    pub async fn submit(&self, item: NewInboxItem) -> Result<(), Refused> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Submission { item, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => Refused::Busy,
                mpsc::error::TrySendError::Closed(_) => Refused::Closed,
            })?;
        answer.await.map_err(|_| Refused::Closed)?
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Submission>, max_group: usize) {
    let mut group = Vec::with_capacity(max_group);
    // `recv_many` waits for one submission, then takes whatever else is already queued.
    while rx.recv_many(&mut group, max_group).await > 0 {
        let (items, replies): (Vec<_>, Vec<_>) = group.drain(..).map(|s| (s.item, s.reply)).unzip();
        let bodies = items.len();
        let outcome = match store.inbox_put_batch(items).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, bodies, "webhook bodies not stored; answering 503");
                Err(Refused::Store)
            }
        };
        for reply in replies {
            // A closed receiver is a client that hung up: its body is stored anyway, and
            // Meta's retry is deduplicated by wamid.
            let _ = reply.send(outcome);
        }
    }
}
