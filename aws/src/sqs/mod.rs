//! [`SqsQueue`]: an Amazon SQS queue as a [`TaskQueue`].
//!
//! How the lease model maps onto SQS:
//!
//! | queue | SQS |
//! |---|---|
//! | claim `limit` tasks for `lease_for` | `ReceiveMessage`: long poll (20 s), at most 10, `VisibilityTimeout = lease_for` |
//! | lease token, fencing | the receipt handle, held in this process until settled ([`inflight`]) |
//! | attempt | `ApproximateReceiveCount` |
//! | max attempts | the redrive policy's `maxReceiveCount`, else `--max-attempts` |
//! | heartbeat | `ChangeMessageVisibility(lease_for)` |
//! | complete / complete_many | `DeleteMessage` / `DeleteMessageBatch` (after the result was published) |
//! | fail, retry | `ChangeMessageVisibility(backoff)`: visible again after the delay |
//! | fail, invalid input or last attempt | a copy to the dead-letter queue with the reason as the message attribute `taskhost.error`, then delete |
//! | fail, final (not found) | delete |
//! | release (shutdown) | `ChangeMessageVisibility(0)`: visible again at once |
//! | expire | delete (the `EXPIRED` result was published) |
//! | submit | `SendMessageBatch` (FIFO: group = `experimentId`, deduplication id = uuid) |
//! | counts | `GetQueueAttributes` of the queue and its dead-letter queue |
//! | redrive all | move every message of the dead-letter queue back |
//! | reap | nothing: SQS makes a message visible again when its visibility runs out |
//!
//! What SQS cannot do is refused with [`QueueError::Unsupported`]: looking a task up, listing
//! or redriving single dead letters, cancelling, filtering by task name. A crash loses nothing:
//! an unsettled message becomes visible again when its visibility runs out, and SQS's own
//! redrive policy moves it after `maxReceiveCount` receives.

mod address;
mod admin;
mod errors;
mod inflight;
mod receive;
mod settle;

use crate::observe::Timed;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use taskhost_queue::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, QueueError, ReapReport, RedriveTarget,
    RetryPolicy, StateCount, SubmitReport, TaskQueue, TaskRecord, TaskResult,
};

pub use address::{QueueArn, RedrivePolicy, SqsAddress, is_queue_name};
use inflight::InFlightMessages;

/// The backend name in logs, metrics and errors.
pub const BACKEND: &str = "sqs";

/// The most messages one `ReceiveMessage` returns.
pub const MAX_RECEIVE: u32 = 10;
/// The longest visibility SQS allows (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// How an [`SqsQueue`] behaves.
#[derive(Debug, Clone)]
pub struct SqsOptions {
    /// Long-poll wait of a receive (SQS allows up to 20 s).
    pub wait: Duration,
    /// Attempts when the queue has no redrive policy (with one, its `maxReceiveCount`).
    pub max_attempts: u32,
    /// The backoff before a failed attempt's message is visible again.
    pub retry: RetryPolicy,
    /// The dead-letter queue (URL, or name on the same endpoint), overriding the redrive
    /// policy's.
    pub dead_letter: Option<String>,
}

impl Default for SqsOptions {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(20),
            max_attempts: 3,
            retry: RetryPolicy::default(),
            dead_letter: None,
        }
    }
}

/// One SQS queue, its dead-letter queue, and the messages this process holds.
#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
    fifo: bool,
    dead_letter_url: String,
    max_attempts: u32,
    options: SqsOptions,
    in_flight: InFlightMessages,
}

