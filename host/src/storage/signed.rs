//! The backends whose presigned URLs the host signs and serves itself: a local folder and
//! memory (`memory://`, this process only). As a `--storage` root, every bucket is a folder of
//! one `object_store` store ([`Layout::Folders`]); as a `--bucket` mount, the store is the one
//! bucket ([`Layout::Single`]).

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use url::Url;

use super::{HmacSigner, Layout, ObjectKey, PresignMethod, StorageBackend, StorageError};

/// Buckets in one store, with the host's own presigned URLs.
#[derive(Debug)]
pub struct HostSignedStorage {
    store: Arc<dyn ObjectStore>,
    layout: Layout,
    signer: HmacSigner,
}

impl HostSignedStorage {
    /// Buckets as subfolders of the local folder `root` (created if needed).
    pub fn local(
        root: &FsPath,
        public_url: Url,
        presign_key: Vec<u8>,
    ) -> Result<Self, StorageError> {
        Self::local_with(
            root,
            Layout::Folders,
            HmacSigner::new(presign_key, public_url),
        )
    }

    /// The local folder `root` (created if needed) holding buckets as `layout` says.
    pub fn local_with(
        root: &FsPath,
        layout: Layout,
        signer: HmacSigner,
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
            layout,
            signer,
        })
    }

    /// Empty buckets in memory.
    pub fn memory(public_url: Url, presign_key: Vec<u8>) -> Self {
        Self::memory_with(Layout::Folders, HmacSigner::new(presign_key, public_url))
    }

    /// An empty store in memory holding buckets as `layout` says.
    pub fn memory_with(layout: Layout, signer: HmacSigner) -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            layout,
            signer,
        }
    }
}

#[async_trait::async_trait]
impl StorageBackend for HostSignedStorage {
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        let base = self.layout.base(&Path::default(), bucket)?;
        Ok((Arc::clone(&self.store), base))
    }

    async fn presign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<Url, StorageError> {
        self.layout.base(&Path::default(), bucket)?;
        Ok(self.signer.sign(method, bucket, key, expires_in))
    }

    fn host_signer(&self, _bucket: &str) -> Option<&HmacSigner> {
        Some(&self.signer)
    }
}
