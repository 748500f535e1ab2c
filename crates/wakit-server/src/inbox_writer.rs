//! Group commit of the Meta webhook inbox.
//!
//! A POST is answered 200 only once its body is durable, and a durable commit costs a
//! disk flush (about a millisecond): one transaction per POST caps the webhook near a
//! thousand requests a second, whatever the hardware does besides. So handlers hand
//! their body to one writer task and wait for its answer; while one group commits, the
//! next requests queue up, and the writer takes all of them (up to [`MAX_GROUP`]) into
//! the next transaction. Nothing waits on a timer: a lone request is a group of one.

use std::future::Future;
use std::sync::Arc;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wakit_store::{NewInboxItem, Store};

use crate::error::ApiError;
use crate::workers::supervisor::{Health, supervise};

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

/// The writer task, for waiting until it has committed what was queued.
pub struct WriterTask(TaskTracker);

impl WriterTask {
    /// Returns once every handle is dropped and the last group is committed.
    pub async fn finished(self) {
        self.0.close();
        self.0.wait().await;
    }
}

/// The writer's name in the workers' health (`GET /ready`).
pub const WORKER_NAME: &str = "inbox-writer";

impl InboxWriter {
    /// Starts the writer task over `store`: groups of at most `max_group` bodies, at most
    /// `queue` bodies waiting. The task is supervised: a panic (a bug) refuses the
    /// group it was committing with 503 (Meta retries it), shows the writer as down in
    /// `health` and starts it again on the same queue.
    pub fn spawn(
        store: Arc<dyn Store>,
        health: Arc<Health>,
        max_group: usize,
        queue: usize,
    ) -> (InboxWriter, WriterTask) {
        let commit = move |items: Vec<NewInboxItem>| {
            let store = Arc::clone(&store);
            async move { store.inbox_put_batch(items).await.map(|_| ()) }
        };
        Self::spawn_with(commit, health, max_group, queue)
    }

    fn spawn_with<C, Fut, E>(
        commit: C,
        health: Arc<Health>,
        max_group: usize,
        queue: usize,
    ) -> (InboxWriter, WriterTask)
    where
        C: Fn(Vec<NewInboxItem>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let tracker = TaskTracker::new();
        // Never cancelled: the writer stops when the queue closes, after committing it.
        supervise(
            &tracker,
            health,
            WORKER_NAME.into(),
            CancellationToken::new(),
            move || run(commit.clone(), Arc::clone(&rx), max_group.max(1)),
        );
        (InboxWriter { queue: tx }, WriterTask(tracker))
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

async fn run<C, Fut, E>(commit: C, rx: Arc<Mutex<mpsc::Receiver<Submission>>>, max_group: usize)
where
    C: Fn(Vec<NewInboxItem>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    // The queue outlives a panicking run: the next run takes it over.
    let mut rx = rx.lock().await;
    let mut group = Vec::with_capacity(max_group);
    // `recv_many` waits for one submission, then takes whatever else is already queued.
    while rx.recv_many(&mut group, max_group).await > 0 {
        let (items, replies): (Vec<_>, Vec<_>) = group.drain(..).map(|s| (s.item, s.reply)).unzip();
        let bodies = items.len();
        let outcome = match commit(items).await {
            Ok(()) => Ok(()),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    fn item(n: u8) -> NewInboxItem {
        NewInboxItem {
            body: vec![n],
            signature: None,
            received_at: chrono::Utc::now(),
        }
    }

    /// A panic while committing refuses that group (Meta retries it), shows the writer
    /// down, and the writer comes back on the same queue: later bodies are stored.
    #[tokio::test]
    async fn a_panicking_writer_is_restarted_and_keeps_its_queue() {
        let health = Arc::new(Health::default());
        let calls = Arc::new(AtomicU32::new(0));
        let stored = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, s) = (calls.clone(), stored.clone());
        let commit = move |items: Vec<NewInboxItem>| {
            let (c, s) = (c.clone(), s.clone());
            async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("injected writer panic");
                }
                s.lock()
                    .unwrap()
                    .extend(items.into_iter().map(|i| i.body[0]));
                Ok::<(), String>(())
            }
        };
        let (writer, task) = InboxWriter::spawn_with(commit, health.clone(), 8, 16);
        assert_eq!(writer.submit(item(1)).await, Err(Refused::Closed));
        // The supervisor records the panic once the task has unwound.
        for _ in 0..500 {
            if health.snapshot()[WORKER_NAME].last_panic.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let last_panic = health.snapshot()[WORKER_NAME].last_panic.clone();
        assert_eq!(last_panic.as_deref(), Some("injected writer panic"));
        // Submitted while the writer may still be down: queued, stored once it is back.
        let answer = tokio::time::timeout(Duration::from_secs(10), writer.submit(item(2)))
            .await
            .unwrap();
        assert_eq!(answer, Ok(()));
        assert!(health.down().is_empty());
        assert_eq!(health.snapshot()[WORKER_NAME].restarts, 1);
        drop(writer);
        tokio::time::timeout(Duration::from_secs(10), task.finished())
            .await
            .unwrap();
        assert_eq!(*stored.lock().unwrap(), vec![2]);
    }
}
