//! [`StorageLocation`]: where a backend is, as `--storage` and `--bucket` name it, and
//! [`Layout`]: how that place holds buckets.

use std::fmt;
use std::sync::Arc;

use object_store::path::Path;
use url::Url;

use super::{CloudStorage, HmacSigner, HostSignedStorage, StorageBackend, StorageError};

/// How one store holds buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Bucket `B` is the folder `B/` under the location (the `--storage` root).
    Folders,
    /// The location is the one bucket of this name (a `--bucket <name>=<location>` mount).
    Single(String),
}

impl Layout {
    /// Where `bucket`'s keys start in a store whose location is at `prefix`.
    pub(crate) fn base(&self, prefix: &Path, bucket: &str) -> Result<Path, StorageError> {
        match self {
            Self::Folders => Ok(prefix.clone().join(bucket)),
            Self::Single(name) if name == bucket => Ok(prefix.clone()),
            Self::Single(name) => Err(StorageError::NotFound(format!(
                "bucket {bucket:?}: this location holds bucket {name:?} only"
            ))),
        }
    }
}

/// Where a storage backend is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    /// A local folder (a plain path or `file://`).
    Local(std::path::PathBuf),
    /// `memory://`: in this process only.
    Memory,
    /// `s3://bucket[/prefix]`, `gs://bucket[/prefix]`, `az://container[/prefix]`.
    Cloud(Url),
}

/// The URL schemes of [`StorageLocation::Cloud`].
const CLOUD_SCHEMES: [&str; 6] = ["s3", "s3a", "gs", "az", "abfs", "abfss"];

impl StorageLocation {
    /// Parses a `--storage` value or the location of a `--bucket` mount.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value == "memory://" || value == "memory" {
            return Ok(Self::Memory);
        }
        if let Some(path) = value.strip_prefix("file://") {
            return Ok(Self::Local(path.into()));
        }
        let Some((scheme, _)) = value.split_once("://") else {
            return Ok(Self::Local(value.into()));
        };
        if !CLOUD_SCHEMES.contains(&scheme) {
            return Err(format!(
                "storage `{value}`: unknown scheme `{scheme}://` (supported: a local folder, \
                 file://, memory://, s3://, gs://, az://)"
            ));
        }
        let url = Url::parse(value).map_err(|e| format!("storage `{value}`: {e}"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "storage `{value}`: name the bucket, as in {scheme}://<bucket>/<prefix>"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "storage `{value}`: no query or fragment; set options with the backend's \
                 environment variables (AWS_*, GOOGLE_*, AZURE_*)"
            ));
        }
        Ok(Self::Cloud(url))
    }

    /// Opens the backend with `layout`; URLs the host serves itself are signed by `signer`.
    pub async fn open(
        &self,
        layout: Layout,
        signer: &HmacSigner,
    ) -> Result<Arc<dyn StorageBackend>, StorageError> {
        Ok(match self {
            Self::Local(path) => {
                Arc::new(HostSignedStorage::local_with(path, layout, signer.clone())?)
            }
            Self::Memory => Arc::new(HostSignedStorage::memory_with(layout, signer.clone())),
            Self::Cloud(url) => Arc::new(CloudStorage::open(url, layout).await?),
        })
    }
}

impl fmt::Display for StorageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(path) => write!(f, "{}", path.display()),
            Self::Memory => f.write_str("memory://"),
            Self::Cloud(url) => f.write_str(url.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            StorageLocation::parse("memory://"),
            Ok(StorageLocation::Memory)
        );
        assert_eq!(
            StorageLocation::parse("file:///srv/data"),
            Ok(StorageLocation::Local("/srv/data".into()))
        );
        assert_eq!(
            StorageLocation::parse("./data"),
            Ok(StorageLocation::Local("./data".into()))
        );
        for cloud in ["s3://bucket/prefix", "gs://b", "az://container/p/q"] {
            let parsed = StorageLocation::parse(cloud).unwrap();
            assert_eq!(parsed.to_string(), cloud);
        }
    }

    #[test]
    fn bad_locations_say_why() {
        let cases = [
            ("ftp://x/y", "unknown scheme"),
            ("s3:///prefix", "name the bucket"),
            ("s3://b/p?region=x", "no query"),
        ];
        for (value, reason) in cases {
            let error = StorageLocation::parse(value).unwrap_err();
            assert!(error.contains(reason), "{value}: {error}");
        }
    }

    #[test]
    fn layouts_place_buckets() {
        let prefix = Path::from("prod");
        assert_eq!(
            Layout::Folders.base(&prefix, "results").unwrap().as_ref(),
            "prod/results"
        );
        assert_eq!(
            Layout::Folders
                .base(&Path::default(), "results")
                .unwrap()
                .as_ref(),
            "results"
        );
        let single = Layout::Single("source".into());
        assert_eq!(single.base(&prefix, "source").unwrap().as_ref(), "prod");
        assert!(matches!(
            single.base(&prefix, "other"),
            Err(StorageError::NotFound(_))
        ));
    }
}
