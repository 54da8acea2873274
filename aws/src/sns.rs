//! [`SnsTopic`]: publishing result messages to an Amazon SNS topic.
//!
//! The message is the body; its metadata travels as String message attributes, which SNS
//! passes on to subscribed queues (with raw message delivery) or inside the notification. A
//! FIFO topic (`.fifo`) needs a group and a deduplication id; the caller gives both.

use crate::observe::Timed;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;

/// SNS's limit on one message, body and attributes together.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Why a message was not published.
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// `--publish sns://...` does not name a topic ARN.
    #[error(
        "sns: {0:?} is not a topic ARN (expected sns://arn:aws:sns:<region>:<account>:<topic>)"
    )]
    InvalidTarget(String),
    /// SNS refused or failed the call.
    #[error("sns: publishing to {topic} failed: {message}")]
    Publish {
        /// The topic ARN.
        topic: String,
        /// The service's error code and message.
        message: String,
    },
}

/// One message to publish.
#[derive(Debug, Clone, Default)]
pub struct SnsMessage<'a> {
    /// The body.
    pub body: &'a str,
    /// String message attributes (SNS allows 10).
    pub attributes: Vec<(&'a str, String)>,
    /// FIFO topics: the message group.
    pub group_id: Option<String>,
    /// FIFO topics: the deduplication id.
    pub deduplication_id: Option<String>,
}

/// A topic to publish to.
#[derive(Debug, Clone)]
pub struct SnsTopic {
    client: Client,
    arn: String,
}

impl SnsTopic {
    /// The topic `target` names: `sns://<topic ARN>` or the ARN itself.
    ///
    /// # Errors
    /// [`SnsError::InvalidTarget`] when it is not an SNS topic ARN.
    pub fn new(config: &aws_config::SdkConfig, target: &str) -> Result<Self, SnsError> {
        let arn = target.strip_prefix("sns://").unwrap_or(target);
        let parts: Vec<&str> = arn.split(':').collect();
        if !matches!(parts.as_slice(), ["arn", _, "sns", _, _, topic] if !topic.is_empty()) {
            return Err(SnsError::InvalidTarget(target.to_owned()));
        }
        Ok(Self {
            client: Client::new(config),
            arn: arn.to_owned(),
        })
    }

    /// The topic's ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// True for a FIFO topic.
    pub fn is_fifo(&self) -> bool {
        self.arn.ends_with(".fifo")
    }

    /// Publishes one message; returns SNS's message id.
    ///
    /// # Errors
    /// [`SnsError::Publish`] with SNS's error code when it refuses or cannot be reached.
    pub async fn publish(&self, message: SnsMessage<'_>) -> Result<String, SnsError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .message(message.body);
        for (name, value) in message.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| self.error(e.to_string()))?;
            request = request.message_attributes(name, value);
        }
        if self.is_fifo() {
            request = request
                .set_message_group_id(message.group_id)
                .set_message_deduplication_id(message.deduplication_id);
        }
        let answer = request
            .send()
            .timed("sns", "Publish")
            .await
            .map_err(|e| self.error(describe(&e)))?;
        Ok(answer.message_id().unwrap_or_default().to_owned())
    }

    fn error(&self, message: String) -> SnsError {
        SnsError::Publish {
            topic: self.arn.clone(),
            message,
        }
    }
}

fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn targets_must_be_topic_arns() {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let topic =
            SnsTopic::new(&config, "sns://arn:aws:sns:us-east-1:123456789012:results").unwrap();
        assert_eq!(topic.arn(), "arn:aws:sns:us-east-1:123456789012:results");
        assert!(!topic.is_fifo());
        assert!(
            SnsTopic::new(&config, "arn:aws:sns:us-east-1:123456789012:r.fifo")
                .unwrap()
                .is_fifo()
        );
        for bad in ["sns://results", "sns://arn:aws:sqs:us-east-1:1:q", "sns://"] {
            assert!(
                matches!(SnsTopic::new(&config, bad), Err(SnsError::InvalidTarget(_))),
                "{bad}"
            );
        }
    }
}
