//! S3 storage on the shared AWS configuration: an `object_store` S3 builder whose credentials
//! come from the same chain as the SQS and SNS clients ([`ChainCredentials`]), with the chain's
//! region and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3` for S3-compatible servers (path-style
//! addressing, plain HTTP allowed only for an `http://` endpoint).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::CredentialProvider;
use object_store::aws::{AmazonS3Builder, AwsCredential};
use tokio::sync::Mutex;

/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// An `object_store` S3 builder for `url` (`s3://<bucket>[/<prefix>]`; the prefix is the
/// caller's to apply) on the shared configuration.
///
/// Settings object_store reads from `AWS_*` variables (`AWS_ENDPOINT_URL_S3`, checksums,
/// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, ...) still apply; credentials, region and the general
/// endpoint come from `config`.
pub fn builder(config: &SdkConfig, url: &str) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env().with_url(url);
    if let Some(chain) = config.credentials_provider() {
        builder = builder.with_credentials(Arc::new(ChainCredentials::new(chain)));
    }
    if let Some(region) = config.region() {
        builder = builder.with_region(region.as_ref());
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .ok()
        .filter(|e| !e.is_empty())
        .or_else(|| config.endpoint_url().map(str::to_owned));
    if let Some(endpoint) = endpoint {
        let plain_http = endpoint.starts_with("http://");
        builder = builder.with_endpoint(endpoint).with_allow_http(plain_http);
    }
    builder
}

/// The AWS SDK's credential chain as an `object_store` credential provider, caching each
/// credential until shortly before it expires (web identity and role credentials rotate).
#[derive(Debug)]
pub struct ChainCredentials {
    chain: SharedCredentialsProvider,
    cached: Mutex<Option<(Arc<AwsCredential>, Option<SystemTime>)>>,
}

impl ChainCredentials {
    /// Wraps the chain.
    pub fn new(chain: SharedCredentialsProvider) -> Self {
        Self {
            chain,
            cached: Mutex::new(None),
        }
    }
}

#[async_trait::async_trait]
impl CredentialProvider for ChainCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cached = self.cached.lock().await;
        if let Some((credential, expiry)) = cached.as_ref() {
            let fresh = expiry.is_none_or(|at| {
                at.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE_EXPIRY)
            });
            if fresh {
                return Ok(Arc::clone(credential));
            }
        }
        let provided = self.chain.provide_credentials().await.map_err(|error| {
            object_store::Error::Generic {
                store: "S3",
                source: format!("no AWS credentials from the standard chain: {error}").into(),
            }
        })?;
        let credential = Arc::new(AwsCredential {
            key_id: provided.access_key_id().to_owned(),
            secret_key: provided.secret_access_key().to_owned(),
            token: provided.session_token().map(str::to_owned),
        });
        *cached = Some((Arc::clone(&credential), provided.expiry()));
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A chain that counts its calls and hands out credentials expiring `valid_for` from now.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        valid_for: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let expiry = SystemTime::now() + self.valid_for;
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("key-{n}"),
                "secret",
                None,
                Some(expiry),
                "test",
            )))
        }
    }

    async fn fetch_twice(valid_for: Duration) -> (String, String, u32) {
        let calls = Arc::new(AtomicU32::new(0));
        let bridge = ChainCredentials::new(SharedCredentialsProvider::new(Counting {
            calls: Arc::clone(&calls),
            valid_for,
        }));
        let first = bridge.get_credential().await.unwrap().key_id.clone();
        let second = bridge.get_credential().await.unwrap().key_id.clone();
        (first, second, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_fresh_credential_is_reused() {
        let (first, second, calls) = fetch_twice(Duration::from_secs(3600)).await;
        assert_eq!(
            (first.as_str(), second.as_str(), calls),
            ("key-0", "key-0", 1)
        );
    }

    #[tokio::test]
    async fn a_credential_about_to_expire_is_fetched_again() {
        let (first, second, calls) = fetch_twice(Duration::from_secs(60)).await;
        assert_eq!(
            (first.as_str(), second.as_str(), calls),
            ("key-0", "key-1", 2)
        );
    }
}
