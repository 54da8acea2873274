//! `put-background` and `flush`: writes the host finishes on its own threads while the plugin
//! goes on computing.
//!
//! Ordering is kept simple and strict: every other storage call of the task first waits for all
//! the background writes started before it ([`BackgroundWrites::settle`]), so a plugin reads what
//! it wrote and a later `put` or `delete` of a key cannot be overtaken by an earlier write. The
//! bytes in flight are bounded by the task's memory limit (past it a new write first waits for
//! the earlier ones). A failure is kept until `flush` reports it, or until the task's end, where
//! the runtime turns an unreported failure into a failed task.

use bytes::Bytes;
use tokio::task::JoinSet;

use crate::storage::{Bucket, ObjectKey, StorageError};

/// The background writes of one task.
#[derive(Debug)]
pub(crate) struct BackgroundWrites {
    running: JoinSet<(u64, Result<(), StorageError>)>,
    in_flight: u64,
    max_in_flight: u64,
    failure: Option<StorageError>,
}

impl BackgroundWrites {
    /// Holds at most `max_in_flight` bytes not yet written.
    pub(crate) fn new(max_in_flight: u64) -> Self {
        Self {
            running: JoinSet::new(),
            in_flight: 0,
            max_in_flight,
            failure: None,
        }
    }

    /// Starts writing `data` to `key` of `bucket`, after waiting for the earlier writes when
    /// the bytes in flight would pass the bound.
    pub(crate) async fn start(&mut self, bucket: Bucket, key: ObjectKey, data: Bytes) {
        self.reap_finished();
        let size = data.len() as u64;
        if self.in_flight.saturating_add(size) > self.max_in_flight {
            self.settle().await;
        }
        self.in_flight += size;
        self.running
            .spawn(async move { (size, bucket.put(&key, data).await) });
    }

    /// Waits for every write started so far; their failures are kept for [`Self::take_failure`].
    pub(crate) async fn settle(&mut self) {
        while let Some(joined) = self.running.join_next().await {
            self.record(joined);
        }
    }

    /// Whether writes are still running.
    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.running.is_empty()
    }

    /// The first failure not yet reported, which it forgets.
    pub(crate) fn take_failure(&mut self) -> Option<StorageError> {
        self.failure.take()
    }

    fn reap_finished(&mut self) {
        while let Some(joined) = self.running.try_join_next() {
            self.record(joined);
        }
    }

    fn record(&mut self, joined: Result<(u64, Result<(), StorageError>), tokio::task::JoinError>) {
        let outcome = match joined {
            Ok((size, outcome)) => {
                self.in_flight -= size;
                outcome
            }
            Err(error) => Err(StorageError::Unavailable(format!(
                "a background write stopped: {error}"
            ))),
        };
        if let Err(error) = outcome {
            self.failure.get_or_insert(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;
    use object_store::path::Path;

    use super::*;

    fn bucket() -> Bucket {
        Bucket::new("b", Arc::new(InMemory::new()), Path::default())
    }

    #[tokio::test]
    async fn writes_land_and_the_bound_holds() {
        let bucket = bucket();
        let mut writes = BackgroundWrites::new(10);
        for i in 0..5u8 {
            let key = ObjectKey::parse(&format!("k{i}")).unwrap();
            writes
                .start(bucket.clone(), key, Bytes::from(vec![i; 6]))
                .await;
            assert!(writes.in_flight <= 12, "in flight {}", writes.in_flight);
        }
        writes.settle().await;
        assert!(writes.is_idle());
        assert_eq!(writes.in_flight, 0);
        assert_eq!(writes.take_failure(), None);
        for i in 0..5u8 {
            let key = ObjectKey::parse(&format!("k{i}")).unwrap();
            assert_eq!(bucket.get(&key, 100).await.unwrap(), vec![i; 6]);
        }
    }

    #[tokio::test]
    async fn the_first_failure_is_kept_until_taken() {
        // On a local folder, `a/b` cannot be written once `a` is a file.
        let dir = tempfile::tempdir().unwrap();
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        let bucket = Bucket::new("b", Arc::new(store), Path::default());
        let (a, ab) = (
            ObjectKey::parse("a").unwrap(),
            ObjectKey::parse("a/b").unwrap(),
        );
        bucket.put(&a, Bytes::from_static(b"file")).await.unwrap();
        let mut writes = BackgroundWrites::new(1 << 20);
        writes
            .start(bucket.clone(), ab.clone(), Bytes::from_static(b"1"))
            .await;
        writes
            .start(
                bucket.clone(),
                ObjectKey::parse("c").unwrap(),
                Bytes::from_static(b"2"),
            )
            .await;
        writes.settle().await;
        assert!(matches!(
            writes.take_failure(),
            Some(StorageError::Unavailable(_))
        ));
        assert_eq!(writes.take_failure(), None, "reported once");
        assert_eq!(writes.in_flight, 0);
        let c = ObjectKey::parse("c").unwrap();
        assert_eq!(
            bucket.get(&c, 10).await.unwrap(),
            &b"2"[..],
            "the other write landed"
        );
    }
}
