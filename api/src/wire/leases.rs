//! The remote-worker routes' shapes under `/v1/leases`: claim, lease, heartbeat, complete
//! (one or many), release, expire and the wait long-poll. Failures are in `failure.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taskhost_queue::{ClaimRequest, CompleteManyReport, Completion, Heartbeat, Lease, LeaseToken};

use super::{ResultDto, millis};

/// A claim (`POST /v1/leases`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimDto {
    /// The claiming worker.
    pub worker: String,
    /// Task names it runs.
    pub names: Vec<String>,
    /// At most this many leases.
    pub limit: u32,
    /// Lease length in milliseconds.
    pub lease_for_ms: u64,
    /// Per-name caps.
    #[serde(default)]
    pub caps: BTreeMap<String, u32>,
}

impl From<&ClaimRequest> for ClaimDto {
    fn from(request: &ClaimRequest) -> Self {
        Self {
            worker: request.worker.clone(),
            names: request.names.clone(),
            limit: request.limit,
            lease_for_ms: millis(request.lease_for),
            caps: request.caps.clone(),
        }
    }
}

impl From<ClaimDto> for ClaimRequest {
    fn from(dto: ClaimDto) -> Self {
        Self {
            worker: dto.worker,
            names: dto.names,
            limit: dto.limit,
            lease_for: Duration::from_millis(dto.lease_for_ms),
            caps: dto.caps,
        }
    }
}

/// A lease (answer to a claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseDto {
    /// The task id.
    pub uuid: String,
    /// The task name.
    pub name: String,
    /// The envelope as submitted.
    pub envelope: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// The attempt limit.
    pub max_attempts: u32,
    /// The priority.
    pub priority: i32,
    /// The fencing token.
    pub token: LeaseToken,
    /// The worker holding it.
    pub worker: String,
    /// When it runs out.
    pub lease_expires_at: DateTime<Utc>,
}

impl From<Lease> for LeaseDto {
    fn from(lease: Lease) -> Self {
        Self {
            uuid: lease.uuid,
            name: lease.name,
            envelope: lease.envelope,
            attempt: lease.attempt,
            max_attempts: lease.max_attempts,
            priority: lease.priority,
            token: lease.token,
            worker: lease.worker,
            lease_expires_at: lease.lease_expires_at,
        }
    }
}

impl From<LeaseDto> for Lease {
    fn from(dto: LeaseDto) -> Self {
        Self {
            uuid: dto.uuid,
            name: dto.name,
            envelope: dto.envelope,
            attempt: dto.attempt,
            max_attempts: dto.max_attempts,
            priority: dto.priority,
            token: dto.token,
            worker: dto.worker,
            lease_expires_at: dto.lease_expires_at,
            trace_parent: None,
        }
    }
}

/// A heartbeat (`POST /v1/leases/{uuid}/heartbeat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatDto {
    /// The lease token.
    pub token: LeaseToken,
    /// The new lease length from now, in milliseconds.
    pub lease_for_ms: u64,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReply {
    /// The new expiry.
    pub lease_expires_at: DateTime<Utc>,
    /// The task was cancelled: stop.
    pub cancel_requested: bool,
}

impl From<Heartbeat> for HeartbeatReply {
    fn from(beat: Heartbeat) -> Self {
        Self {
            lease_expires_at: beat.lease_expires_at,
            cancel_requested: beat.cancel_requested,
        }
    }
}

impl From<HeartbeatReply> for Heartbeat {
    fn from(reply: HeartbeatReply) -> Self {
        Self {
            lease_expires_at: reply.lease_expires_at,
            cancel_requested: reply.cancel_requested,
        }
    }
}

/// A completion (`POST /v1/leases/{uuid}/complete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteDto {
    /// The lease token.
    pub token: LeaseToken,
    /// The result.
    pub result: ResultDto,
}

/// One item of `POST /v1/leases/complete-many`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompletionDto {
    /// The task id.
    pub uuid: String,
    /// The lease token.
    pub token: LeaseToken,
    /// The result.
    pub result: ResultDto,
}

impl From<Completion> for CompletionDto {
    fn from(completion: Completion) -> Self {
        Self {
            uuid: completion.uuid,
            token: completion.token,
            result: completion.result.into(),
        }
    }
}

impl From<CompletionDto> for Completion {
    fn from(dto: CompletionDto) -> Self {
        Self {
            uuid: dto.uuid,
            token: dto.token,
            result: dto.result.into(),
        }
    }
}

/// What `complete-many` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteManyReply {
    /// How many tasks succeeded.
    pub completed: usize,
    /// Uuids whose lease was lost.
    pub lease_lost: Vec<String>,
}

impl From<CompleteManyReport> for CompleteManyReply {
    fn from(report: CompleteManyReport) -> Self {
        Self {
            completed: report.completed,
            lease_lost: report.lease_lost,
        }
    }
}

impl From<CompleteManyReply> for CompleteManyReport {
    fn from(reply: CompleteManyReply) -> Self {
        Self {
            completed: reply.completed,
            lease_lost: reply.lease_lost,
        }
    }
}

/// A token-only body (`release`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenDto {
    /// The lease token.
    pub token: LeaseToken,
}

/// An expire body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireDto {
    /// The lease token.
    pub token: LeaseToken,
    /// Why it expired.
    pub reason: String,
}

/// The answer of the wait-for-work long-poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitReply {
    /// True when a notification woke the wait (false on timeout).
    pub woken: bool,
}
