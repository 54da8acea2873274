//! The in-process "work may be available" signal behind `wait_for_work`.

use std::time::Duration;

use tokio::sync::Notify;

/// Wakes workers waiting for work. A signal sent while nobody waits is kept for the next
/// waiter, so a worker that claimed nothing just before a submit does not sleep through it.
#[derive(Debug, Default)]
pub(crate) struct WorkSignal {
    notify: Notify,
}

impl WorkSignal {
    /// Wakes every current waiter, and the next one if none waits.
    pub(crate) fn wake(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Waits for a wake-up or the timeout; true when woken.
    pub(crate) async fn wait(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.notify.notified())
            .await
            .is_ok()
    }
}
