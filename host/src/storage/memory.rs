//! The in-memory backend (`memory://`): buckets live in this process only. Useful for tests
//! and for `taskhost exec` runs that should leave nothing behind.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path;
use url::Url;

use super::{HmacSigner, ObjectKey, PresignMethod, StorageBackend, StorageError};

/// Buckets in memory.
#[derive(Debug)]
pub struct MemoryStorage {
    store: Arc<InMemory>,
    signer: HmacSigner,
}

impl MemoryStorage {
    /// An empty store whose presigned URLs point at `public_url`.
    pub fn new(public_url: Url, presign_key: Vec<u8>) -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            signer: HmacSigner::new(presign_key, public_url),
        }
    }
}

impl StorageBackend for MemoryStorage {
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
