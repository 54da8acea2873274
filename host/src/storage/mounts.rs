//! Bucket mounts: `--bucket <name>=<location>` (repeatable; `TASKHOST_BUCKETS`, comma-separated;
//! `buckets = [...]` in the settings file) puts bucket `name` at a location of its own — the
//! producers' source bucket in S3, say — while every other bucket stays under `--storage`.
//! [`MountedStorage`] routes each bucket to its backend.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

use super::{
    HmacSigner, Layout, ObjectKey, PresignMethod, StorageBackend, StorageError, StorageLocation,
    check_bucket_name,
};

/// One bucket at a location of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketMount {
    /// The bucket's name, as plugins and task bodies use it.
    pub bucket: String,
    /// Where it is (the location is the bucket: its keys start there).
    pub location: StorageLocation,
}

impl FromStr for BucketMount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (bucket, location) = text.split_once('=').ok_or_else(|| {
            format!("bucket {text:?}: expected <name>=<location>, as in source=s3://originals")
        })?;
        check_bucket_name(bucket).map_err(|e| format!("bucket {text:?}: {e}"))?;
        Ok(Self {
            bucket: bucket.to_owned(),
            location: StorageLocation::parse(location)?,
        })
    }
}

impl fmt::Display for BucketMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.bucket, self.location)
    }
}

/// The `--storage` root plus the buckets mounted elsewhere.
#[derive(Debug)]
pub struct MountedStorage {
    root: Arc<dyn StorageBackend>,
    mounts: BTreeMap<String, Arc<dyn StorageBackend>>,
}

impl MountedStorage {
    /// Opens `root` (buckets as folders) and each mount; host-served URLs are signed by
    /// `signer`. A bucket mounted twice is an error.
    pub async fn open(
        root: &StorageLocation,
        mounts: &[BucketMount],
        signer: &HmacSigner,
    ) -> Result<Self, StorageError> {
        let root = root.open(Layout::Folders, signer).await?;
        let mut opened = BTreeMap::new();
        for mount in mounts {
            if opened.contains_key(&mount.bucket) {
                return Err(StorageError::Unavailable(format!(
                    "bucket {:?} is mounted twice",
                    mount.bucket
                )));
            }
            let backend = mount
                .location
                .open(Layout::Single(mount.bucket.clone()), signer)
                .await
                .map_err(|e| StorageError::Unavailable(format!("bucket {}: {e}", mount.bucket)))?;
            opened.insert(mount.bucket.clone(), backend);
        }
        Ok(Self {
            root,
            mounts: opened,
        })
    }

    fn backend(&self, bucket: &str) -> &dyn StorageBackend {
        self.mounts.get(bucket).unwrap_or(&self.root).as_ref()
    }
}

#[async_trait::async_trait]
impl StorageBackend for MountedStorage {
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        self.backend(bucket).resolve(bucket)
    }

    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<Url, StorageError> {
        self.backend(bucket)
            .presign(method, bucket, key, expires_in)
            .await
    }

    fn host_signer(&self, bucket: &str) -> Option<&HmacSigner> {
        self.backend(bucket).host_signer(bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageBackendExt;

    fn signer() -> HmacSigner {
        HmacSigner::new(b"k".to_vec(), Url::parse("http://127.0.0.1:8080/").unwrap())
    }

    #[test]
    fn mounts_parse_and_print_back() {
        let mount: BucketMount = "source=s3://originals/10x".parse().unwrap();
        assert_eq!(mount.bucket, "source");
        assert_eq!(mount.to_string(), "source=s3://originals/10x");
        for bad in ["source", "Bad_Name=s3://x", "source=ftp://x"] {
            assert!(bad.parse::<BucketMount>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_mounted_bucket_is_its_location_and_the_rest_stay_at_the_root() {
        let root = tempfile::tempdir().unwrap();
        let source = tempfile::tempdir().unwrap();
        let mounts = [BucketMount {
            bucket: "source".into(),
            location: StorageLocation::Local(source.path().to_owned()),
        }];
        let storage = MountedStorage::open(
            &StorageLocation::Local(root.path().to_owned()),
            &mounts,
            &signer(),
        )
        .await
        .unwrap();
        let key = ObjectKey::parse("m/matrix.mtx").unwrap();
        let data = bytes::Bytes::from_static(b"%%MatrixMarket");
        storage
            .bucket("source")
            .unwrap()
            .put(&key, data.clone())
            .await
            .unwrap();
        storage
            .bucket("results")
            .unwrap()
            .put(&key, data)
            .await
            .unwrap();
        assert!(source.path().join("m/matrix.mtx").is_file());
        assert!(root.path().join("results/m/matrix.mtx").is_file());
        assert!(!root.path().join("source").exists());
    }

    #[tokio::test]
    async fn a_bucket_mounted_twice_is_refused() {
        let mount: BucketMount = "source=memory://".parse().unwrap();
        let error =
            MountedStorage::open(&StorageLocation::Memory, &[mount.clone(), mount], &signer())
                .await
                .unwrap_err();
        assert!(error.to_string().contains("mounted twice"), "{error}");
    }
}
