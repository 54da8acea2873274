//! Settling received messages: heartbeat (visibility extension), delete, retry after a backoff,
//! dead-letter with a reason, release.

use crate::observe::Timed;
use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageAttributeValue};
use chrono::Utc;
use taskhost_queue::{
    CompleteManyReport, Completion, FailOutcome, Failure, FailureKind, Heartbeat, LeaseToken,
    QueueError,
};

use super::inflight::InFlight;
use super::receive::visibility_secs;
use super::{MAX_RECEIVE, MAX_VISIBILITY, SqsQueue, errors};

/// The dead-letter copy's attribute holding why the task was dead-lettered.
pub const ERROR_ATTRIBUTE: &str = "taskhost.error";
/// The dead-letter copy's attribute holding the receive count of the last attempt.
pub const ATTEMPT_ATTRIBUTE: &str = "taskhost.attempt";
/// Attributes this host adds; they are not copied again when a message moves.
const OWN_ATTRIBUTES: [&str; 2] = [ERROR_ATTRIBUTE, ATTEMPT_ATTRIBUTE];
/// SQS allows 10 message attributes per message.
const MAX_ATTRIBUTES: usize = 10;
/// The reason is cut to this many bytes (SQS allows 256 KiB per message, body included).
const MAX_REASON_BYTES: usize = 4096;

impl SqsQueue {
    /// The message of `token`, or `LeaseLost` when this process does not hold it.
    fn held_message(&self, uuid: &str, token: &LeaseToken) -> Result<InFlight, QueueError> {
        self.in_flight
            .get(token.as_str())
            .ok_or_else(|| errors::lost(uuid))
    }

    pub(crate) async fn extend(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        self.held_message(uuid, token)?;
        let secs = visibility_secs(lease_for);
        self.change_visibility(uuid, token, secs, "heartbeat")
            .await?;
        Ok(Heartbeat {
            lease_expires_at: Utc::now() + chrono::Duration::seconds(i64::from(secs)),
            cancel_requested: false,
        })
    }

    pub(crate) async fn delete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        step: &'static str,
    ) -> Result<(), QueueError> {
        self.held_message(uuid, token)?;
        let result = self
            .client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(token.as_str())
            .send()
            .timed("sqs", "DeleteMessage")
            .await;
        match result {
            Ok(_) => {
                self.in_flight.remove(token.as_str());
                Ok(())
            }
            Err(error) => {
                Err(self.forget_if_lost(uuid, token, errors::settle_error(step, uuid, &error)))
            }
        }
    }

    pub(crate) async fn delete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        let mut report = CompleteManyReport::default();
        let mut held = Vec::with_capacity(completions.len());
        for completion in completions {
            if self.in_flight.get(completion.token.as_str()).is_some() {
                held.push(completion);
            } else {
                report.lease_lost.push(completion.uuid);
            }
        }
        for chunk in held.chunks(MAX_RECEIVE as usize) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(c.token.as_str())
                        .build()
                })
                .collect::<Result<_, _>>()
                .map_err(|e| QueueError::Service {
                    backend: super::BACKEND,
                    step: "complete",
                    message: e.to_string(),
                })?;
            let answer = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .timed("sqs", "DeleteMessageBatch")
                .await
                .map_err(|e| errors::service("complete", &e))?;
            for ok in answer.successful() {
                if let Some(completion) = ok.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    self.in_flight.remove(completion.token.as_str());
                    report.completed += 1;
                }
            }
            for failed in answer.failed() {
                let Some(completion) = failed.id().parse::<usize>().ok().and_then(|i| chunk.get(i))
                else {
                    continue;
                };
                if errors::is_lost_handle(Some(failed.code())) {
                    self.in_flight.remove(completion.token.as_str());
                    report.lease_lost.push(completion.uuid.clone());
                    continue;
                }
                // A transient failure of one entry: try it once more on its own.
                match self
                    .delete(&completion.uuid, &completion.token, "complete")
                    .await
                {
                    Ok(()) => report.completed += 1,
                    Err(error) => {
                        tracing::warn!(task_id = %completion.uuid, %error,
                            "deleting a completed task's message failed; it will be delivered again");
                        report.lease_lost.push(completion.uuid.clone());
                    }
                }
            }
        }
        Ok(report)
    }

    pub(crate) async fn settle_failure(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        let held = self.held_message(uuid, token)?;
        match failure.kind {
            FailureKind::Final => {
                self.delete(uuid, token, "fail").await?;
                Ok(FailOutcome::Failed)
            }
            FailureKind::InvalidInput => {
                self.dead_letter(uuid, token, &held, &failure.error).await?;
                Ok(FailOutcome::Dead)
            }
            FailureKind::Retry { .. } if held.attempt >= self.max_attempts => {
                let reason = format!(
                    "attempt {} of {} failed: {}",
                    held.attempt, self.max_attempts, failure.error
                );
                self.dead_letter(uuid, token, &held, &reason).await?;
                Ok(FailOutcome::Dead)
            }
            FailureKind::Retry { after } => {
                let delay = after.unwrap_or_else(|| self.options.retry.delay(held.attempt));
                let delay = delay.min(self.visibility_left(&held));
                // Whole seconds; zero makes it visible at once.
                let secs = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
                self.change_visibility(uuid, token, secs, "retry").await?;
                self.in_flight.remove(token.as_str());
                Ok(FailOutcome::Retrying {
                    attempt: held.attempt,
                    run_after: Utc::now() + chrono::Duration::seconds(i64::from(secs)),
                })
            }
        }
    }

    pub(crate) async fn make_visible(
        &self,
        uuid: &str,
        token: &LeaseToken,
    ) -> Result<(), QueueError> {
        self.held_message(uuid, token)?;
        self.change_visibility(uuid, token, 0, "release").await?;
        self.in_flight.remove(token.as_str());
        Ok(())
    }

    async fn change_visibility(
        &self,
        uuid: &str,
        token: &LeaseToken,
        secs: i32,
        step: &'static str,
    ) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(token.as_str())
            .visibility_timeout(secs)
            .send()
            .timed("sqs", "ChangeMessageVisibility")
            .await
            .map(|_| ())
            .map_err(|error| {
                self.forget_if_lost(uuid, token, errors::settle_error(step, uuid, &error))
            })
    }

    /// A lost handle will never work again: forget it, so that later calls fail fast.
    fn forget_if_lost(&self, _uuid: &str, token: &LeaseToken, error: QueueError) -> QueueError {
        if error.is_lease_lost() {
            self.in_flight.remove(token.as_str());
        }
        error
    }

    /// How much longer SQS lets the message stay invisible (12 hours from its first receive).
    fn visibility_left(&self, held: &InFlight) -> Duration {
        let Some(first) = held.first_received_ms else {
            return MAX_VISIBILITY;
        };
        let elapsed_ms = (Utc::now().timestamp_millis() - first).max(0);
        let elapsed = Duration::from_millis(u64::try_from(elapsed_ms).unwrap_or(0));
        MAX_VISIBILITY
            .saturating_sub(elapsed)
            .saturating_sub(Duration::from_secs(60))
    }

    /// Sends a copy of the message to the dead-letter queue with `reason`, then deletes it. A
    /// failed send leaves the message where it is (it comes back when its visibility runs out).
    async fn dead_letter(
        &self,
        uuid: &str,
        token: &LeaseToken,
        held: &InFlight,
        reason: &str,
    ) -> Result<(), QueueError> {
        let mut attributes = carried_attributes(&held.attributes, MAX_ATTRIBUTES - 2);
        attributes.insert(ERROR_ATTRIBUTE.to_owned(), text_attribute(&cut(reason))?);
        attributes.insert(
            ATTEMPT_ATTRIBUTE.to_owned(),
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value(held.attempt.to_string())
                .build()
                .map_err(|e| build_error("dead-letter", &e))?,
        );
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(&held.body)
            .set_message_attributes(Some(attributes));
        if self.dead_letter_url.ends_with(".fifo") {
            send = send
                .message_group_id(held.group_id.clone().unwrap_or_else(|| uuid.to_owned()))
                .message_deduplication_id(&held.message_id);
        }
        send.send()
            .timed("sqs", "SendMessage")
            .await
            .map_err(|e| errors::service("dead-letter", &e))?;
        tracing::warn!(task_id = %uuid, %reason, dead_letter = %self.dead_letter_url,
            "task dead-lettered");
        self.delete(uuid, token, "dead-letter").await
    }
}

