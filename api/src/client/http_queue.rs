//! [`HttpQueue`]: the [`TaskQueue`] of a remote worker, every call over another host's API
//! (admin token), with the API's error bodies turned back into the queue's domain errors.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use taskhost_queue::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, QueueConfig, QueueError, ReapReport,
    RedriveTarget, StateCount, SubmitReport, TaskQueue, TaskRecord, TaskResult, TaskState,
};

use super::{ApiClient, ClientError};
use crate::wire::{
    CancelReply, ClaimDto, CompleteDto, CompleteManyReply, CompletionDto, ExpireDto, FailDto,
    FailOutcomeDto, HeartbeatDto, HeartbeatReply, LeaseDto, NewTaskDto, PageDto, QueueCounts,
    RedriveReply, ResultDto, SubmitResponse, TaskRecordDto, TokenDto, WaitReply,
};

/// A [`TaskQueue`] whose every call goes to another host's API (`/v1/leases`, `/v1/queue`,
/// ...). Give it an admin token when that host has tokens configured.
///
/// `reap` returns an empty report without a request: the serving host runs its own reaper on
/// its queue, so a remote worker has nothing to reap.
#[derive(Debug, Clone)]
pub struct HttpQueue {
    client: ApiClient,
}

impl HttpQueue {
    /// A queue over the API at `base_url`.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, ClientError> {
        Ok(Self {
            client: ApiClient::new(base_url, token)?,
        })
    }
}

/// `http://` / `https://` gives an [`HttpQueue`] with `token`; anything else is
/// [`taskhost_queue::connect`]`(url, config)`.
pub async fn connect_queue(
    url: &str,
    config: QueueConfig,
    token: Option<String>,
) -> Result<Arc<dyn TaskQueue>, QueueError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        let queue =
            HttpQueue::new(url, token).map_err(|error| QueueError::Remote(error.to_string()))?;
        return Ok(Arc::new(queue));
    }
    taskhost_queue::connect(url, config).await
}

/// The queue error a client error stands for.
fn queue_error(error: ClientError) -> QueueError {
    let ClientError::Status { status, body, .. } = &error else {
        return QueueError::Remote(error.to_string());
    };
    let uuid = body.uuid.clone().unwrap_or_default();
    let state = body.state.unwrap_or(TaskState::Queued);
    let reason = body.reason.clone().unwrap_or_else(|| body.error.clone());
    match (*status, body.kind.as_deref()) {
        (StatusCode::CONFLICT, Some("leaseLost")) => QueueError::LeaseLost { uuid, state },
        (StatusCode::CONFLICT, Some("notDead")) => QueueError::NotDead { uuid, state },
        (StatusCode::NOT_FOUND, Some("notFound")) => QueueError::NotFound(uuid),
        (StatusCode::BAD_REQUEST, Some("invalidTask")) => QueueError::InvalidTask { uuid, reason },
        (StatusCode::BAD_REQUEST, Some("invalidResult")) => {
            QueueError::InvalidResult { uuid, reason }
        }
        _ => QueueError::Remote(error.to_string()),
    }
}

impl HttpQueue {
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&(impl serde::Serialize + ?Sized)>,
    ) -> Result<T, QueueError> {
        self.client
            .call(method, segments, query, body)
            .await
            .map_err(queue_error)
    }

    async fn lease_action<T: serde::de::DeserializeOwned>(
        &self,
        uuid: &str,
        action: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, QueueError> {
        self.call(
            Method::POST,
            &["v1", "leases", uuid, action],
            &[],
            Some(body),
        )
        .await
    }
}

