//! What the routes share: the queue, the auth tokens, the limits, the submit defaults and
//! the result waiters.

use std::sync::Arc;
use std::time::Duration;

use taskhost_queue::TaskQueue;

use crate::auth::Auth;
use crate::finished::Finished;

/// Limits on requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (default 8 MiB): checked on `Content-Length` and on the bytes
    /// actually received.
    pub max_body_bytes: u64,
    /// The most envelopes (or tasks, or completions) in one request (default 10,000).
    pub max_batch: usize,
    /// The longest long-poll (`wait`, `timeoutMs`) a request may ask for (default 60 s).
    pub max_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            max_batch: 10_000,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// Settings of tasks submitted through `POST /v1/tasks` (the `maxAttempts` query overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitDefaults {
    /// Attempts before dead-letter (default 3).
    pub max_attempts: u32,
    /// Retry on a worker that has not tried the task yet (default false).
    pub retry_on_different_worker: bool,
}

impl Default for SubmitDefaults {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_on_different_worker: false,
        }
    }
}

/// The state every route handler gets.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) queue: Arc<dyn TaskQueue>,
    pub(crate) auth: Arc<Auth>,
    pub(crate) limits: Limits,
    pub(crate) defaults: SubmitDefaults,
    pub(crate) finished: Arc<Finished>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("queue", &self.queue.backend())
            .field("auth", &self.auth)
            .field("limits", &self.limits)
            .field("defaults", &self.defaults)
            .finish()
    }
}

impl ApiState {
    /// Routes over `queue`, open (no tokens), default limits and submit defaults.
    pub fn new(queue: Arc<dyn TaskQueue>) -> Self {
        Self {
            queue,
            auth: Arc::new(Auth::open()),
            limits: Limits::default(),
            defaults: SubmitDefaults::default(),
            finished: Arc::new(Finished::default()),
        }
    }

    /// With these tokens.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    /// With these limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// With these submit defaults.
    pub fn with_submit_defaults(mut self, defaults: SubmitDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// The result waiters: the worker calls `notify(uuid)` when a task ends.
    pub fn finished(&self) -> Arc<Finished> {
        Arc::clone(&self.finished)
    }
}
