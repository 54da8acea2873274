//! [`CloudStorage`]: S3 (and S3-compatible servers), Google Cloud Storage and Azure Blob
//! Storage through `object_store`, with presigned URLs from the cloud's own signer.
//!
//! Configuration comes from each cloud's standard sources. S3 shares the AWS configuration of
//! the SQS queue and SNS publisher (`taskhost_aws::s3`: credential chain with profiles and web
//! identity, region, `AWS_ENDPOINT_URL`; path-style addressing). GCS reads
//! `GOOGLE_APPLICATION_CREDENTIALS` / `GOOGLE_SERVICE_ACCOUNT*`, Azure `AZURE_STORAGE_*`
//! (account, key or SAS, `AZURE_STORAGE_USE_EMULATOR` for Azurite), as `object_store` does.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::signer::{Method, Signer};
use url::Url;

use super::presign::MAX_EXPIRY;
use super::{HmacSigner, Layout, ObjectKey, PresignMethod, StorageBackend, StorageError};

/// Buckets in S3, GCS or Azure.
#[derive(Debug)]
pub struct CloudStorage {
    store: Arc<dyn ObjectStore>,
    signer: Arc<dyn Signer>,
    /// The location's path inside the cloud bucket (`prod` for `s3://data/prod`).
    prefix: Path,
    layout: Layout,
}

impl CloudStorage {
    /// Opens `url` (`s3://`, `s3a://`, `gs://`, `az://`, `abfs[s]://`) and checks, with one
    /// listing, that the bucket is reachable with the configured credentials.
    pub async fn open(url: &Url, layout: Layout) -> Result<Self, StorageError> {
        let (store, signer): (Arc<dyn ObjectStore>, Arc<dyn Signer>) = match url.scheme() {
            "s3" | "s3a" => return Self::s3(&taskhost_aws::sdk_config().await, url, layout).await,
            "gs" => {
                let gcs = GoogleCloudStorageBuilder::from_env()
                    .with_url(url.as_str())
                    .build();
                let gcs = Arc::new(gcs.map_err(|e| unavailable(url, e))?);
                (gcs.clone(), gcs)
            }
            "az" | "abfs" | "abfss" => {
                let azure = MicrosoftAzureBuilder::from_env()
                    .with_url(url.as_str())
                    .build();
                let azure = Arc::new(azure.map_err(|e| unavailable(url, e))?);
                (azure.clone(), azure)
            }
            other => {
                return Err(StorageError::Unavailable(format!(
                    "{url}: `{other}://` is not a cloud storage scheme"
                )));
            }
        };
        Self::checked(url, layout, store, signer).await
    }

    /// Opens the S3 location `url` on the AWS configuration `config` (see `taskhost_aws::s3`).
    pub async fn s3(
        config: &aws_config::SdkConfig,
        url: &Url,
        layout: Layout,
    ) -> Result<Self, StorageError> {
        let s3 = taskhost_aws::s3::builder(config, url.as_str()).build();
        let s3 = Arc::new(s3.map_err(|e| unavailable(url, e))?);
        Self::checked(url, layout, s3.clone(), s3).await
    }

    async fn checked(
        url: &Url,
        layout: Layout,
        store: Arc<dyn ObjectStore>,
        signer: Arc<dyn Signer>,
    ) -> Result<Self, StorageError> {
        let prefix = Path::parse(url.path().trim_matches('/')).map_err(|e| {
            StorageError::Unavailable(format!("{url}: the prefix is not a valid path: {e}"))
        })?;
        let storage = Self {
            store,
            signer,
            prefix,
            layout,
        };
        storage
            .check_reachable()
            .await
            .map_err(|e| unavailable(url, e))?;
        Ok(storage)
    }

    async fn check_reachable(&self) -> Result<(), object_store::Error> {
        self.store
            .list_with_delimiter(Some(&self.prefix))
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl StorageBackend for CloudStorage {
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        Ok((
            Arc::clone(&self.store),
            self.layout.base(&self.prefix, bucket)?,
        ))
    }

    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<Url, StorageError> {
        let base = self.layout.base(&self.prefix, bucket)?;
        let path = Path::parse(format!("{base}/{key}").trim_start_matches('/')).map_err(|e| {
            StorageError::Unavailable(format!("{bucket}/{key}: not a valid object path: {e}"))
        })?;
        let method = match method {
            PresignMethod::Get => Method::GET,
            PresignMethod::Put => Method::PUT,
        };
        self.signer
            .signed_url(method, &path, expires_in.min(MAX_EXPIRY))
            .await
            .map_err(|e| StorageError::Unavailable(format!("signing {bucket}/{key}: {e}")))
    }

    fn host_signer(&self, _bucket: &str) -> Option<&HmacSigner> {
        None
    }
}

fn unavailable(url: &Url, error: object_store::Error) -> StorageError {
    StorageError::Unavailable(format!("{url}: {error}"))
}
