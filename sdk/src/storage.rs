//! Typed helpers over the `storage` import: whole, ranged and streamed reads ([`ObjectReader`],
//! decompressed by the host when asked), writes (also in the background: [`Storage::put_background`]
//! and [`flush`]), JSON, listing, presigned URLs. Keys are relative to a [`Scope`]: the task's
//! experiment, or a bucket the host granted.

use std::fmt;
use std::io;
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
    /// A streamed object is not valid in the decoding asked for (corrupt or truncated gzip).
    Corrupt(String),
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
            Self::Corrupt(m) => write!(f, "corrupt object: {m}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl StorageError {
    /// The storage failure inside an I/O error of an [`ObjectReader`] (its `Read` impl carries
    /// them that way), if that is what `error` is.
    pub fn from_io(error: &io::Error) -> Option<&StorageError> {
        error.get_ref()?.downcast_ref::<StorageError>()
    }
}

impl From<wit::ReadError> for StorageError {
    fn from(e: wit::ReadError) -> Self {
        match e {
            wit::ReadError::Storage(e) => e.into(),
            wit::ReadError::Corrupt(m) => Self::Corrupt(m),
        }
    }
}

/// How [`Storage::open_read`] hands over an object's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    /// The bytes as stored.
    AsStored,
    /// Gzip decompressed by the host (natively, on another thread); an object that is not gzip
    /// comes as stored.
    Gunzip,
}

/// A sequential read of one object that the host fetches (and decodes) ahead of the plugin.
/// Implements [`io::Read`]; its errors carry a [`StorageError`] (see [`StorageError::from_io`]).
#[derive(Debug)]
pub struct ObjectReader {
    inner: wit::ObjectReader,
    buffer: Vec<u8>,
    position: usize,
    ended: bool,
}

/// How many bytes one host call asks for at least.
const READ_CALL_BYTES: usize = 1 << 20;

impl ObjectReader {
    /// The next bytes as the host hands them over (at most `max`); empty at the end.
    pub fn read_chunk(&mut self, max: usize) -> Result<Vec<u8>> {
        if self.position < self.buffer.len() {
            let end = self.buffer.len().min(self.position + max.max(1));
            let chunk = self.buffer[self.position..end].to_vec();
            self.position = end;
            return Ok(chunk);
        }
        if self.ended {
            return Ok(Vec::new());
        }
        let chunk = self.inner.read(max as u64)?;
        self.ended = chunk.is_empty();
        Ok(chunk)
    }
}

impl io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.position == self.buffer.len() {
            if self.ended {
                return Ok(0);
            }
            self.buffer = self
                .inner
                .read(buf.len().max(READ_CALL_BYTES) as u64)
                .map_err(|e| io::Error::other(StorageError::from(e)))?;
            self.position = 0;
            self.ended = self.buffer.is_empty();
        }
        let n = buf.len().min(self.buffer.len() - self.position);
        buf[..n].copy_from_slice(&self.buffer[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// Waits until every [`Storage::put_background`] write of the task has finished; the first
/// that failed, if any.
pub fn flush() -> Result<()> {
    Ok(wit::flush()?)
}

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

    /// Writes a whole object in the background: returns once the host holds the bytes, and
    /// the host writes them on its own threads while the plugin goes on. Later storage calls
    /// see the write; [`flush`] waits for all of them and reports a failure, and one left
    /// unflushed fails the task.
    pub fn put_background(&self, key: &str, data: &[u8]) -> Result<()> {
        Ok(wit::put_background(&self.scope, key, data)?)
    }

    /// Opens an object for a sequential read, the host decoding it as asked (see
    /// [`Decoding`]).
    pub fn open_read(&self, key: &str, decoding: Decoding) -> Result<ObjectReader> {
        let decoding = match decoding {
            Decoding::AsStored => wit::Decoding::AsStored,
            Decoding::Gunzip => wit::Decoding::Gunzip,
        };
        Ok(ObjectReader {
            inner: wit::open_read(&self.scope, key, decoding)?,
            buffer: Vec::new(),
            position: 0,
            ended: false,
        })
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
