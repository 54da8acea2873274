//! The conformance suite every [`StorageBackend`] passes. Each backend's test calls
//! [`check_backend`] on a fresh, empty instance; a difference found between backends becomes a
//! new case here. Local and memory run in this crate's tests; S3 (against moto) in the
//! end-to-end tests, through the `conformance` feature.

use std::sync::Arc;
use std::time::Duration;

use super::{ObjectKey, PresignMethod, StorageBackend, StorageBackendExt, StorageError};

fn key(k: &str) -> ObjectKey {
    ObjectKey::parse(k).expect("test keys are valid")
}

/// Runs every case against `backend`, which must be empty.
pub async fn check_backend(backend: Arc<dyn StorageBackend>) {
    round_trip_and_overwrite(&*backend).await;
    missing_objects_are_not_found(&*backend).await;
    ranges_clamp_at_the_end(&*backend).await;
    reads_over_the_limit_are_too_large(&*backend).await;
    listing_matches_text_prefixes(&*backend).await;
    scopes_and_buckets_are_isolated(&*backend).await;
    delete_is_idempotent(&*backend).await;
    presigned_urls_name_the_object(&*backend).await;
}

async fn round_trip_and_overwrite(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-a").unwrap();
    b.put(&key("x/y.bin"), vec![1, 2, 3].into()).await.unwrap();
    assert_eq!(
        b.get(&key("x/y.bin"), 100).await.unwrap().as_ref(),
        &[1, 2, 3]
    );
    b.put(&key("x/y.bin"), vec![4].into()).await.unwrap();
    assert_eq!(b.get(&key("x/y.bin"), 100).await.unwrap().as_ref(), &[4]);
    let info = b.head(&key("x/y.bin")).await.unwrap();
    assert_eq!((info.key.as_str(), info.size), ("x/y.bin", 1));
    assert!(info.last_modified_ms > 0);
    b.put(&key("empty"), Vec::new().into()).await.unwrap();
    assert!(b.get(&key("empty"), 0).await.unwrap().is_empty());
}

async fn missing_objects_are_not_found(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-missing").unwrap();
    let missing = key("nope/none");
    assert!(matches!(
        b.get(&missing, 10).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        b.head(&missing).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        b.get_range(&missing, 0, 4).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        b.get_range(&missing, 0, 0).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(b.list(None, 10).await.unwrap(), vec![]);
}

async fn ranges_clamp_at_the_end(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-range").unwrap();
    let k = key("r");
    b.put(&k, (0u8..10).collect::<Vec<_>>().into())
        .await
        .unwrap();
    assert_eq!(b.get_range(&k, 2, 3).await.unwrap().as_ref(), &[2, 3, 4]);
    assert_eq!(b.get_range(&k, 8, 100).await.unwrap().as_ref(), &[8, 9]);
    assert!(b.get_range(&k, 10, 5).await.unwrap().is_empty());
    assert!(b.get_range(&k, 50, 5).await.unwrap().is_empty());
    assert!(b.get_range(&k, 3, 0).await.unwrap().is_empty());
    assert_eq!(b.get_range(&k, 0, u64::MAX).await.unwrap().len(), 10);
}

async fn reads_over_the_limit_are_too_large(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-limit").unwrap();
    b.put(&key("big"), vec![0; 100].into()).await.unwrap();
    assert!(matches!(
        b.get(&key("big"), 99).await,
        Err(StorageError::TooLarge(_))
    ));
    assert_eq!(b.get(&key("big"), 100).await.unwrap().len(), 100);
}

async fn listing_matches_text_prefixes(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-list").unwrap();
    for k in ["m/a1", "m/a2", "m/b1", "m/sub/a3", "n/a1", "top"] {
        b.put(&key(k), vec![7].into()).await.unwrap();
    }
    let keys = |v: Vec<super::ObjectInfo>| v.into_iter().map(|i| i.key).collect::<Vec<_>>();
    let all = keys(b.list(None, 100).await.unwrap());
    assert_eq!(all, ["m/a1", "m/a2", "m/b1", "m/sub/a3", "n/a1", "top"]);
    let prefix = ObjectKey::parse_prefix("m/a").unwrap();
    assert_eq!(
        keys(b.list(prefix.as_ref(), 100).await.unwrap()),
        ["m/a1", "m/a2"]
    );
    let folder = ObjectKey::parse_prefix("m/").unwrap();
    assert_eq!(
        keys(b.list(folder.as_ref(), 100).await.unwrap()),
        ["m/a1", "m/a2", "m/b1", "m/sub/a3"]
    );
    let none = ObjectKey::parse_prefix("zz").unwrap();
    assert!(b.list(none.as_ref(), 100).await.unwrap().is_empty());
    assert!(matches!(
        b.list(None, 5).await,
        Err(StorageError::TooLarge(_))
    ));
}

async fn scopes_and_buckets_are_isolated(backend: &dyn StorageBackend) {
    let experiments = backend.bucket("conformance-exp").unwrap();
    let e1 = experiments.within("e1").unwrap();
    let e2 = experiments.within("e2").unwrap();
    e1.put(&key("data"), vec![1].into()).await.unwrap();
    assert!(matches!(
        e2.get(&key("data"), 10).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(
        experiments.get(&key("e1/data"), 10).await.unwrap().as_ref(),
        &[1]
    );
    let listed: Vec<String> = e1
        .list(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.key)
        .collect();
    assert_eq!(listed, ["data"]);
    let other = backend.bucket("conformance-other").unwrap();
    assert!(matches!(
        other.get(&key("e1/data"), 10).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(experiments.within("..").is_err());
    assert!(experiments.within("a/b").is_err());
}

async fn delete_is_idempotent(backend: &dyn StorageBackend) {
    let b = backend.bucket("conformance-del").unwrap();
    b.put(&key("d"), vec![1].into()).await.unwrap();
    b.delete(&key("d")).await.unwrap();
    b.delete(&key("d")).await.unwrap();
    assert!(matches!(
        b.head(&key("d")).await,
        Err(StorageError::NotFound(_))
    ));
}

async fn presigned_urls_name_the_object(backend: &dyn StorageBackend) {
    let k = key("p/q.json");
    let url = backend
        .presign(
            PresignMethod::Get,
            "conformance-a",
            &k,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(url.path().ends_with("/conformance-a/p/q.json"), "{url}");
    if let Some(signer) = backend.host_signer("conformance-a") {
        let q = |n: &str| {
            url.query_pairs()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let expires: u64 = q("expires").parse().unwrap();
        signer
            .verify(
                PresignMethod::Get,
                "conformance-a",
                &k,
                expires,
                &q("signature"),
            )
            .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::HostSignedStorage;
    use url::Url;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:8080/").unwrap()
    }

    #[tokio::test]
    async fn local_filesystem_backend_conforms() {
        let dir = tempfile::tempdir().unwrap();
        let backend = HostSignedStorage::local(dir.path(), url(), b"k".to_vec()).unwrap();
        check_backend(Arc::new(backend)).await;
        // Bucket `B` is the folder `B/` under the root.
        assert!(dir.path().join("conformance-a/x/y.bin").is_file());
    }

    #[tokio::test]
    async fn memory_backend_conforms() {
        check_backend(Arc::new(HostSignedStorage::memory(url(), b"k".to_vec()))).await;
    }
}
