//! taskhost-aws: taskhost on Amazon Web Services.
//!
//! - [`sqs::SqsQueue`]: an Amazon SQS queue behind the same [`taskhost_queue::TaskQueue`] trait
//!   as the lease queues (long polling, visibility as the lease, batch deletes, redrive policy,
//!   FIFO queues);
//! - [`sns::SnsTopic`]: publishing result messages to an SNS topic with message attributes;
//! - [`sdk_config`]: the one AWS configuration every client of a host shares: the standard
//!   credential chain (environment, shared profile, web identity on Kubernetes, container and
//!   instance roles), the region chain, and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
//!   for local AWS-compatible servers.
//!
//! - [`s3::builder`]: `object_store`'s S3 client on that configuration, for the host's S3
//!   storage.
//!
//! The host's S3 storage uses the same credential chain (see `taskhost::storage`), so one set of
//! credentials, however it is provided, serves the queue, the topic and the buckets.

mod observe;
pub mod s3;
pub mod sns;
pub mod sqs;

pub use observe::REQUEST_SECONDS;

use aws_config::{BehaviorVersion, SdkConfig};

/// The region used when no region is configured anywhere (environment, profile, instance
/// metadata): requests to a local server need one to be signed.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Loads the shared AWS configuration from the standard chains (see the crate doc).
///
/// The region is the chain's, else [`FALLBACK_REGION`]. Endpoints come from
/// `AWS_ENDPOINT_URL` (all services) or `AWS_ENDPOINT_URL_SQS` / `_SNS` / `_S3` (one service),
/// as in every AWS SDK.
pub async fn sdk_config() -> SdkConfig {
    let region = aws_config::meta::region::RegionProviderChain::default_provider()
        .or_else(aws_config::Region::from_static(FALLBACK_REGION));
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await
}
