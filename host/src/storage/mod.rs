//! Object storage: the buckets plugins read and write, and the presigned URLs they hand out.
//!
//! [`StorageBackend`] is the one small trait every backend implements: it resolves a bucket to
//! an `object_store` store plus the path of the bucket inside it, and signs URLs. Everything
//! else (whole and ranged reads, listing by string prefix, size limits, error mapping) is
//! written once in [`Bucket`] on top of `object_store`, so every backend behaves the same; the
//! [`conformance`] suite checks that each one does.
//!
//! Backends: [`HostSignedStorage`] (a local folder, memory; the host signs and serves their
//! URLs), [`CloudStorage`] (S3, GCS, Azure through `object_store`, signing with the cloud's
//! own signer) and [`MountedStorage`], which routes named buckets to backends of their own
//! (`--bucket <name>=<location>`) and every other bucket to the `--storage` root.
//!
//! Layout ([`Layout`]): a storage root holds buckets, bucket `B` in its folder `B/` (for
//! `s3://data/prod`, under `s3://data/prod/B/`); a mounted location *is* its one bucket.
//! Experiments live in bucket `experiments`, experiment `E` under `experiments/E/`.

mod bucket;
mod cloud;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod file_chunks;
mod keys;
mod location;
mod mounts;
pub mod presign;
mod signed;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

pub use bucket::{Bucket, ObjectInfo};
pub use cloud::CloudStorage;
pub use keys::{InvalidKey, MAX_KEY_BYTES, ObjectKey, check_bucket_name, check_segment};
pub use location::{Layout, StorageLocation};
pub use mounts::{BucketMount, MountedStorage};
pub use presign::{HmacSigner, PresignError, PresignMethod};
pub use signed::HostSignedStorage;

/// The bucket that holds experiments: experiment `E` is under `experiments/E/`.
pub const EXPERIMENTS_BUCKET: &str = "experiments";

/// What a storage operation failed with. The variants match the WIT `storage-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// No object has that key.
    #[error("not found: {0}")]
    NotFound(String),
    /// The scope is not granted, or is read-only and the call writes.
    #[error("denied: {0}")]
    Denied(String),
    /// The key or bucket name is not valid.
    #[error(transparent)]
    InvalidKey(#[from] InvalidKey),
    /// The object is larger than one read may return.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The backend failed; retrying may help.
    #[error("storage backend failed: {0}")]
    Unavailable(String),
}

/// A place where buckets live: the local filesystem, memory, S3, ...
///
/// Implementations resolve names and sign URLs; [`Bucket`] does the I/O. Implement this trait and pass the
/// [`conformance`] suite to add a backend.
///
/// ```
/// use taskhost::storage::{HostSignedStorage, ObjectKey, StorageBackendExt};
/// # tokio_test_block_on(async {
/// let storage = HostSignedStorage::memory(url::Url::parse("http://127.0.0.1:8080").unwrap(), b"k".to_vec());
/// let bucket = storage.bucket("results").unwrap();
/// let key = ObjectKey::parse("a/b.json").unwrap();
/// bucket.put(&key, b"{}".to_vec().into()).await.unwrap();
/// assert_eq!(bucket.get(&key, 1024).await.unwrap(), b"{}".as_slice());
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait::async_trait]
pub trait StorageBackend: Send + Sync + fmt::Debug + 'static {
    /// The store holding `bucket`, and the path of the bucket's root inside it.
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError>;

    /// A URL that allows `method` on `key` (relative to the bucket) in `bucket` for
    /// `expires_in` (at most [`presign::MAX_EXPIRY`]).
    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<Url, StorageError>;

    /// The host's own signer of `bucket`'s URLs, when the host's API serves them (`None` for
    /// buckets in S3, GCS or Azure, whose URLs go to the cloud).
    fn host_signer(&self, bucket: &str) -> Option<&HmacSigner>;
}

/// Convenience methods for every backend.
pub trait StorageBackendExt: StorageBackend {
    /// A handle on `bucket` (the name is validated).
    fn bucket(&self, bucket: &str) -> Result<Bucket, StorageError> {
        check_bucket_name(bucket)?;
        let (store, root) = self.resolve(bucket)?;
        Ok(Bucket::new(bucket, store, root))
    }
}

impl<T: StorageBackend + ?Sized> StorageBackendExt for T {}

/// Maps an `object_store` error to the WIT error, keeping the detail for the log.
pub(crate) fn map_store_error(key: &str, error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        object_store::Error::InvalidPath { source } => StorageError::InvalidKey(InvalidKey {
            key: format!("{key} ({source})"),
            reason: "not a valid object path",
        }),
        other => StorageError::Unavailable(format!("{key}: {other}")),
    }
}
