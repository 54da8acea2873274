//! The SQLite backend: the zero-setup default, one file.
//!
//! - WAL journal, `synchronous = NORMAL` (a committed task survives a crash of the process; a
//!   power loss may lose the last transactions), a busy timeout for other processes (the CLI)
//!   using the same file.
//! - Writes go through **one** connection (behind a lock), so writers of this process queue in
//!   order instead of spinning on `SQLITE_BUSY`; every write transaction is `BEGIN IMMEDIATE`,
//!   taking the write lock up front, so it never fails half-way on a lock upgrade. A single
//!   write statement outside a transaction (claim, complete, complete_many, ...) takes the write
//!   lock before it reads, the same guarantee in one call. Reads (`get`,
//!   `counts`, `dead_letters`) use a small separate pool and run beside the writer (WAL).
//! - Time comes from the host's clock (Unix milliseconds): one process on one machine decides
//!   every lease, so there is no second clock to disagree with.
//! - `wait_for_work` is an in-process signal (submit, release, retry, redrive wake it) with
//!   the timeout as polling fallback (tasks submitted by another process, `run_after` coming).

mod admin;
mod lease;
mod rows;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Sqlite, SqliteConnection, Transaction};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::config::QueueConfig;
use crate::error::{QueueError, db};
use crate::queue::TaskQueue;
use crate::signal::WorkSignal;
use crate::types::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, ReapReport, RedriveTarget, StateCount,
    SubmitReport, TaskRecord, TaskResult,
};

const BACKEND: &str = "sqlite";

/// The migrations, in order. Additive only: add a file, never edit one.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "create tasks",
    include_str!("migrations/0001_create_tasks.sql"),
)];

/// Options of the SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file (created with its folder when missing).
    pub path: PathBuf,
    /// How long a write waits for another process holding the lock.
    pub busy_timeout: Duration,
    /// Connections for reads.
    pub read_connections: u32,
}

impl SqliteOptions {
    /// Defaults for the file at `path`: 5 s busy timeout, 2 read connections.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            busy_timeout: Duration::from_secs(5),
            read_connections: 2,
        }
    }
}

/// The SQLite queue.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    /// The one write connection. A mutex rather than a pool of one: sqlx's pool pings a
    /// connection when it is returned (one more round trip to the connection's thread on every
    /// call, in a spawned task); a lock hands the connection over directly. `None` once closed.
    write: Arc<Mutex<Option<SqliteConnection>>>,
    read: SqlitePool,
    config: QueueConfig,
    signal: Arc<WorkSignal>,
}

impl SqliteQueue {
    /// Opens (or creates) the queue database and applies the migrations.
    pub async fn open(options: SqliteOptions, config: QueueConfig) -> Result<Self, QueueError> {
        create_parent_folder(&options.path)?;
        let connect = SqliteConnectOptions::new()
            .filename(&options.path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true);
        let mut write = connect
            .connect()
            .await
            .map_err(db(BACKEND, "opening the database"))?;
        migrator()
            .run_direct(None, &mut write, false)
            .await
            .map_err(|source| QueueError::Migrate {
                backend: BACKEND,
                source,
            })?;
        // No ping before each acquire (sqlx's default): a connection to a file in this process
        // cannot have gone away.
        let read = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(options.read_connections.max(1))
            .connect_with(connect.read_only(true))
            .await
            .map_err(db(BACKEND, "opening read connections"))?;
        Ok(Self {
            write: Arc::new(Mutex::new(Some(write))),
            read,
            config,
            signal: Arc::new(WorkSignal::default()),
        })
    }

    /// The write connection, waiting for the other writers of this queue.
    async fn writer(
        &self,
        step: &'static str,
    ) -> Result<MappedMutexGuard<'_, SqliteConnection>, QueueError> {
        MutexGuard::try_map(self.write.lock().await, Option::as_mut).map_err(|_| {
            QueueError::Database {
                backend: BACKEND,
                step,
                source: sqlx::Error::PoolClosed,
            }
        })
    }

    /// Closes the write connection and the read pool.
    pub async fn close(&self) {
        let conn = self.write.lock().await.take();
        if let Some(conn) = conn
            && let Err(error) = conn.close().await
        {
            tracing::warn!(backend = BACKEND, %error, "closing the write connection");
        }
        self.read.close().await;
    }
}

/// Begins a write transaction holding the write lock (`BEGIN IMMEDIATE`).
async fn begin_write<'c>(
    conn: &'c mut SqliteConnection,
    step: &'static str,
) -> Result<Transaction<'c, Sqlite>, QueueError> {
    conn.begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(db(BACKEND, step))
}

fn create_parent_folder(path: &Path) -> Result<(), QueueError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|error| QueueError::Database {
                backend: BACKEND,
                step: "creating the database folder",
                source: sqlx::Error::Io(error),
            })
        }
        _ => Ok(()),
    }
}

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name("_taskhost_queue_migrations");
    migrator
}

/// The host clock in the database's unit (Unix milliseconds).
fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored time (Unix milliseconds) as a `DateTime`, clamped to chrono's range.
fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The current state of a task, for the error of a fenced call that changed nothing.
async fn lease_lost(conn: &mut SqliteConnection, uuid: &str) -> QueueError {
    match rows::state_of(conn, uuid).await {
        Ok(Some(state)) => QueueError::LeaseLost {
            uuid: uuid.to_owned(),
            state,
        },
        Ok(None) => QueueError::NotFound(uuid.to_owned()),
        Err(error) => error,
    }
}

#[async_trait]
impl TaskQueue for SqliteQueue {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn submit(&self, tasks: Vec<NewTask>) -> Result<SubmitReport, QueueError> {
        self.submit_tasks(tasks).await
    }

    async fn claim(&self, request: &ClaimRequest) -> Result<Vec<Lease>, QueueError> {
        self.claim_tasks(request).await
    }

    async fn heartbeat(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        self.extend_lease(uuid, token, lease_for).await
    }

    async fn complete(
        &self,
        uuid: &str,
        token: &LeaseToken,
        result: TaskResult,
    ) -> Result<(), QueueError> {
        self.complete_task(uuid, token, result).await
    }

    async fn complete_many(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        self.complete_tasks(completions).await
    }

    async fn fail(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        self.fail_task(uuid, token, failure).await
    }

    async fn release(&self, uuid: &str, token: &LeaseToken) -> Result<(), QueueError> {
        self.release_task(uuid, token).await
    }

    async fn expire(&self, uuid: &str, token: &LeaseToken, reason: &str) -> Result<(), QueueError> {
        self.expire_task(uuid, token, reason).await
    }

    async fn cancel(&self, uuid: &str) -> Result<CancelOutcome, QueueError> {
        self.cancel_task(uuid).await
    }

    async fn get(&self, uuid: &str) -> Result<Option<TaskRecord>, QueueError> {
        self.get_task(uuid).await
    }

    async fn dead_letters(&self, page: PageRequest) -> Result<Page, QueueError> {
        self.list_dead(page).await
    }

    async fn redrive(&self, target: RedriveTarget) -> Result<u64, QueueError> {
        self.redrive_dead(target).await
    }

    async fn counts(&self) -> Result<Vec<StateCount>, QueueError> {
        self.count_tasks().await
    }

    async fn reap(&self) -> Result<ReapReport, QueueError> {
        self.reap_expired().await
    }

    async fn wait_for_work(&self, timeout: Duration) -> bool {
        self.signal.wait(timeout).await
    }
}
