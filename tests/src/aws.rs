//! The AWS-API server of the SQS, SNS and S3 tests: moto in server mode on loopback, started by
//! `cargo xtask test` (`TASKHOST_TEST_AWS_ENDPOINT`). Tests create their own queues, topics and
//! buckets with [`unique_name`], so they share one server; hosts under test get the endpoint
//! and test credentials through [`aws_env`].

use std::sync::atomic::{AtomicU32, Ordering};

/// Test credentials (moto accepts any).
pub const ACCESS_KEY_ID: &str = "testing";
/// Test credentials (moto accepts any).
pub const SECRET_ACCESS_KEY: &str = "testing";
/// The region of every test resource.
pub const REGION: &str = "us-east-1";

/// The server's URL, or a panic saying how to start one.
pub fn endpoint() -> String {
    match std::env::var("TASKHOST_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => {
            let host = url::Url::parse(&url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            assert!(
                matches!(host.as_deref(), Some("127.0.0.1" | "localhost" | "[::1]")),
                "TASKHOST_TEST_AWS_ENDPOINT={url}: tests send traffic to loopback only"
            );
            url
        }
        _ => panic!(
            "the AWS tests need moto's server: run them with `cargo xtask test`, or start \
             `.venv/bin/moto_server -H 127.0.0.1 -p 5000` and set \
             TASKHOST_TEST_AWS_ENDPOINT=http://127.0.0.1:5000"
        ),
    }
}

/// A name no other test (or earlier run against the same server) uses: `<prefix>-<pid>-<n>`
/// plus the time, lower case (valid for queues, topics and buckets).
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let micros = chrono::Utc::now().timestamp_micros() % 1_000_000_000;
    format!("{prefix}-{}-{n}-{micros}", std::process::id())
}

/// The environment a host under test needs to reach the server: the endpoint, test
/// credentials and region, and nothing from the caller's own AWS profile.
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
    ]
}

/// An SDK configuration for the tests' own clients (creating resources, reading results).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::from_static(REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "taskhost-tests",
        ))
        .load()
        .await
}
