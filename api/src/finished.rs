//! Wake-ups for result long-polls: the worker (or this API, for remote workers) calls
//! [`Finished::notify`] when a task ends, and every request waiting on that uuid re-reads it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// The registry of result waiters, by task uuid.
#[derive(Debug, Default)]
pub struct Finished {
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Finished {
    /// Wakes every request waiting for the result of `uuid` (none: nothing happens).
    pub fn notify(&self, uuid: &str) {
        let waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = waiters.get(uuid) {
            notify.notify_waiters();
        }
    }

    /// Registers a waiter on `uuid`; the registration ends when the guard is dropped.
    pub(crate) fn watch(self: &Arc<Self>, uuid: &str) -> Watch {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        let notify = Arc::clone(waiters.entry(uuid.to_owned()).or_default());
        Watch {
            finished: Arc::clone(self),
            uuid: uuid.to_owned(),
            notify,
        }
    }

    /// How many uuids have waiters (tests).
    #[cfg(test)]
    fn watched(&self) -> usize {
        self.waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A registered waiter. Create the `notified()` future and `enable` it *before* re-reading
/// the task, so that a notify between the read and the wait is not lost.
pub(crate) struct Watch {
    finished: Arc<Finished>,
    uuid: String,
    /// Woken by [`Finished::notify`].
    pub(crate) notify: Arc<Notify>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut waiters = self
            .finished
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map holds one reference and this guard another: nobody else waits, forget it.
        if Arc::strong_count(&self.notify) <= 2 {
            waiters.remove(&self.uuid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notify_wakes_a_watch_enabled_before_it() {
        let finished = Arc::new(Finished::default());
        let watch = finished.watch("t-1");
        {
            let notified = watch.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            finished.notify("t-1");
            notified.await;
        }
        drop(watch);
        assert_eq!(finished.watched(), 0, "the last guard forgets the uuid");
    }
}