#[async_trait]
impl TaskQueue for HttpQueue {
    fn backend(&self) -> &'static str {
        "http"
    }

    async fn submit(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError> {
        let tasks: Vec<NewTaskDto> = tasks.into_iter().map(NewTaskDto::from).collect();
        let reply: SubmitResponse = self
            .call(Method::POST, &["v1", "queue", "tasks"], &[], Some(&tasks))
            .await?;
        Ok(reply.into())
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError> {
        let leases: Vec<LeaseDto> = self
            .call(
                Method::POST,
                &["v1", "leases"],
                &[],
                Some(&ClaimDto::from(request)),
            )
            .await?;
        Ok(leases.into_iter().map(Lease::from).collect())
    }

    async fn heartbeat(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        let body = HeartbeatDto {
            token: token.clone(),
            lease_for_ms: u64::try_from(lease_for.as_millis()).unwrap_or(u64::MAX),
        };
        let reply: HeartbeatReply = self.lease_action(uuid, "heartbeat", &body).await?;
        Ok(reply.into())
    }

    async fn complete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        result: TaskResult,
    ) -> Result<(), QueueError> {
        let body = CompleteDto {
            token: token.clone(),
            result: ResultDto::from(result),
        };
        let _: serde_json::Value = self.lease_action(uuid, "complete", &body).await?;
        Ok(())
    }

    async fn complete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        let body: Vec<CompletionDto> = completions.into_iter().map(CompletionDto::from).collect();
        let reply: CompleteManyReply = self
            .call(
                Method::POST,
                &["v1", "leases", "complete-many"],
                &[],
                Some(&body),
            )
            .await?;
        Ok(reply.into())
    }

    async fn fail(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        let body = FailDto::new(token.clone(), failure);
        let reply: FailOutcomeDto = self.lease_action(uuid, "fail", &body).await?;
        Ok(reply.into())
    }

    async fn release(&self, uuid: &str, token: &LeaseToken) -> Result<(), QueueError> {
        let body = TokenDto {
            token: token.clone(),
        };
        let _: serde_json::Value = self.lease_action(uuid, "release", &body).await?;
        Ok(())
    }

    async fn expire(&self, uuid: &str, token: &LeaseToken, reason: &str) -> Result<(), QueueError> {
        let body = ExpireDto {
            token: token.clone(),
            reason: reason.to_owned(),
        };
        let _: serde_json::Value = self.lease_action(uuid, "expire", &body).await?;
        Ok(())
    }

    async fn cancel(&self, uuid: &str) -> Result<CancelOutcome, QueueError> {
        let reply: CancelReply = self
            .call(Method::DELETE, &["v1", "tasks", uuid], &[], None::<&()>)
            .await?;
        reply.into_outcome().ok_or_else(|| {
            QueueError::Remote(format!("cancel of {uuid}: alreadyFinished without a state"))
        })
    }

    async fn get(&self, uuid: &str) -> Result<Option<TaskRecord>, QueueError> {
        match self
            .call::<TaskRecordDto>(
                Method::GET,
                &["v1", "queue", "tasks", uuid],
                &[],
                None::<&()>,
            )
            .await
        {
            Ok(record) => Ok(Some(record.into())),
            Err(QueueError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn dead_letters(&self, page: PageRequest) -> Result<Page, QueueError> {
        let mut query = vec![("limit", page.limit.to_string())];
        if let Some(after) = page.after {
            query.push(("after", after.to_string()));
        }
        let reply: PageDto = self
            .call(Method::GET, &["v1", "dead-letters"], &query, None::<&()>)
            .await?;
        Ok(reply.into())
    }

    async fn redrive(&self, target: RedriveTarget) -> Result<u64, QueueError> {
        let reply: RedriveReply = match &target {
            RedriveTarget::One(uuid) => {
                let segments = ["v1", "dead-letters", uuid.as_str(), "redrive"];
                self.call(Method::POST, &segments, &[], None::<&()>).await?
            }
            RedriveTarget::AllDead => {
                let segments = ["v1", "dead-letters", "redrive"];
                self.call(Method::POST, &segments, &[], None::<&()>).await?
            }
        };
        Ok(reply.redriven)
    }

    async fn counts(&self) -> Result<Vec<StateCount>, QueueError> {
        let reply: QueueCounts = self
            .call(Method::GET, &["v1", "queue"], &[], None::<&()>)
            .await?;
        Ok(reply
            .counts
            .into_iter()
            .map(|count| StateCount {
                name: count.name,
                state: count.state,
                count: count.count,
            })
            .collect())
    }

    /// Returns an empty report: the serving host reaps its own queue.
    async fn reap(&self) -> Result<ReapReport, QueueError> {
        Ok(ReapReport::default())
    }

    /// Long-polls `GET /v1/leases/wait` (the server caps the wait); false on any error, so a
    /// worker's claim-then-wait loop simply claims again.
    async fn wait_for_work(&self, timeout: Duration) -> bool {
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let answer = self
            .client
            .send(
                Method::GET,
                &["v1", "leases", "wait"],
                &[("timeoutMs", millis.to_string())],
                None,
                timeout,
            )
            .await;
        match answer {
            Ok(answer) => serde_json::from_slice::<WaitReply>(&answer.body)
                .map(|reply| reply.woken)
                .unwrap_or(false),
            Err(error) => {
                tracing::warn!(%error, "remote queue: waiting for work failed");
                false
            }
        }
    }
}
