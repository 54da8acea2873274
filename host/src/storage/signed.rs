//! The backends whose presigned URLs the host signs and serves itself: a local folder (the
//! storage root, bucket `B` its subfolder `B/`) and memory (`memory://`, this process only).
//! Both keep every bucket in one `object_store` store under the bucket's name.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use url::Url;

use super::{HmacSigner, ObjectKey, PresignMethod, StorageBackend, StorageError};

/// Buckets in one store, with the host's own presigned URLs.
#[derive(Debug)]
pub struct HostSignedStorage {
    store: Arc<dyn ObjectStore>,
    signer: HmacSigner,
}

impl HostSignedStorage {
    /// Buckets as subfolders of the local folder `root` (created if needed).
    pub fn local(
        root: &FsPath,
        public_url: Url,
        presign_key: Vec<u8>,
    ) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root).map_err(|e| {
            StorageError::Unavailable(format!(
                "cannot create the storage folder {}: {e}",
                root.display()
            ))
        })?;
        let root = root.canonicalize().map_err(|e| {
            StorageError::Unavailable(format!(
                "cannot open the storage folder {}: {e}",
                root.display()
            ))
        })?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| StorageError::Unavailable(format!("{}: {e}", root.display())))?
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            signer: HmacSigner::new(presign_key, public_url),
        })
    }

    /// Empty buckets in memory.
    pub fn memory(public_url: Url, presign_key: Vec<u8>) -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            signer: HmacSigner::new(presign_key, public_url),
        }
    }
}

impl StorageBackend for HostSignedStorage {
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        Ok((Arc::clone(&self.store), Path::from(bucket)))
    }

    fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<Url, StorageError> {
        Ok(self.signer.sign(method, bucket, key, expires_in))
    }

    fn host_signer(&self) -> Option<&HmacSigner> {
        Some(&self.signer)
    }
}
