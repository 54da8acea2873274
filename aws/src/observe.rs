//! The time every AWS call takes, as the histogram `taskhost_aws_request_seconds` with labels
//! `service` (`sqs`, `sns`) and `operation` (`ReceiveMessage`, `Publish`, ...), through the
//! `metrics` facade (the host renders it on `/metrics`). It says how much of a task's life is
//! spent waiting on AWS rather than in the host.

use std::future::Future;
use std::time::Instant;

/// The histogram's name.
pub const REQUEST_SECONDS: &str = "taskhost_aws_request_seconds";

/// Times a future (an SDK call's `send()`).
pub(crate) trait Timed: Future + Sized {
    /// The future, recording its time under `service` / `operation` when it completes.
    async fn timed(self, service: &'static str, operation: &'static str) -> Self::Output {
        let started = Instant::now();
        let output = self.await;
        metrics::histogram!(REQUEST_SECONDS, "service" => service, "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        output
    }
}

impl<F: Future> Timed for F {}