/// The message's attributes a moved copy keeps: not the ones this host adds, at most `room`.
pub(crate) fn carried_attributes(
    attributes: &HashMap<String, MessageAttributeValue>,
    room: usize,
) -> HashMap<String, MessageAttributeValue> {
    let mut names: Vec<&String> = attributes
        .keys()
        .filter(|name| !OWN_ATTRIBUTES.contains(&name.as_str()))
        .collect();
    names.sort();
    names
        .into_iter()
        .take(room)
        .map(|name| (name.clone(), attributes[name].clone()))
        .collect()
}

fn text_attribute(text: &str) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(text)
        .build()
        .map_err(|e| build_error("dead-letter", &e))
}

fn build_error(step: &'static str, error: &dyn std::fmt::Display) -> QueueError {
    QueueError::Service {
        backend: super::BACKEND,
        step,
        message: error.to_string(),
    }
}

/// `text` cut to [`MAX_REASON_BYTES`] on a character boundary; never empty.
fn cut(text: &str) -> String {
    let text = if text.trim().is_empty() {
        "unknown reason"
    } else {
        text
    };
    if text.len() <= MAX_REASON_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_REASON_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(value: &str) -> MessageAttributeValue {
        text_attribute(value).unwrap()
    }

    #[test]
    fn moved_copies_keep_foreign_attributes_within_the_limit() {
        let mut attributes: HashMap<String, MessageAttributeValue> = (0..12)
            .map(|i| (format!("a{i:02}"), attribute("x")))
            .collect();
        attributes.insert(ERROR_ATTRIBUTE.into(), attribute("old reason"));
        let kept = carried_attributes(&attributes, 8);
        assert_eq!(kept.len(), 8);
        assert!(!kept.contains_key(ERROR_ATTRIBUTE));
        assert!(kept.contains_key("a00") && kept.contains_key("a07"));
    }

    #[test]
    fn reasons_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_REASON_BYTES);
        let reason = cut(&long);
        assert!(reason.len() <= MAX_REASON_BYTES + '…'.len_utf8());
        assert!(reason.ends_with('…'));
        assert_eq!(cut(""), "unknown reason");
        assert_eq!(cut("short"), "short");
    }
}
