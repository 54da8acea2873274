//! `sns://<topic-arn>`: one SNS message per result, the result message as the body.
//!
//! Message attributes (String): `type` = `WorkResponse`, `experimentId` (when the task names
//! one), `taskName`, and `traceparent` (the task's trace context, so the consumer continues the
//! trace). A FIFO topic gets the experiment (else the uuid) as the message group and the uuid
//! as the deduplication id. Results too large for SNS never reach here inline: the dispatcher
//! offloads them to storage first (`s3-path` with a presigned `url`).

use async_trait::async_trait;
use taskhost_aws::sns::{SnsMessage, SnsTopic};

use super::{PublishError, Publisher};
use crate::envelope::Envelope;
use crate::trace::TraceContext;

/// The `type` attribute of every result message.
pub const MESSAGE_TYPE: &str = "WorkResponse";

/// Publishes result messages to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    topic: SnsTopic,
}

/// Checks that `target` names a topic ARN, without connecting.
pub(crate) fn check_target(target: &str) -> Result<(), String> {
    let config = aws_config::SdkConfig::builder().build();
    SnsTopic::new(&config, target)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

impl SnsPublisher {
    /// A publisher to the topic of `target` (`sns://<topic-arn>`) with the host's AWS
    /// configuration (credential chain, region, `AWS_ENDPOINT_URL`).
    pub async fn connect(target: &str) -> Result<Self, PublishError> {
        let config = taskhost_aws::sdk_config().await;
        let topic = SnsTopic::new(&config, target).map_err(|e| PublishError {
            target: target.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self { topic })
    }
}

#[async_trait]
impl Publisher for SnsPublisher {
    async fn publish(
        &self,
        envelope: &Envelope,
        message: &str,
        trace: &TraceContext,
    ) -> Result<(), PublishError> {
        let mut attributes = vec![
            ("type", MESSAGE_TYPE.to_owned()),
            ("taskName", envelope.task_name.clone()),
            ("traceparent", trace.traceparent()),
        ];
        if let Some(experiment) = &envelope.experiment_id {
            attributes.push(("experimentId", experiment.clone()));
        }
        let sns_message = SnsMessage {
            body: message,
            attributes,
            group_id: Some(
                envelope
                    .experiment_id
                    .clone()
                    .unwrap_or_else(|| envelope.uuid.clone()),
            ),
            deduplication_id: Some(envelope.uuid.clone()),
        };
        let id = self
            .topic
            .publish(sns_message)
            .await
            .map_err(|e| PublishError {
                target: format!("sns://{}", self.topic.arn()),
                message: e.to_string(),
            })?;
        tracing::debug!(task_id = %envelope.uuid, message_id = %id, "result published to SNS");
        Ok(())
    }
}
