//! The JSON shapes of the API (camelCase), shared by the server and the client, with their
//! conversions to and from the queue's domain types, one file per group of routes.
//!
//! The queue crate's types stay free of wire concerns; every request DTO here denies unknown
//! fields, so a typo in a client is a 400 rather than a silently ignored setting.

mod error;
mod failure;
mod leases;
mod operator;
mod records;
mod tasks;

use std::time::Duration;

pub use error::ErrorBody;
pub use failure::{FailDto, FailOutcomeDto, FailureKindDto};
pub use leases::{
    ClaimDto, CompleteDto, CompleteManyReply, CompletionDto, ExpireDto, HeartbeatDto,
    HeartbeatReply, LeaseDto, TokenDto, WaitReply,
};
pub use operator::{CountDto, QueueCounts, RedriveReply};
pub use records::{NewTaskDto, PageDto, ResultDto, TaskRecordDto};
pub use tasks::{CancelKind, CancelReply, SubmitResponse, TaskStatus};

/// A duration as whole milliseconds (saturating).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
