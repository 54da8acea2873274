//! The PostgreSQL backend against the conformance suite, on a real server.
//!
//! Each test creates a fresh database with a random name (each case gets its own schema in it)
//! and drops it at the end, also when the test fails. The server comes from
//! `TASKHOST_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); when it
//! is not reachable the tests fail, they never skip.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use taskhost_queue::conformance::{self, QueueFactory};
use taskhost_queue::postgres::{PostgresOptions, PostgresQueue};
use taskhost_queue::{QueueConfig, TaskQueue};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The tests of this file share one server: one test at a time (each runs cases in parallel).
static SERVER: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn server_url() -> String {
    std::env::var("TASKHOST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

async fn admin_connection(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap_or_else(|error| {
        panic!(
            "PostgreSQL is not reachable at {url}: {error}\n\
             Start it (the CI script does) or point TASKHOST_TEST_POSTGRES_URL at a server; \
             the PostgreSQL queue tests do not skip."
        )
    })
}

struct PgFactory {
    database_url: String,
    admin: PgPool,
    next_schema: AtomicUsize,
}

impl PgFactory {
    async fn new_schema(&self) -> String {
        let schema = format!("case_{}", self.next_schema.fetch_add(1, Ordering::Relaxed));
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&self.admin)
            .await
            .unwrap_or_else(|error| panic!("creating schema {schema}: {error}"));
        schema
    }

    async fn open(&self, schema: &str, config: QueueConfig) -> Arc<dyn TaskQueue> {
        let options = PostgresOptions {
            max_connections: 4,
            search_path: Some(schema.to_owned()),
            ..PostgresOptions::new(&self.database_url)
        };
        let queue = PostgresQueue::connect(options, config).await;
        Arc::new(queue.unwrap_or_else(|error| panic!("opening a PostgreSQL queue: {error}")))
    }
}

#[async_trait]
impl QueueFactory for PgFactory {
    async fn fresh(&self, config: QueueConfig) -> Arc<dyn TaskQueue> {
        let schema = self.new_schema().await;
        self.open(&schema, config).await
    }

    async fn fresh_shared(&self, config: QueueConfig, handles: usize) -> Vec<Arc<dyn TaskQueue>> {
        let schema = self.new_schema().await;
        let mut queues = Vec::new();
        for _ in 0..handles {
            queues.push(self.open(&schema, config).await);
        }
        queues
    }
}

/// Runs `test` with a factory on a fresh database, then drops the database, then reports.
async fn with_fresh_database<F, Fut>(test: F)
where
    F: FnOnce(Arc<PgFactory>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _server = SERVER.acquire().await.expect("the server semaphore");
    let server = server_url();
    let mut admin = admin_connection(&server).await;
    let database = format!("taskhost_queue_test_{:016x}", fastrand::u64(..));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|error| panic!("creating database {database}: {error}"));
    let options: PgConnectOptions = server.parse().expect("the server URL");
    let database_url = options.database(&database).to_url_lossy().to_string();
    let pool = match PgPoolOptions::new()
        .max_connections(2)
        .connect(&database_url)
        .await
    {
        Ok(pool) => pool,
        Err(error) => {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE {database} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            panic!("connecting to the fresh database {database}: {error}");
        }
    };
    let factory = Arc::new(PgFactory {
        database_url,
        admin: pool.clone(),
        next_schema: AtomicUsize::new(0),
    });
    let outcome = tokio::spawn(test(factory)).await;
    pool.close().await;
    let dropped = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE {database} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
    dropped.unwrap_or_else(|error| panic!("dropping database {database}: {error}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_conformance_suite() {
    with_fresh_database(|factory| async move {
        let passed = conformance::run_all(factory, 4)
            .await
            .unwrap_or_else(|failures| panic!("{failures}"));
        eprintln!("{passed} conformance cases passed on PostgreSQL");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_20_concurrent_claimers_over_1000_tasks_each_succeeds_once() {
    with_fresh_database(|factory| async move {
        conformance::concurrent_claimers_each_task_succeeds_once(factory, 4, 20, 1000).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_url_connects_and_migrates_once() {
    with_fresh_database(|factory| async move {
        let url = factory.database_url.clone();
        let queue = taskhost_queue::connect(&url, QueueConfig::default())
            .await
            .expect("connect");
        assert_eq!(queue.backend(), "postgres");
        assert!(queue.counts().await.expect("counts").is_empty());
        taskhost_queue::connect(&url, QueueConfig::default())
            .await
            .expect("a second host migrates nothing");
    })
    .await;
}
