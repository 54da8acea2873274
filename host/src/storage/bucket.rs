//! [`Bucket`]: the I/O every backend shares, written once on top of `object_store`.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload};

use super::{ObjectKey, StorageError, check_segment, file_chunks, map_store_error};

/// What `head` and `list` report about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key relative to the bucket (or scope) it was listed in.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

/// One bucket, or one folder of a bucket treated as a scope of its own.
#[derive(Debug, Clone)]
pub struct Bucket {
    name: String,
    store: Arc<dyn ObjectStore>,
    /// Where the bucket's keys start in the store (empty when the store is the bucket).
    base: Path,
    /// The folder of the bucket this handle is confined to, `a/b` (empty: the whole bucket).
    scope: String,
    /// `base` and `scope` joined: where this handle's keys start in the store.
    root: Path,
}

impl Bucket {
    pub(crate) fn new(name: &str, store: Arc<dyn ObjectStore>, base: Path) -> Self {
        Self {
            name: name.to_owned(),
            store,
            root: base.clone(),
            base,
            scope: String::new(),
        }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path of this scope inside the bucket (empty for the whole bucket).
    pub fn scope_prefix(&self) -> String {
        self.scope.clone()
    }

    /// The same bucket, confined to the folder `segment` (one validated path segment).
    pub fn within(&self, segment: &str) -> Result<Bucket, StorageError> {
        check_segment(segment)?;
        let scope = if self.scope.is_empty() {
            segment.to_owned()
        } else {
            format!("{}/{segment}", self.scope)
        };
        Ok(Self {
            name: self.name.clone(),
            store: Arc::clone(&self.store),
            root: self.join(segment)?,
            base: self.base.clone(),
            scope,
        })
    }

    /// Starts reading an object: its metadata now, its bytes as they come.
    async fn fetch(&self, key: &ObjectKey) -> Result<object_store::GetResult, StorageError> {
        let path = self.path(key)?;
        self.store
            .get(&path)
            .await
            .map_err(|e| map_store_error(key.as_str(), e))
    }

    /// Reads a whole object of at most `max_bytes`.
    pub async fn get(&self, key: &ObjectKey, max_bytes: u64) -> Result<Bytes, StorageError> {
        let result = self.fetch(key).await?;
        if result.meta.size > max_bytes {
            return Err(StorageError::TooLarge(format!(
                "{key} has {} bytes, more than the {max_bytes} one read may return; read it in ranges",
                result.meta.size
            )));
        }
        result
            .bytes()
            .await
            .map_err(|e| map_store_error(key.as_str(), e))
    }

    /// Streams a whole object, of any size: a missing object fails here, a backend failure
    /// later, as an item of the stream.
    pub async fn stream(
        &self,
        key: &ObjectKey,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        let result = self.fetch(key).await?;
        let name = key.to_string();
        Ok(match result.payload {
            // A local file: in large pieces (see `file_chunks`), not object_store's 8 KiB.
            GetResultPayload::File(file, _) => file_chunks::stream(file, result.range, name),
            GetResultPayload::Stream(pieces) => {
                pieces.map_err(move |e| map_store_error(&name, e)).boxed()
            }
        })
    }

    /// Reads up to `length` bytes from `offset`; past the end, the bytes that exist.
    pub async fn get_range(
        &self,
        key: &ObjectKey,
        offset: u64,
        length: u64,
    ) -> Result<Bytes, StorageError> {
        let path = self.path(key)?;
        if length == 0 {
            self.head(key).await?;
            return Ok(Bytes::new());
        }
        let end = offset.saturating_add(length);
        match self.store.get_range(&path, offset..end).await {
            Ok(bytes) => Ok(bytes),
            Err(object_store::Error::NotFound { .. }) => {
                Err(StorageError::NotFound(key.to_string()))
            }
            Err(error) => {
                // A range that starts at or past the end is an error for object_store; the
                // contract says it reads nothing.
                let info = self.head(key).await?;
                if offset >= info.size {
                    Ok(Bytes::new())
                } else {
                    Err(map_store_error(key.as_str(), error))
                }
            }
        }
    }

    /// Size and modification time of an object.
    pub async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, StorageError> {
        let path = self.path(key)?;
        let meta = self
            .store
            .head(&path)
            .await
            .map_err(|e| map_store_error(key.as_str(), e))?;
        Ok(ObjectInfo {
            key: key.to_string(),
            size: meta.size,
            last_modified_ms: millis(meta.last_modified),
        })
    }

    /// Writes a whole object.
    pub async fn put(&self, key: &ObjectKey, data: Bytes) -> Result<(), StorageError> {
        let path = self.path(key)?;
        self.store
            .put(&path, PutPayload::from_bytes(data))
            .await
            .map(|_| ())
            .map_err(|e| map_store_error(key.as_str(), e))
    }

    /// Deletes an object; a missing object is not an error.
    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_store_error(key.as_str(), e)),
        }
    }

    /// Lists the objects whose keys start with `prefix` (as text, not only whole segments),
    /// sorted by key, at most `max_entries`.
    pub async fn list(
        &self,
        prefix: Option<&ObjectKey>,
        max_entries: usize,
    ) -> Result<Vec<ObjectInfo>, StorageError> {
        let prefix_text = prefix.map(ObjectKey::as_str).unwrap_or("");
        // object_store lists whole folders; list the folder the prefix is in, then filter.
        let folder = match prefix_text.rfind('/') {
            Some(i) => self.join(&prefix_text[..i])?,
            None => self.root.clone(),
        };
        let root_text = self.root.as_ref();
        let strip = if root_text.is_empty() {
            0
        } else {
            root_text.len() + 1
        };
        let listing: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(|e| map_store_error(prefix_text, e))?;
        let mut found: Vec<ObjectInfo> = listing
            .into_iter()
            .filter_map(|meta| {
                let full = meta.location.as_ref();
                let relative = full.get(strip..)?;
                relative.starts_with(prefix_text).then(|| ObjectInfo {
                    key: relative.to_owned(),
                    size: meta.size,
                    last_modified_ms: millis(meta.last_modified),
                })
            })
            .collect();
        found.sort_by(|a, b| a.key.cmp(&b.key));
        if found.len() > max_entries {
            return Err(StorageError::TooLarge(format!(
                "more than {max_entries} objects start with {prefix_text:?}; use a longer prefix"
            )));
        }
        Ok(found)
    }

    fn path(&self, key: &ObjectKey) -> Result<Path, StorageError> {
        self.join(key.as_str())
    }

    fn join(&self, relative: &str) -> Result<Path, StorageError> {
        let root = self.root.as_ref();
        let full = if root.is_empty() {
            relative.to_owned()
        } else {
            format!("{root}/{relative}")
        };
        Path::parse(&full)
            .map_err(|e| map_store_error(relative, object_store::Error::InvalidPath { source: e }))
    }
}

fn millis(time: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from(time.timestamp_millis()).unwrap_or(0)
}
