//! The local-filesystem backend: the storage root is a folder, bucket `B` its subfolder `B/`.
//! Presigned URLs are the host's own (see [`super::presign`]).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use url::Url;

use super::{HmacSigner, ObjectKey, PresignMethod, StorageBackend, StorageError};

/// Buckets as subfolders of one local folder.
#[derive(Debug)]
pub struct LocalStorage {
    root: PathBuf,
    store: Arc<LocalFileSystem>,
    signer: HmacSigner,
}

impl LocalStorage {
    /// Opens (creating it if needed) the folder `root`.
    pub fn open(
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
            root,
            store: Arc::new(store),
            signer: HmacSigner::new(presign_key, public_url),
        })
    }

    /// The folder that holds the buckets.
    pub fn root(&self) -> &FsPath {
        &self.root
    }
}

impl StorageBackend for LocalStorage {
    fn resolve(&self, bucket: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        Ok((store, Path::from(bucket)))
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
