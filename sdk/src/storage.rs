//! Typed helpers over the `storage` import: whole and ranged reads, JSON, listing, presigned
//! URLs. Keys are relative to a [`Scope`]: the task's experiment, or a bucket the host granted.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::taskhost::plugin::storage as wit;

/// What a storage call can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// No object has that key.
    NotFound(String),
    /// The scope is not granted, or is read-only and the call writes.
    Denied(String),
    /// The key is not a valid relative key.
    InvalidKey(String),
    /// The object is too large for one call; read it in ranges.
    TooLarge(String),
    /// The backend failed; retrying may help.
    Unavailable(String),
    /// A JSON object could not be encoded or decoded.
    Json(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(m) => write!(f, "object not found: {m}"),
            Self::Denied(m) => write!(f, "storage access denied: {m}"),
            Self::InvalidKey(m) => write!(f, "invalid storage key: {m}"),
            Self::TooLarge(m) => write!(f, "object too large: {m}"),
            Self::Unavailable(m) => write!(f, "storage unavailable: {m}"),
            Self::Json(m) => write!(f, "stored JSON: {m}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl From<wit::StorageError> for StorageError {
    fn from(e: wit::StorageError) -> Self {
        match e {
            wit::StorageError::NotFound(m) => Self::NotFound(m),
            wit::StorageError::Denied(m) => Self::Denied(m),
            wit::StorageError::InvalidKey(m) => Self::InvalidKey(m),
            wit::StorageError::TooLarge(m) => Self::TooLarge(m),
            wit::StorageError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

/// What [`Storage::head`] and [`Storage::list`] return about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key, relative to the scope.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: u64,
}

impl From<wit::ObjectMeta> for ObjectMeta {
    fn from(m: wit::ObjectMeta) -> Self {
        Self {
            key: m.key,
            size: m.size,
            last_modified_ms: m.last_modified_ms,
        }
    }
}

/// Where keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The task's experiment (`experiments/<experimentId>/`).
    Experiment,
    /// A bucket the host granted to this plugin.
    Bucket(String),
}

/// A handle on one scope of storage.
#[derive(Debug, Clone)]
pub struct Storage {
    scope: wit::Scope,
}

/// The task's experiment, read-write.
pub fn experiment() -> Storage {
    Storage {
        scope: wit::Scope::Experiment,
    }
}

/// A bucket the host granted to this plugin.
pub fn bucket(name: &str) -> Storage {
    Storage {
        scope: wit::Scope::Bucket(name.to_owned()),
    }
}

type Result<T> = std::result::Result<T, StorageError>;

impl Storage {
    /// Which scope this handle reads and writes.
    pub fn scope(&self) -> Scope {
        match &self.scope {
            wit::Scope::Experiment => Scope::Experiment,
            wit::Scope::Bucket(b) => Scope::Bucket(b.clone()),
        }
    }

    /// Reads a whole object.
    pub fn get(&self, key: &str) -> Result<Vec<u8>> {
        Ok(wit::get(&self.scope, key)?)
    }

    /// Reads the bytes of `range`; a range past the end returns the bytes that exist.
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>> {
        let length = range.end.saturating_sub(range.start);
        Ok(wit::get_range(&self.scope, key, range.start, length)?)
    }

    /// Says whether an object exists and how large it is.
    pub fn head(&self, key: &str) -> Result<ObjectMeta> {
        Ok(wit::head(&self.scope, key)?.into())
    }

    /// `true` when an object has this key.
    pub fn exists(&self, key: &str) -> Result<bool> {
        match self.head(key) {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes a whole object.
    pub fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        Ok(wit::put(&self.scope, key, data)?)
    }

    /// Lists the objects whose keys start with `prefix`.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        Ok(wit::list(&self.scope, prefix)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Deletes an object; a missing key is not an error.
    pub fn delete(&self, key: &str) -> Result<()> {
        Ok(wit::delete(&self.scope, key)?)
    }

    /// Reads an object and decodes it as JSON.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let bytes = self.get(key)?;
        serde_json::from_slice(&bytes).map_err(|e| StorageError::Json(format!("{key}: {e}")))
    }

    /// Encodes a value as JSON and writes it.
    pub fn put_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        let bytes =
            serde_json::to_vec(value).map_err(|e| StorageError::Json(format!("{key}: {e}")))?;
        self.put(key, &bytes)
    }

    /// A URL anyone can GET the object from until `expires` has passed.
    pub fn presign_get(&self, key: &str, expires: Duration) -> Result<String> {
        Ok(wit::presign_get(&self.scope, key, expiry_secs(expires))?)
    }

    /// A URL anyone can PUT the object to until `expires` has passed.
    pub fn presign_put(&self, key: &str, expires: Duration) -> Result<String> {
        Ok(wit::presign_put(&self.scope, key, expiry_secs(expires))?)
    }
}

fn expiry_secs(expires: Duration) -> u32 {
    u32::try_from(expires.as_secs()).unwrap_or(u32::MAX)
}
