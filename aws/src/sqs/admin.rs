//! Producer and operator calls: submit (`SendMessageBatch`), counts (`GetQueueAttributes`) and
//! the redrive of every dead letter back to the queue.

use crate::observe::Timed;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use chrono::Utc;
use serde_json::Value;
use taskhost_queue::{NewTask, QueueError, StateCount, SubmitReport, TaskState};

use super::settle::carried_attributes;
use super::{BACKEND, MAX_RECEIVE, SqsQueue, errors};

/// The task name reported by [`SqsQueue::count`]: SQS counts messages, not task names.
pub const ANY_TASK: &str = "*";

/// SQS delays a message by at most 15 minutes.
const MAX_DELAY_SECS: i64 = 900;

impl SqsQueue {
    pub(crate) async fn send_tasks(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError> {
        taskhost_queue::validate_new_tasks(&tasks)?;
        let mut report = SubmitReport::default();
        for chunk in tasks.chunks(MAX_RECEIVE as usize) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, task)| self.entry(i, task))
                .collect::<Result<Vec<_>, _>>()?;
            let answer = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .timed("sqs", "SendMessageBatch")
                .await
                .map_err(|e| errors::service("submit", &e))?;
            let mut sent: Vec<usize> = answer
                .successful()
                .iter()
                .filter_map(|ok| ok.id().parse().ok())
                .collect();
            sent.sort_unstable();
            report.inserted.extend(
                sent.iter()
                    .filter_map(|&i| chunk.get(i))
                    .map(|t| t.uuid.clone()),
            );
            if let Some(failed) = answer.failed().first() {
                let uuid = failed
                    .id()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| chunk.get(i))
                    .map_or_else(String::new, |t| t.uuid.clone());
                return Err(QueueError::Service {
                    backend: BACKEND,
                    step: "submit",
                    message: format!(
                        "task {uuid:?} was refused ({}: {}); {} task(s) of this call were sent: {}",
                        failed.code(),
                        failed.message().unwrap_or_default(),
                        report.inserted.len(),
                        report.inserted.join(", ")
                    ),
                });
            }
        }
        Ok(report)
    }

    /// One message of a batch: the envelope as its body; on a FIFO queue the experiment is the
    /// message group (its tasks keep their order) and the uuid the deduplication id.
    fn entry(
        &self,
        index: usize,
        task: &NewTask,
    ) -> Result<SendMessageBatchRequestEntry, QueueError> {
        let mut entry = SendMessageBatchRequestEntry::builder()
            .id(index.to_string())
            .message_body(&task.envelope);
        if self.fifo {
            let experiment = serde_json::from_str::<Value>(&task.envelope)
                .ok()
                .and_then(|e| {
                    e.get("experimentId")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .filter(|id| !id.is_empty());
            entry = entry
                .message_group_id(experiment.unwrap_or_else(|| task.uuid.clone()))
                .message_deduplication_id(dedup_id(&task.uuid));
        } else if let Some(run_after) = task.run_after {
            let delay = (run_after - Utc::now())
                .num_seconds()
                .clamp(0, MAX_DELAY_SECS);
            entry = entry.delay_seconds(i32::try_from(delay).unwrap_or(0));
        }
        entry.build().map_err(|e| QueueError::InvalidTask {
            uuid: task.uuid.clone(),
            reason: e.to_string(),
        })
    }

    pub(crate) async fn count(&self) -> Result<Vec<StateCount>, QueueError> {
        let source = self.approximate(&self.url).await?;
        let dead = self.approximate(&self.dead_letter_url).await?;
        let counts = [
            (TaskState::Queued, source.visible + source.delayed),
            (TaskState::Leased, source.in_flight),
            (
                TaskState::Dead,
                dead.visible + dead.delayed + dead.in_flight,
            ),
        ];
        Ok(counts
            .into_iter()
            .filter(|&(_, count)| count > 0)
            .map(|(state, count)| StateCount {
                name: ANY_TASK.to_owned(),
                state,
                count,
            })
            .collect())
    }

    async fn approximate(&self, url: &str) -> Result<Approximate, QueueError> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .timed("sqs", "GetQueueAttributes")
            .await
            .map_err(|e| errors::service("counts", &e))?;
        let number = |name: QueueAttributeName| -> u64 {
            answer
                .attributes()
                .and_then(|all| all.get(&name))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(Approximate {
            visible: number(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            delayed: number(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        })
    }

    /// Moves the messages of the dead-letter queue back to the queue (without this host's
    /// `taskhost.*` attributes), ten at a time, until a receive finds none or as many as the
    /// dead-letter queue held at the start have moved (a task that fails again at once comes
    /// back to it, and must not be moved round for ever). A message is deleted from the
    /// dead-letter queue only once its copy was sent.
    pub(crate) async fn redrive_all(&self) -> Result<u64, QueueError> {
        let waiting = self.approximate(&self.dead_letter_url).await?;
        let limit = waiting.visible + waiting.delayed;
        let mut moved = 0;
        while moved < limit {
            let room = i32::try_from((limit - moved).min(u64::from(MAX_RECEIVE))).unwrap_or(1);
            let answer = self
                .client
                .receive_message()
                .queue_url(&self.dead_letter_url)
                .max_number_of_messages(room)
                .wait_time_seconds(1)
                .visibility_timeout(60)
                .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
                .message_attribute_names("All")
                .send()
                .timed("sqs", "ReceiveMessage")
                .await
                .map_err(|e| errors::service("redrive", &e))?;
            let messages = answer.messages();
            if messages.is_empty() {
                return Ok(moved);
            }
            let stamp = Utc::now().timestamp_millis();
            let mut sends = Vec::with_capacity(messages.len());
            for (i, message) in messages.iter().enumerate() {
                let attributes = carried_attributes(
                    &message.message_attributes().cloned().unwrap_or_default(),
                    10,
                );
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(message.body().unwrap_or_default())
                    .set_message_attributes(Some(attributes));
                if self.fifo {
                    let group = message
                        .attributes()
                        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                        .cloned()
                        .unwrap_or_else(|| message.message_id().unwrap_or("redrive").to_owned());
                    let id = format!("{}-{stamp}", message.message_id().unwrap_or_default());
                    entry = entry
                        .message_group_id(group)
                        .message_deduplication_id(dedup_id(&id));
                }
                sends.push(entry.build().map_err(|e| build_error(&e))?);
            }
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(sends))
                .send()
                .timed("sqs", "SendMessageBatch")
                .await
                .map_err(|e| errors::service("redrive", &e))?;
            let deletes = sent
                .successful()
                .iter()
                .filter_map(|ok| {
                    let message = messages.get(ok.id().parse::<usize>().ok()?)?;
                    DeleteMessageBatchRequestEntry::builder()
                        .id(ok.id())
                        .receipt_handle(message.receipt_handle()?)
                        .build()
                        .ok()
                })
                .collect::<Vec<_>>();
            if deletes.is_empty() {
                return Err(QueueError::Service {
                    backend: BACKEND,
                    step: "redrive",
                    message: format!(
                        "no message could be sent back ({} refused)",
                        sent.failed().len()
                    ),
                });
            }
            moved += deletes.len() as u64;
            self.client
                .delete_message_batch()
                .queue_url(&self.dead_letter_url)
                .set_entries(Some(deletes))
                .send()
                .timed("sqs", "DeleteMessageBatch")
                .await
                .map_err(|e| errors::service("redrive", &e))?;
        }
        Ok(moved)
    }
}

/// Approximate message numbers of one queue.
struct Approximate {
    visible: u64,
    in_flight: u64,
    delayed: u64,
}

/// A deduplication id: at most 128 characters of `[A-Za-z0-9!-/:-@[-`{-~]` (ASCII punctuation
/// and alphanumerics); anything else becomes `_`.
fn dedup_id(text: &str) -> String {
    text.chars()
        .take(128)
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect()
}

fn build_error(error: &dyn std::fmt::Display) -> QueueError {
    QueueError::Service {
        backend: BACKEND,
        step: "redrive",
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deduplication_ids_are_printable_ascii_and_short() {
        assert_eq!(dedup_id("509520fe-d329"), "509520fe-d329");
        assert_eq!(dedup_id("a b\té"), "a_b__");
        assert_eq!(dedup_id(&"x".repeat(300)).len(), 128);
    }
}
