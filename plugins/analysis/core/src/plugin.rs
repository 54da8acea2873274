//! What the four analysis plugin crates share (feature `sdk`): where the prepared experiment
//! lives in the experiment's storage, an [`ExperimentStore`] that reads it through the SDK's
//! `storage` import, and the mapping of this crate's errors onto [`taskhost_sdk::Error`]
//! (which decides whether the host retries).
//!
//! | error | SDK failure |
//! |---|---|
//! | [`QueryError::InvalidInput`], malformed input files, impossible parameters | invalid input |
//! | [`QueryError::NotFound`], a missing 10x file, an unprepared experiment | not found |
//! | storage unavailable | retry later |
//! | [`QueryError::Corrupt`], other store failures, a PCA that does not converge | internal |

use std::time::Duration;

use taskhost_sdk::{Error, Storage, StorageError, storage};

use crate::hvg::HvgError;
use crate::pca::PcaError;
use crate::prepare::PrepareError;
use crate::query::QueryError;
use crate::tenx::ReadError;
use crate::zarr::{SourceError, StoreSource, ZarrError};

/// The folder of the AnnData Zarr store inside the experiment.
pub const STORE_DIR: &str = "adata.zarr";

/// The key of the cell sets inside the experiment.
pub const CELLSETS_KEY: &str = "cellsets.json";

/// The prepared experiment's store, read through the task's experiment scope; keys are
/// relative to [`STORE_DIR`].
#[derive(Debug, Clone)]
pub struct ExperimentStore {
    storage: Storage,
}

impl ExperimentStore {
    /// The store of the task's experiment.
    pub fn open() -> Self {
        Self {
            storage: storage::experiment(),
        }
    }
}

/// `key` of the store as a key of the experiment.
pub fn store_key(key: &str) -> String {
    format!("{STORE_DIR}/{key}")
}

impl StoreSource for ExperimentStore {
    fn get(&mut self, key: &str) -> Result<Vec<u8>, SourceError> {
        Ok(self.storage.get(&store_key(key))?)
    }

    fn get_range(&mut self, key: &str, start: u64, end: u64) -> Result<Vec<u8>, SourceError> {
        Ok(self.storage.get_range(&store_key(key), start..end)?)
    }
}

/// The experiment's `cellsets.json`, `None` when it has none.
///
/// # Errors
/// The storage failure, mapped by the SDK.
pub fn read_cellsets() -> Result<Option<Vec<u8>>, Error> {
    match storage::experiment().get(CELLSETS_KEY) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(StorageError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Maps a store failure: a missing key means the experiment was not prepared.
pub fn store_error(error: ZarrError) -> Error {
    if let ZarrError::Source { key, source } = &error {
        match source.downcast_ref::<StorageError>() {
            Some(StorageError::NotFound(_)) => {
                return Error::not_found(format!(
                    "the experiment has no prepared data ({STORE_DIR}/{key} is missing): run \
                     PrepareExperiment first"
                ));
            }
            Some(StorageError::Unavailable(_)) => {
                return Error::retry_later(Duration::from_secs(1), error.to_string());
            }
            _ => {}
        }
    }
    Error::internal(error.to_string())
}

/// Maps a query failure onto the SDK's failures (see the module table).
pub fn query_error(error: QueryError) -> Error {
    match error {
        QueryError::InvalidInput(m) => Error::invalid_input(m),
        QueryError::NotFound(m) => Error::not_found(m),
        QueryError::Corrupt(_) => Error::internal(error.to_string()),
        QueryError::Store(e) => store_error(e),
    }
}

/// Maps a `PrepareExperiment` failure onto the SDK's failures (see the module table).
pub fn prepare_error(error: PrepareError) -> Error {
    // A streamed matrix's reader carries the storage failure: a backend failure mid-read is
    // the storage's (retried), not a malformed file.
    if let PrepareError::Read(ReadError::Gzip { source, .. }) = &error
        && let Some(storage) =
            StorageError::from_io(source).filter(|e| !matches!(e, StorageError::Corrupt(_)))
    {
        return storage.clone().into();
    }
    match &error {
        PrepareError::Read(ReadError::Missing(_)) => Error::not_found(error.to_string()),
        PrepareError::Read(_)
        | PrepareError::Hvg(HvgError::InvalidInput(_) | HvgError::NoDispersion)
        | PrepareError::Pca(PcaError::InvalidInput(_) | PcaError::NotFinite) => {
            Error::invalid_input(error.to_string())
        }
        PrepareError::Pca(PcaError::NoConvergence | PcaError::Interrupted) => {
            Error::internal(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(key: &str, e: StorageError) -> ZarrError {
        ZarrError::Source {
            key: key.to_owned(),
            source: Box::new(e),
        }
    }

    #[test]
    fn a_missing_store_key_is_an_unprepared_experiment() {
        let e = query_error(QueryError::Store(source(
            "var/gene_ids/.zarray",
            StorageError::NotFound("x".into()),
        )));
        assert!(
            matches!(&e, Error::NotFound(m) if m.contains("adata.zarr/var/gene_ids/.zarray") && m.contains("PrepareExperiment")),
            "{e:?}"
        );
    }

    #[test]
    fn query_errors_keep_their_kind() {
        assert!(matches!(
            query_error(QueryError::InvalidInput("bad".into())),
            Error::InvalidInput(m) if m == "bad"
        ));
        assert!(matches!(
            query_error(QueryError::NotFound("CST4".into())),
            Error::NotFound(m) if m == "CST4"
        ));
        assert!(matches!(
            query_error(QueryError::Corrupt("x".into())),
            Error::Internal(_)
        ));
        assert!(matches!(
            query_error(QueryError::Store(source(
                "X",
                StorageError::Unavailable("down".into())
            ))),
            Error::RetryLater { .. }
        ));
        assert!(matches!(
            query_error(QueryError::Store(source(
                "X",
                StorageError::Denied("no".into())
            ))),
            Error::Internal(_)
        ));
    }

    #[test]
    fn prepare_errors_say_whether_a_retry_can_help() {
        assert!(matches!(
            prepare_error(PrepareError::Read(ReadError::Missing("matrix.mtx"))),
            Error::NotFound(m) if m.contains("matrix.mtx")
        ));
        assert!(matches!(
            prepare_error(PrepareError::Hvg(HvgError::NoDispersion)),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            prepare_error(PrepareError::Pca(PcaError::InvalidInput("k".into()))),
            Error::InvalidInput(_)
        ));
        assert!(matches!(
            prepare_error(PrepareError::Pca(PcaError::NoConvergence)),
            Error::Internal(_)
        ));
    }
}
