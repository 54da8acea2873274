//! SDK errors in the queue's terms: a receipt handle SQS no longer accepts is a lost lease;
//! everything else is a service failure naming the step and SQS's error code.

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use taskhost_queue::{QueueError, TaskState};

use super::BACKEND;

/// Error codes meaning the receipt handle is stale: the message's visibility ran out (another
/// consumer may hold it), or it was deleted.
const LOST_HANDLE_CODES: [&str; 4] = [
    "ReceiptHandleIsInvalid",
    "MessageNotInflight",
    "AWS.SimpleQueueService.MessageNotInflight",
    "InvalidReceiptHandle",
];

/// True when SQS refused a call because the receipt handle is no longer current.
pub(crate) fn is_lost_handle(code: Option<&str>) -> bool {
    code.is_some_and(|code| LOST_HANDLE_CODES.contains(&code))
}

/// A failed SDK call at `step`: `LeaseLost` for a stale handle of task `uuid`, else a
/// service error.
pub(crate) fn settle_error<E, R>(
    step: &'static str,
    uuid: &str,
    error: &SdkError<E, R>,
) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if is_lost_handle(error.code()) {
        lost(uuid)
    } else {
        service(step, error)
    }
}

/// The lease on `uuid` is gone. SQS does not say who holds the message now; `leased` is the
/// likely state (its visibility ran out and another consumer received it).
pub(crate) fn lost(uuid: &str) -> QueueError {
    QueueError::LeaseLost {
        uuid: uuid.to_owned(),
        state: TaskState::Leased,
    }
}

/// A service error at `step`, with SQS's code and message when there are any.
pub(crate) fn service<E, R>(step: &'static str, error: &SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => describe(error),
    };
    QueueError::Service {
        backend: BACKEND,
        step,
        message,
    }
}

/// The error and its sources on one line (an SDK error's own text is only its kind).
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
