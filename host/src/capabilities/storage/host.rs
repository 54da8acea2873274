//! The generated `storage::Host` trait, implemented on [`StorageCtx`].

use std::time::Duration;

use wasmtime::component::Resource;

use crate::capabilities::storage::reader::{Decoding, ReadFailure};
use crate::capabilities::storage::{MAX_LIST_ENTRIES, MAX_OPEN_READERS, ObjectReader, StorageCtx};
use crate::runtime::bindings::taskhost::plugin::storage::{
    self as wit, Host, HostObjectReader, ObjectMeta, Scope,
};
use crate::storage::{ObjectInfo, ObjectKey, PresignMethod, StorageError};

type WitResult<T> = Result<T, wit::StorageError>;

impl Host for StorageCtx {
    async fn get(&mut self, scope: Scope, key: String) -> WitResult<Vec<u8>> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            let bytes = bucket
                .get(&ObjectKey::parse(&key)?, self.max_read_bytes)
                .await?;
            Ok(bytes.to_vec())
        };
        to_wit(&self.plugin, op.await)
    }

    async fn get_range(
        &mut self,
        scope: Scope,
        key: String,
        offset: u64,
        length: u64,
    ) -> WitResult<Vec<u8>> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            let length = length.min(self.max_read_bytes);
            let bytes = bucket
                .get_range(&ObjectKey::parse(&key)?, offset, length)
                .await?;
            Ok(bytes.to_vec())
        };
        to_wit(&self.plugin, op.await)
    }

    async fn head(&mut self, scope: Scope, key: String) -> WitResult<ObjectMeta> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            Ok(meta(bucket.head(&ObjectKey::parse(&key)?).await?))
        };
        to_wit(&self.plugin, op.await)
    }

    async fn put(&mut self, scope: Scope, key: String, data: Vec<u8>) -> WitResult<()> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, true)?;
            bucket.put(&ObjectKey::parse(&key)?, data.into()).await
        };
        to_wit(&self.plugin, op.await)
    }

    async fn list(&mut self, scope: Scope, prefix: String) -> WitResult<Vec<ObjectMeta>> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            let prefix = ObjectKey::parse_prefix(&prefix)?;
            let found = bucket.list(prefix.as_ref(), MAX_LIST_ENTRIES).await?;
            Ok(found.into_iter().map(meta).collect())
        };
        to_wit(&self.plugin, op.await)
    }

    async fn delete(&mut self, scope: Scope, key: String) -> WitResult<()> {
        self.writes.settle().await;
        let op = async {
            let bucket = self.resolve(&scope, true)?;
            bucket.delete(&ObjectKey::parse(&key)?).await
        };
        to_wit(&self.plugin, op.await)
    }

    async fn open_read(
        &mut self,
        scope: Scope,
        key: String,
        decoding: wit::Decoding,
    ) -> WitResult<Resource<ObjectReader>> {
        self.writes.settle().await;
        let decoding = match decoding {
            wit::Decoding::AsStored => Decoding::AsStored,
            wit::Decoding::Gunzip => Decoding::Gunzip,
        };
        let result = self.open(&scope, &key, decoding).await;
        to_wit(&self.plugin, result)
    }

    async fn put_background(&mut self, scope: Scope, key: String, data: Vec<u8>) -> WitResult<()> {
        let checked = self
            .resolve(&scope, true)
            .and_then(|bucket| Ok((bucket, ObjectKey::parse(&key)?)));
        let (bucket, key) = to_wit(&self.plugin, checked)?;
        self.writes.start(bucket, key, data.into()).await;
        Ok(())
    }

    async fn flush(&mut self) -> WitResult<()> {
        self.writes.settle().await;
        match self.writes.take_failure() {
            Some(error) => to_wit(&self.plugin, Err(error)),
            None => Ok(()),
        }
    }

    async fn presign_get(
        &mut self,
        scope: Scope,
        key: String,
        expires_secs: u32,
    ) -> WitResult<String> {
        self.writes.settle().await;
        let result = self
            .presign(PresignMethod::Get, &scope, &key, expires_secs)
            .await;
        to_wit(&self.plugin, result)
    }

    async fn presign_put(
        &mut self,
        scope: Scope,
        key: String,
        expires_secs: u32,
    ) -> WitResult<String> {
        self.writes.settle().await;
        let result = self
            .presign(PresignMethod::Put, &scope, &key, expires_secs)
            .await;
        to_wit(&self.plugin, result)
    }
}

impl HostObjectReader for StorageCtx {
    async fn read(
        &mut self,
        reader: Resource<ObjectReader>,
        max_bytes: u64,
    ) -> Result<Vec<u8>, wit::ReadError> {
        let reader = self.readers.get_mut(&reader).ok_or_else(|| {
            wit::ReadError::Storage(wit::StorageError::Unavailable(
                "this reader was dropped".into(),
            ))
        })?;
        match reader.read(max_bytes).await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(ReadFailure::Corrupt(message)) => Err(wit::ReadError::Corrupt(message)),
            Err(ReadFailure::Storage(error)) => {
                Err(wit::ReadError::Storage(wit_error(&self.plugin, error)))
            }
        }
    }

    async fn drop(&mut self, reader: Resource<ObjectReader>) -> wasmtime::Result<()> {
        self.readers.remove(&reader);
        Ok(())
    }
}

impl StorageCtx {
    async fn open(
        &mut self,
        scope: &Scope,
        key: &str,
        decoding: Decoding,
    ) -> Result<Resource<ObjectReader>, StorageError> {
        let bucket = self.resolve(scope, false)?;
        if self.readers.len() >= MAX_OPEN_READERS {
            return Err(StorageError::Denied(format!(
                "a task may hold at most {MAX_OPEN_READERS} open readers; drop one first"
            )));
        }
        let stored = bucket.stream(&ObjectKey::parse(key)?).await?;
        let reader = ObjectReader::start(stored, decoding);
        Ok(self.readers.insert(reader))
    }

    async fn presign(
        &self,
        method: PresignMethod,
        scope: &Scope,
        key: &str,
        expires_secs: u32,
    ) -> Result<String, StorageError> {
        let bucket = self.resolve(scope, method == PresignMethod::Put)?;
        let key = ObjectKey::parse(key)?;
        // The URL names the object by its bucket-relative key (scope prefix included).
        let full = match bucket.scope_prefix() {
            prefix if prefix.is_empty() => key,
            prefix => ObjectKey::parse(&format!("{prefix}/{key}"))?,
        };
        let expires = Duration::from_secs(u64::from(expires_secs.max(1)));
        Ok(self
            .backend
            .presign(method, bucket.name(), &full, expires)
            .await?
            .to_string())
    }
}

fn meta(info: ObjectInfo) -> ObjectMeta {
    ObjectMeta {
        key: info.key,
        size: info.size,
        last_modified_ms: info.last_modified_ms,
    }
}

fn to_wit<T>(plugin: &str, result: Result<T, StorageError>) -> WitResult<T> {
    result.map_err(|error| wit_error(plugin, error))
}

fn wit_error(plugin: &str, error: StorageError) -> wit::StorageError {
    match error {
        StorageError::NotFound(m) => wit::StorageError::NotFound(m),
        StorageError::Denied(m) => wit::StorageError::Denied(m),
        StorageError::InvalidKey(e) => wit::StorageError::InvalidKey(e.to_string()),
        StorageError::TooLarge(m) => wit::StorageError::TooLarge(m),
        StorageError::Unavailable(detail) => {
            tracing::warn!(plugin, %detail, "storage backend failed");
            wit::StorageError::Unavailable("the storage backend failed; see the host log".into())
        }
    }
}
