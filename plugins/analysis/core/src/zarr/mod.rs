//! A minimal Zarr v2 store codec for what the analysis plugins write and read: groups with
//! attributes, and uncompressed C-order arrays of `bool`, `i32`, `i64`, `f32`, `f64` (little
//! endian) and UTF-8 strings (`|O` with the `vlen-utf8` filter, as anndata writes them).
//!
//! The writer produces `(key, bytes)` pairs that the plugin `put`s into storage. Numeric arrays
//! are written as one uncompressed chunk, so element `i` of array `a` sits at byte
//! `i * itemsize` of key `a/0`: a reader fetches a slice with one byte-range request.
//! The reader works through [`StoreSource`], which the plugin implements over its storage API.

mod read;
mod write;

pub use read::{ArrayData, ArrayMeta, decode, parse_array_meta, read_array, read_attrs, read_meta};
pub use write::{ArrayRef, StoreWriter, le_bytes};

use std::collections::HashMap;

/// The element types this codec supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `|b1`.
    Bool,
    /// `<i4`.
    I32,
    /// `<i8`.
    I64,
    /// `<f4`.
    F32,
    /// `<f8`.
    F64,
    /// `|O` with the `vlen-utf8` filter.
    Str,
}

impl Dtype {
    /// The Zarr v2 `dtype` string.
    pub fn zarr_name(self) -> &'static str {
        match self {
            Dtype::Bool => "|b1",
            Dtype::I32 => "<i4",
            Dtype::I64 => "<i8",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
            Dtype::Str => "|O",
        }
    }

    /// Bytes per element (`None` for variable-length strings).
    pub fn itemsize(self) -> Option<usize> {
        match self {
            Dtype::Bool => Some(1),
            Dtype::I32 | Dtype::F32 => Some(4),
            Dtype::I64 | Dtype::F64 => Some(8),
            Dtype::Str => None,
        }
    }

    fn from_zarr_name(name: &str) -> Option<Self> {
        Some(match name {
            "|b1" => Dtype::Bool,
            "<i4" => Dtype::I32,
            "<i8" => Dtype::I64,
            "<f4" => Dtype::F32,
            "<f8" => Dtype::F64,
            "|O" => Dtype::Str,
            _ => return None,
        })
    }
}

/// An error of the storage behind a [`StoreSource`].
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Read access to a store: whole values and byte ranges, keys relative to the store's root.
pub trait StoreSource {
    /// The whole value of `key`.
    ///
    /// # Errors
    /// Whatever the storage reports, for example a missing key.
    fn get(&mut self, key: &str) -> Result<Vec<u8>, SourceError>;

    /// Bytes `start..end` of `key`.
    ///
    /// # Errors
    /// Whatever the storage reports, for example a range past the end.
    fn get_range(&mut self, key: &str, start: u64, end: u64) -> Result<Vec<u8>, SourceError>;
}

/// An in-memory store (for tests, and for a plugin that fetched keys up front).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore(pub HashMap<String, Vec<u8>>);

impl FromIterator<(String, Vec<u8>)> for MemoryStore {
    fn from_iter<I: IntoIterator<Item = (String, Vec<u8>)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl StoreSource for MemoryStore {
    fn get(&mut self, key: &str) -> Result<Vec<u8>, SourceError> {
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| format!("no such key: {key}").into())
    }

    fn get_range(&mut self, key: &str, start: u64, end: u64) -> Result<Vec<u8>, SourceError> {
        let value = self
            .0
            .get(key)
            .ok_or_else(|| format!("no such key: {key}"))?;
        let (s, e) = (usize::try_from(start)?, usize::try_from(end)?);
        value.get(s..e).map(<[u8]>::to_vec).ok_or_else(|| {
            format!("range {start}..{end} out of {key} ({} bytes)", value.len()).into()
        })
    }
}

/// Why a store could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ZarrError {
    /// The storage failed to return a key.
    #[error("zarr: reading {key}: {source}")]
    Source {
        /// The key.
        key: String,
        /// What the storage reported.
        source: SourceError,
    },
    /// A key holds something this codec does not understand.
    #[error("zarr: {key}: {message}")]
    Invalid {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl ZarrError {
    pub(crate) fn invalid(key: &str, message: impl Into<String>) -> Self {
        ZarrError::Invalid {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// `get` with the error mapped to [`ZarrError::Source`].
pub(crate) fn fetch(src: &mut dyn StoreSource, key: &str) -> Result<Vec<u8>, ZarrError> {
    src.get(key).map_err(|source| ZarrError::Source {
        key: key.to_owned(),
        source,
    })
}

/// `get_range` with the error mapped to [`ZarrError::Source`].
pub(crate) fn fetch_range(
    src: &mut dyn StoreSource,
    key: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, ZarrError> {
    src.get_range(key, start, end)
        .map_err(|source| ZarrError::Source {
            key: key.to_owned(),
            source,
        })
}

/// `a/b` joining that treats `""` as the root.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}/{name}")
    }
}

#[cfg(test)]
mod tests;
