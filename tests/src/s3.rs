//! S3 fixtures on the test server: fresh buckets, and the host's own S3 backend
//! (`taskhost::storage::CloudStorage`) for staging inputs and reading outputs.

use std::path::Path;
use std::sync::Arc;

use taskhost::storage::{CloudStorage, Layout, ObjectKey, StorageBackend, StorageBackendExt};

use crate::aws::{endpoint, sdk_config, unique_name};

/// Creates a bucket named after `prefix` (unique per run) and returns its name.
pub async fn bucket(prefix: &str) -> String {
    let name = unique_name(prefix);
    // moto creates buckets on an unsigned path-style PUT, like S3 with anonymous writes.
    let response = reqwest::Client::new()
        .put(format!("{}/{name}", endpoint()))
        .send()
        .await
        .expect("the AWS test server answers");
    assert!(
        response.status().is_success(),
        "creating bucket {name}: {}",
        response.status()
    );
    name
}

/// The S3 location `url` holding buckets as `layout` says, on the test configuration.
pub async fn storage(url: &str, layout: Layout) -> Arc<dyn StorageBackend> {
    let url = url::Url::parse(url).expect("a valid S3 URL");
    let storage = CloudStorage::s3(&sdk_config().await, &url, layout)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    Arc::new(storage)
}

/// Copies the files of the local folder `from` into `bucket` (of `storage`) under `prefix/`.
pub async fn upload_folder(storage: &dyn StorageBackend, bucket: &str, prefix: &str, from: &Path) {
    let bucket = storage.bucket(bucket).expect("a valid bucket name");
    for entry in std::fs::read_dir(from).expect("the folder is readable") {
        let path = entry.expect("a file").path();
        if !path.is_file() {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).expect("a name");
        let key = ObjectKey::parse(&format!("{prefix}/{name}")).expect("a valid key");
        let data = std::fs::read(&path).expect("the file is readable");
        bucket
            .put(&key, data.into())
            .await
            .unwrap_or_else(|e| panic!("uploading {key}: {e}"));
    }
}
