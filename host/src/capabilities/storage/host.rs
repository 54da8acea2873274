//! The generated `storage::Host` trait, implemented on [`StorageCtx`].

use std::time::Duration;

use crate::capabilities::storage::{MAX_LIST_ENTRIES, StorageCtx};
use crate::runtime::bindings::taskhost::plugin::storage::{self as wit, Host, ObjectMeta, Scope};
use crate::storage::{ObjectInfo, ObjectKey, PresignMethod, StorageError};

type WitResult<T> = Result<T, wit::StorageError>;

impl Host for StorageCtx {
    async fn get(&mut self, scope: Scope, key: String) -> WitResult<Vec<u8>> {
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
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            Ok(meta(bucket.head(&ObjectKey::parse(&key)?).await?))
        };
        to_wit(&self.plugin, op.await)
    }

    async fn put(&mut self, scope: Scope, key: String, data: Vec<u8>) -> WitResult<()> {
        let op = async {
            let bucket = self.resolve(&scope, true)?;
            bucket.put(&ObjectKey::parse(&key)?, data.into()).await
        };
        to_wit(&self.plugin, op.await)
    }

    async fn list(&mut self, scope: Scope, prefix: String) -> WitResult<Vec<ObjectMeta>> {
        let op = async {
            let bucket = self.resolve(&scope, false)?;
            let prefix = ObjectKey::parse_prefix(&prefix)?;
            let found = bucket.list(prefix.as_ref(), MAX_LIST_ENTRIES).await?;
            Ok(found.into_iter().map(meta).collect())
        };
        to_wit(&self.plugin, op.await)
    }

    async fn delete(&mut self, scope: Scope, key: String) -> WitResult<()> {
        let op = async {
            let bucket = self.resolve(&scope, true)?;
            bucket.delete(&ObjectKey::parse(&key)?).await
        };
        to_wit(&self.plugin, op.await)
    }

    async fn presign_get(
        &mut self,
        scope: Scope,
        key: String,
        expires_secs: u32,
    ) -> WitResult<String> {
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
        let result = self
            .presign(PresignMethod::Put, &scope, &key, expires_secs)
            .await;
        to_wit(&self.plugin, result)
    }
}

impl StorageCtx {
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
    result.map_err(|error| match error {
        StorageError::NotFound(m) => wit::StorageError::NotFound(m),
        StorageError::Denied(m) => wit::StorageError::Denied(m),
        StorageError::InvalidKey(e) => wit::StorageError::InvalidKey(e.to_string()),
        StorageError::TooLarge(m) => wit::StorageError::TooLarge(m),
        StorageError::Unavailable(detail) => {
            tracing::warn!(plugin, %detail, "storage backend failed");
            wit::StorageError::Unavailable("the storage backend failed; see the host log".into())
        }
    })
}
