//! `stdout`: one JSON line per result message.

use async_trait::async_trait;

use super::{PublishError, Publisher};
use crate::envelope::Envelope;
use crate::trace::TraceContext;

/// Prints each result message as one line on standard output (logs go to stderr).
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutPublisher;

#[async_trait]
impl Publisher for StdoutPublisher {
    async fn publish(
        &self,
        _envelope: &Envelope,
        message: &str,
        _trace: &TraceContext,
    ) -> Result<(), PublishError> {
        let mut line = message.replace('\n', " ");
        line.push('\n');
        let mut out = tokio::io::stdout();
        tokio::io::AsyncWriteExt::write_all(&mut out, line.as_bytes())
            .await
            .map_err(|e| PublishError {
                target: "stdout".into(),
                message: e.to_string(),
            })
    }
}
