//! The SQLite backend against the conformance suite, each case on its own file in a temp dir.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use taskhost_queue::conformance::{self, QueueFactory};
use taskhost_queue::sqlite::{SqliteOptions, SqliteQueue};
use taskhost_queue::{QueueConfig, TaskQueue};
use tempfile::TempDir;

struct SqliteFactory {
    dir: TempDir,
    next: AtomicUsize,
}

impl SqliteFactory {
    fn new() -> Arc<Self> {
        let dir = tempfile::tempdir().expect("a temp dir");
        Arc::new(Self {
            dir,
            next: AtomicUsize::new(0),
        })
    }

    fn new_path(&self) -> std::path::PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.dir.path().join(format!("case-{n}")).join("queue.db")
    }
}

#[async_trait]
impl QueueFactory for SqliteFactory {
    async fn fresh(&self, config: QueueConfig) -> Arc<dyn TaskQueue> {
        let queue = SqliteQueue::open(SqliteOptions::new(self.new_path()), config).await;
        Arc::new(queue.unwrap_or_else(|error| panic!("opening a SQLite queue: {error}")))
    }

    async fn fresh_shared(&self, config: QueueConfig, handles: usize) -> Vec<Arc<dyn TaskQueue>> {
        let path = self.new_path();
        let mut queues: Vec<Arc<dyn TaskQueue>> = Vec::new();
        for _ in 0..handles {
            let queue = SqliteQueue::open(SqliteOptions::new(&path), config).await;
            queues.push(Arc::new(
                queue.unwrap_or_else(|error| panic!("opening a SQLite queue: {error}")),
            ));
        }
        queues
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_conformance_suite() {
    let passed = conformance::run_all(SqliteFactory::new(), 4)
        .await
        .unwrap_or_else(|failures| panic!("{failures}"));
    eprintln!("{passed} conformance cases passed on SQLite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_claimers_each_task_succeeds_once() {
    // Two handles on one file stand for two processes sharing it (busy timeout, BEGIN IMMEDIATE).
    conformance::concurrent_claimers_each_task_succeeds_once(SqliteFactory::new(), 2, 6, 1000)
        .await;
}

#[tokio::test]
async fn sqlite_url_opens_and_creates_the_folder() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/taskhost-data/queue.db").display()
    );
    let queue = taskhost_queue::connect(&url, QueueConfig::default())
        .await
        .expect("connect");
    assert_eq!(queue.backend(), "sqlite");
    assert!(queue.counts().await.expect("counts").is_empty());
    // Opening an existing database again applies no migration twice.
    taskhost_queue::connect(&url, QueueConfig::default())
        .await
        .expect("reopen");
    assert!(matches!(
        taskhost_queue::connect("mysql://nope", QueueConfig::default()).await,
        Err(taskhost_queue::QueueError::UnsupportedUrl(_))
    ));
}
