//! Claiming: one long-polling `ReceiveMessage` for at most the free slots (and at most 10), each
//! message turned into a [`Lease`] whose token is its receipt handle.

use crate::observe::Timed;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use chrono::Utc;
use serde_json::Value;
use taskhost_queue::{ClaimRequest, Lease, LeaseToken, QueueError};

use super::inflight::InFlight;
use super::{MAX_RECEIVE, MAX_VISIBILITY, SqsQueue, errors};

/// The message attribute that carries a W3C trace context.
pub(crate) const TRACEPARENT: &str = "traceparent";

impl SqsQueue {
    pub(crate) async fn receive(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError> {
        let limit = request.limit.min(MAX_RECEIVE);
        if limit == 0 || request.names.is_empty() {
            return Ok(Vec::new());
        }
        let visibility = visibility_secs(request.lease_for);
        let answer = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(limit as i32)
            .wait_time_seconds(i32::try_from(self.options.wait.as_secs().min(20)).unwrap_or(20))
            .visibility_timeout(visibility)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .timed("sqs", "ReceiveMessage")
            .await
            .map_err(|e| errors::service("receive", &e))?;
        let lease_expires_at = Utc::now() + chrono::Duration::seconds(i64::from(visibility));
        let mut leases = Vec::new();
        for message in answer.messages() {
            let Some(handle) = message.receipt_handle() else {
                tracing::warn!(message_id = ?message.message_id(), "SQS returned a message without a receipt handle; ignoring it");
                continue;
            };
            let held = InFlight::of(message);
            let (uuid, name) = identify(message, &held.message_id);
            let lease = Lease {
                uuid,
                name,
                envelope: held.body.clone(),
                attempt: held.attempt,
                max_attempts: self.max_attempts,
                priority: 0,
                token: LeaseToken(handle.to_owned()),
                worker: request.worker.clone(),
                lease_expires_at,
                trace_parent: trace_parent(message),
            };
            self.in_flight.insert(handle.to_owned(), held);
            leases.push(lease);
        }
        Ok(leases)
    }
}

/// A visibility in whole seconds, at least 1 and at most SQS's 12 hours.
pub(crate) fn visibility_secs(duration: std::time::Duration) -> i32 {
    let secs = duration
        .as_secs_f64()
        .ceil()
        .clamp(1.0, MAX_VISIBILITY.as_secs_f64());
    // Clamped to 1..=43,200 just above.
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs as i32;
    secs
}

/// The task's uuid and name, read from the body the way the lease queues' producers extract
/// them. A body that is not an envelope still gets an id (`sqs-message:<MessageId>`) and an
/// empty name: the worker then dead-letters it with the parse error as the reason.
fn identify(message: &Message, message_id: &str) -> (String, String) {
    let envelope: Option<Value> = message.body().and_then(|b| serde_json::from_str(b).ok());
    let field = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    };
    let uuid = field(envelope.as_ref().and_then(|e| e.get("uuid")))
        .unwrap_or_else(|| format!("sqs-message:{message_id}"));
    let name = field(
        envelope
            .as_ref()
            .and_then(|e| e.get("body"))
            .and_then(|b| b.get("name")),
    )
    .unwrap_or_default();
    (uuid, name)
}

fn trace_parent(message: &Message) -> Option<String> {
    message
        .message_attributes()?
        .get(TRACEPARENT)?
        .string_value()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn message(body: &str) -> Message {
        Message::builder().message_id("m-1").body(body).build()
    }

    #[test]
    fn envelopes_give_their_uuid_and_name_and_anything_else_a_message_id() {
        let good = message(r#"{"uuid":"u-1","body":{"name":"Echo"}}"#);
        assert_eq!(identify(&good, "m-1"), ("u-1".into(), "Echo".into()));
        for bad in ["not json", "{}", r#"{"uuid":"","body":{}}"#, r#"[1,2]"#] {
            let (uuid, name) = identify(&message(bad), "m-1");
            assert_eq!(uuid, "sqs-message:m-1", "{bad}");
            assert_eq!(name, "", "{bad}");
        }
        let nameless = message(r#"{"uuid":"u-2","body":{"name":7}}"#);
        assert_eq!(identify(&nameless, "m-1"), ("u-2".into(), String::new()));
    }

    #[test]
    fn visibility_is_whole_seconds_within_sqs_limits() {
        assert_eq!(visibility_secs(Duration::from_millis(10)), 1);
        assert_eq!(visibility_secs(Duration::from_millis(1500)), 2);
        assert_eq!(visibility_secs(Duration::from_secs(30)), 30);
        assert_eq!(visibility_secs(Duration::from_secs(100_000)), 43_200);
    }
}