impl SqsQueue {
    /// Connects to the queue `address` names with `config`'s credentials and endpoint, and
    /// reads its attributes.
    ///
    /// # Errors
    /// [`QueueError::Setup`] when the queue does not exist or has no dead-letter queue (an
    /// invalid message must have somewhere to go: give the queue a redrive policy, or
    /// `options.dead_letter`); [`QueueError::Service`] when SQS cannot be reached.
    pub async fn connect(
        config: &aws_config::SdkConfig,
        address: &SqsAddress,
        options: SqsOptions,
    ) -> Result<Self, QueueError> {
        let client = Client::new(config);
        let url = match address {
            SqsAddress::Url(url) => url.clone(),
            SqsAddress::Name(name) => queue_url(&client, name, None).await?,
        };
        let attributes = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .timed("sqs", "GetQueueAttributes")
            .await
            .map_err(|e| match errors::service("connect", &e) {
                QueueError::Service { message, .. } => setup(format!("queue {url}: {message}")),
                other => other,
            })?;
        let attribute = |name: QueueAttributeName| {
            attributes
                .attributes()
                .and_then(|all| all.get(&name))
                .cloned()
        };
        let fifo = attribute(QueueAttributeName::FifoQueue).is_some_and(|v| v == "true");
        let policy = attribute(QueueAttributeName::RedrivePolicy)
            .filter(|text| !text.trim().is_empty())
            .map(|text| RedrivePolicy::parse(&text).map_err(setup))
            .transpose()?;
        let dead_letter_url = match (&options.dead_letter, &policy) {
            (Some(explicit), _) => match SqsAddress::parse(explicit) {
                Some(SqsAddress::Url(url)) => url,
                Some(SqsAddress::Name(name)) => queue_url(&client, &name, None).await?,
                None => queue_url(&client, explicit, None).await?,
            },
            (None, Some(policy)) => {
                let arn = QueueArn::parse(&policy.dead_letter_target_arn).map_err(setup)?;
                queue_url(&client, &arn.name, Some(&arn.account)).await?
            }
            (None, None) => {
                return Err(setup(format!(
                    "queue {url} has no redrive policy and no dead-letter queue was given: \
                     invalid tasks would have nowhere to go (set a redrive policy on the queue, \
                     or --sqs-dead-letter <queue URL or name>)"
                )));
            }
        };
        let max_attempts = policy.map_or(options.max_attempts, |p| p.max_receive_count.max(1));
        tracing::info!(queue = %url, fifo, dead_letter = %dead_letter_url, max_attempts,
            "SQS queue connected");
        Ok(Self {
            client,
            url,
            fifo,
            dead_letter_url,
            max_attempts,
            options,
            in_flight: InFlightMessages::default(),
        })
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The dead-letter queue's URL.
    pub fn dead_letter_url(&self) -> &str {
        &self.dead_letter_url
    }

    /// Attempts before a message is dead-lettered.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How many received messages this process holds unsettled.
    pub fn held(&self) -> usize {
        self.in_flight.len()
    }
}

fn setup(message: String) -> QueueError {
    QueueError::Setup {
        backend: BACKEND,
        message,
    }
}

/// The URL of the queue `name` (of `account`, when it is another account's).
async fn queue_url(
    client: &Client,
    name: &str,
    account: Option<&str>,
) -> Result<String, QueueError> {
    let answer = client
        .get_queue_url()
        .queue_name(name)
        .set_queue_owner_aws_account_id(account.map(str::to_owned))
        .send()
        .timed("sqs", "GetQueueUrl")
        .await
        .map_err(|e| match errors::service("connect", &e) {
            QueueError::Service { message, .. } => setup(format!("queue {name:?}: {message}")),
            other => other,
        })?;
    answer
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| setup(format!("queue {name:?}: SQS returned no URL")))
}

fn unsupported(operation: &'static str, reason: &'static str) -> QueueError {
    QueueError::Unsupported {
        backend: BACKEND,
        operation,
        reason,
    }
}

#[async_trait]
impl TaskQueue for SqsQueue {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn submit(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError> {
        self.send_tasks(tasks).await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError> {
        self.receive(request).await
    }

    async fn heartbeat(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        self.extend(uuid, token, lease_for).await
    }

    async fn complete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        _result: TaskResult,
    ) -> Result<(), QueueError> {
        // The result went out through the publisher before this call; SQS keeps none.
        self.delete(uuid, token, "complete").await
    }

    async fn complete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        self.delete_many(completions).await
    }

    async fn fail(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        self.settle_failure(uuid, token, failure).await
    }

    async fn release(&self, uuid: &str, token: &LeaseToken) -> Result<(), QueueError> {
        self.make_visible(uuid, token).await
    }

    async fn expire(&self, uuid: &str, token: &LeaseToken, reason: &str) -> Result<(), QueueError> {
        tracing::info!(task_id = %uuid, %reason, "deleting an expired task's message");
        self.delete(uuid, token, "expire").await
    }

    async fn cancel(&self, _uuid: &str) -> Result<CancelOutcome, QueueError> {
        Err(unsupported(
            "cancel",
            "SQS cannot reach a message another consumer may hold; delete it from the queue instead",
        ))
    }

    async fn get(&self, _uuid: &str) -> Result<Option<TaskRecord>, QueueError> {
        Err(unsupported(
            "get",
            "SQS keeps no task records; read results where --publish sends them",
        ))
    }

    async fn dead_letters(&self, _page: PageRequest) -> Result<Page, QueueError> {
        Err(unsupported(
            "listing dead letters",
            "read the dead-letter queue with the SQS console or `aws sqs receive-message`",
        ))
    }

    async fn redrive(&self, target: RedriveTarget) -> Result<u64, QueueError> {
        match target {
            RedriveTarget::AllDead => self.redrive_all().await,
            RedriveTarget::One(_) => Err(unsupported(
                "redriving one task",
                "SQS cannot pick one message of a queue; redrive all of them (--all)",
            )),
        }
    }

    async fn counts(&self) -> Result<Vec<StateCount>, QueueError> {
        self.count().await
    }

    async fn reap(&self) -> Result<ReapReport, QueueError> {
        // SQS makes a message visible again itself when its visibility runs out.
        Ok(ReapReport::default())
    }

    async fn wait_for_work(&self, _timeout: Duration) -> bool {
        // Receives long-poll: an empty one has already waited up to `options.wait`.
        false
    }
}
