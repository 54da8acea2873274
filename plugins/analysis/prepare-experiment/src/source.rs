//! Reading the 10x folder from the granted source bucket: list the folder, pick its files
//! (direct children only), fetch them.

use taskhost_analysis::tenx::{self, TenxFileNames};
use taskhost_sdk::{Decoding, Error, ObjectReader, Storage, StorageError, storage};

/// The source folder's files, as stored.
pub struct SourceFiles {
    /// The bucket and prefix, for messages.
    pub location: String,
    /// The keys of the 10x files.
    pub names: TenxFileNames,
    /// The key of a `cellsets.json` beside them, if there is one.
    pub cellsets: Option<String>,
    /// The stored size of the matrix file, from the listing.
    pub matrix_size: u64,
    bucket_name: String,
    bucket: Storage,
}

/// `sourceMatrixPath` as a listing prefix: no leading `/`, a trailing `/` unless empty.
pub fn folder_prefix(path: &str) -> String {
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    }
}

/// A storage failure on the source bucket: a denied bucket is the operator's grant to fix, and
/// retrying cannot help, so the task is refused (dead-lettered) with that advice.
fn source_error(bucket: &str, e: StorageError) -> Error {
    match e {
        StorageError::Denied(_) => Error::invalid_input(format!(
            "source bucket {bucket:?} is not readable by this plugin; the operator grants it \
             with --grant prepare-experiment=read:{bucket}"
        )),
        StorageError::NotFound(m) => Error::not_found(format!("in bucket {bucket:?}: {m}")),
        e => e.into(),
    }
}

impl SourceFiles {
    /// Lists `prefix` of `bucket` and picks the 10x files.
    ///
    /// # Errors
    /// Denied bucket (invalid input), a missing file (not found), storage failures.
    pub fn find(bucket_name: &str, prefix: &str) -> Result<Self, Error> {
        let bucket = storage::bucket(bucket_name);
        let location = format!("{bucket_name}/{prefix}");
        let children: Vec<(String, u64)> = bucket
            .list(prefix)
            .map_err(|e| source_error(bucket_name, e))?
            .into_iter()
            .map(|m| (m.key, m.size))
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|rest| !rest.contains('/'))
            })
            .collect();
        let keys: Vec<&str> = children.iter().map(|(k, _)| k.as_str()).collect();
        let names =
            tenx::find_files(&keys).map_err(|e| Error::not_found(format!("{location}: {e}")))?;
        let cellsets = keys
            .iter()
            .find(|k| k.rsplit('/').next() == Some("cellsets.json"))
            .map(|k| (*k).to_owned());
        let matrix_size = children
            .iter()
            .find(|(k, _)| *k == names.matrix)
            .map_or(0, |(_, size)| *size);
        Ok(Self {
            location,
            names,
            cellsets,
            matrix_size,
            bucket_name: bucket_name.to_owned(),
            bucket,
        })
    }

    /// Reads one object of the folder.
    ///
    /// # Errors
    /// The storage failure, mapped as in [`SourceFiles::find`].
    pub fn read(&self, key: &str) -> Result<Vec<u8>, Error> {
        self.bucket
            .get(key)
            .map_err(|e| source_error(&self.bucket_name, e))
    }

    /// Opens one object of the folder for a streamed read, gunzipped by the host.
    ///
    /// # Errors
    /// The storage failure, mapped as in [`SourceFiles::find`].
    pub fn open_gunzipped(&self, key: &str) -> Result<ObjectReader, Error> {
        self.bucket
            .open_read(key, Decoding::Gunzip)
            .map_err(|e| source_error(&self.bucket_name, e))
    }
}

#[cfg(test)]
mod tests {
    use super::folder_prefix;

    #[test]
    fn prefixes_are_relative_folders() {
        assert_eq!(folder_prefix("pbmc/hg19/"), "pbmc/hg19/");
        assert_eq!(folder_prefix("pbmc/hg19"), "pbmc/hg19/");
        assert_eq!(folder_prefix("/pbmc"), "pbmc/");
        assert_eq!(folder_prefix(""), "");
        assert_eq!(folder_prefix("/"), "");
    }
}
