//! Group commit for the dispatcher's writes: concurrent sends hand their database write
//! to one task, which commits everything waiting in one transaction (each commit is a
//! disk flush, so this is what lets one number reach Meta's 1000 messages/s).

use std::future::Future;
use tokio::sync::{mpsc, oneshot};
use wakit_store::{StoreError, StoreResult};

type Reply<R> = oneshot::Sender<StoreResult<R>>;

/// A queue of items committed together.
pub(super) struct Batcher<T, R> {
    tx: mpsc::Sender<(T, Reply<R>)>,
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts the committing task: it takes whatever is waiting (up to `max`) and calls
    /// `flush` with it, which answers each item in order.
    pub(super) fn spawn<F, Fut>(max: usize, flush: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<Vec<StoreResult<R>>>> + Send,
    {
        let (tx, mut rx) = mpsc::channel::<(T, Reply<R>)>(max * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut items = vec![first];
                while items.len() < max {
                    match rx.try_recv() {
                        Ok(next) => items.push(next),
                        Err(_) => break,
                    }
                }
                let (batch, replies): (Vec<T>, Vec<Reply<R>>) = items.into_iter().unzip();
                match flush(batch).await {
                    Ok(results) if results.len() == replies.len() => {
                        for (reply, r) in replies.into_iter().zip(results) {
                            let _ = reply.send(r);
                        }
                    }
                    Ok(_) => {
                        for reply in replies {
                            let _ = reply.send(Err(StoreError::other(
                                "batch answered with the wrong number of results",
                            )));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(StoreError::unavailable(msg.clone())));
                        }
                    }
                }
            }
        });
        Batcher { tx }
    }

    /// Queues `item` and waits for its group's commit.
    pub(super) async fn submit(&self, item: T) -> StoreResult<R> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((item, reply))
            .await
            .map_err(|_| StoreError::unavailable("dispatcher batch writer stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("dispatcher batch writer stopped"))?
    }
}
