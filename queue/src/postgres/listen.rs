//! The LISTEN side of the wake-ups: one connection per queue, reconnected when lost.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::task::JoinHandle;

use super::BACKEND;
use crate::error::{QueueError, db};
use crate::signal::WorkSignal;

/// The background task forwarding notifications to the queue's [`WorkSignal`]; stopped when
/// the last clone of the queue is dropped.
#[derive(Debug)]
pub(super) struct ListenTask {
    handle: JoinHandle<()>,
}

impl ListenTask {
    /// Listens on the schema's channel before returning, so no submit after `connect` is missed.
    pub(super) async fn start(pool: &PgPool, signal: Arc<WorkSignal>) -> Result<Self, QueueError> {
        let channel: String = sqlx::query_scalar(include_str!("queries/channel.sql"))
            .fetch_one(pool)
            .await
            .map_err(db(BACKEND, "naming the notification channel"))?;
        let mut listener = PgListener::connect_with(pool)
            .await
            .map_err(db(BACKEND, "LISTEN: connecting"))?;
        listener
            .listen(&channel)
            .await
            .map_err(db(BACKEND, "LISTEN"))?;
        let handle = tokio::spawn(forward(listener, signal));
        Ok(Self { handle })
    }
}

impl Drop for ListenTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

async fn forward(mut listener: PgListener, signal: Arc<WorkSignal>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => signal.wake(),
            Ok(None) => {
                // The connection was lost and re-established: notifications may have been
                // missed, so let the waiters look.
                tracing::warn!(
                    backend = BACKEND,
                    "queue LISTEN connection lost; reconnected"
                );
                signal.wake();
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(backend = BACKEND, %error, "queue LISTEN failed; retrying in 1 s");
                signal.wake();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
