//! Where result messages go besides the queue's result store (`--publish`).
//!
//! The queue always keeps a task's result message (`GET /v1/tasks/{uuid}/result` reads it).
//! A [`Publisher`] sends it somewhere else as well, *before* the lease is completed: when
//! publishing fails the task is retried, so a message is published at least once and a task is
//! never acknowledged without its result having gone out.
//!
//! - `store`: only the result store (the default).
//! - `sns://<topic-arn>`: one SNS message per task, with message attributes `type=WorkResponse`,
//!   `experimentId`, `taskName` and `traceparent` ([`sns`]).
//! - `file://<dir>`: one file per task, `<dir>/<uuid>.json`, written atomically.
//! - `stdout`: one JSON line per message on standard output.
//!
//! Add a target: implement [`Publisher`] in a new file and give it a scheme in
//! [`PublishTarget::parse`].

mod file;
mod sns;
mod stdout;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::envelope::Envelope;
use crate::trace::TraceContext;

pub use file::FilePublisher;
pub use sns::SnsPublisher;
pub use stdout::StdoutPublisher;

/// Why a message could not be published.
#[derive(Debug, thiserror::Error)]
#[error("publishing to {target}: {message}")]
pub struct PublishError {
    /// The target.
    pub target: String,
    /// What went wrong.
    pub message: String,
}

/// Sends result messages out.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Publishes the result message (`message`, JSON) of the task in `envelope`; `trace` is the
    /// task's trace context, for targets that carry it on.
    async fn publish(
        &self,
        envelope: &Envelope,
        message: &str,
        trace: &TraceContext,
    ) -> Result<(), PublishError>;
}

/// The result store only: nothing to send.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOnly;

#[async_trait]
impl Publisher for StoreOnly {
    async fn publish(
        &self,
        _envelope: &Envelope,
        _message: &str,
        _trace: &TraceContext,
    ) -> Result<(), PublishError> {
        Ok(())
    }
}

/// A parsed `--publish` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishTarget {
    /// `store`.
    Store,
    /// `sns://<topic-arn>`.
    Sns(String),
    /// `file://<dir>`.
    Files(PathBuf),
    /// `stdout`.
    Stdout,
}

impl PublishTarget {
    /// Parses a `--publish` value.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "store" => Ok(Self::Store),
            "stdout" => Ok(Self::Stdout),
            _ if text.starts_with("sns://") => {
                sns::check_target(text)?;
                Ok(Self::Sns(text.to_owned()))
            }
            _ => match text.strip_prefix("file://") {
                Some(dir) if !dir.is_empty() => Ok(Self::Files(PathBuf::from(dir))),
                _ => Err(format!(
                    "unknown publish target {text:?} (expected store, sns://<topic-arn>, stdout or file://<dir>)"
                )),
            },
        }
    }

    /// True for targets that need the queue's result store (`store`): a queue without one
    /// (SQS) must publish elsewhere.
    pub fn uses_result_store(&self) -> bool {
        matches!(self, Self::Store)
    }

    /// Opens the target; SNS uses the host's AWS configuration.
    pub async fn open(&self) -> Result<Arc<dyn Publisher>, PublishError> {
        Ok(match self {
            Self::Store => Arc::new(StoreOnly),
            Self::Sns(target) => Arc::new(SnsPublisher::connect(target).await?),
            Self::Stdout => Arc::new(StdoutPublisher),
            Self::Files(dir) => Arc::new(FilePublisher::create(dir.clone())?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_unknown_ones_are_named() {
        assert_eq!(PublishTarget::parse("store"), Ok(PublishTarget::Store));
        assert_eq!(PublishTarget::parse("stdout"), Ok(PublishTarget::Stdout));
        assert_eq!(
            PublishTarget::parse("file:///tmp/out"),
            Ok(PublishTarget::Files(PathBuf::from("/tmp/out")))
        );
        let arn = "sns://arn:aws:sns:us-east-1:123456789012:results";
        assert_eq!(
            PublishTarget::parse(arn),
            Ok(PublishTarget::Sns(arn.into()))
        );
        assert!(PublishTarget::parse("sns://results").is_err());
        let error = PublishTarget::parse("kafka://x").unwrap_err();
        assert!(error.contains("kafka://x"), "{error}");
        assert!(PublishTarget::parse("file://").is_err());
    }
}
