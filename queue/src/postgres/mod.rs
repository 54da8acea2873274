//! The PostgreSQL backend: one queue shared by many hosts.
//!
//! - Claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never
//!   wait on each other nor take the same task; a claim is one statement after the worker's
//!   row is touched (which serialises one worker's claims, so its per-name caps hold).
//!   Claims commit with `synchronous_commit = off` (see `queries/claim_settings.sql`): a claim
//!   lost in a server crash is like a reaped lease (the task is queued again, its holder gets
//!   `LeaseLost`). Completions, failures and every other write commit synchronously.
//! - **Every lease decision uses the database's clock** (`now()`): lease expiry, heartbeats,
//!   `run_after`, the reaper, backoff and the live-worker window. Hosts' clocks may disagree;
//!   they only send durations.
//! - Submits, releases, retries and redrives `NOTIFY` a channel per schema; each queue keeps
//!   one `LISTEN` connection (reconnected when lost) that wakes `wait_for_work`, whose timeout
//!   is the polling fallback.
//! - Migrations run under sqlx's advisory lock, so hosts starting together are safe; their
//!   table is `_taskhost_queue_migrations`, apart from other crates' migrations.

mod admin;
mod lease;
mod listen;
mod rows;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::config::QueueConfig;
use crate::error::{QueueError, db};
use crate::queue::TaskQueue;
use crate::signal::WorkSignal;
use crate::types::{
    CancelOutcome, ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, Heartbeat,
    Lease, LeaseToken, NewTask, Page, PageRequest, ReapReport, RedriveTarget, StateCount,
    SubmitReport, TaskRecord, TaskResult,
};

const BACKEND: &str = "postgres";

/// The migrations, in order. Additive only: add a file, never edit one.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "create tasks",
    include_str!("migrations/0001_create_tasks.sql"),
)];

/// Options of the PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// `postgres://user@host:port/database`.
    pub url: String,
    /// Pool size for queue calls (one more connection is kept for LISTEN).
    pub max_connections: u32,
    /// The schema holding the queue's tables (`search_path`); `None`: the server's default.
    pub search_path: Option<String>,
}

impl PostgresOptions {
    /// Defaults: 8 connections, the default schema.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            search_path: None,
        }
    }
}

/// The PostgreSQL queue.
#[derive(Debug, Clone)]
pub struct PostgresQueue {
    pool: PgPool,
    config: QueueConfig,
    signal: Arc<WorkSignal>,
    _listener: Arc<listen::ListenTask>,
}

impl PostgresQueue {
    /// Connects, applies the migrations and starts listening for work.
    pub async fn connect(
        options: PostgresOptions,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        let mut connect: PgConnectOptions = options
            .url
            .parse()
            .map_err(db(BACKEND, "parsing the URL"))?;
        if let Some(schema) = &options.search_path {
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1) + 1)
            .connect_with(connect)
            .await
            .map_err(db(BACKEND, "connecting"))?;
        migrator()
            .run(&pool)
            .await
            .map_err(|source| QueueError::Migrate {
                backend: BACKEND,
                source,
            })?;
        let signal = Arc::new(WorkSignal::default());
        let listener = listen::ListenTask::start(&pool, Arc::clone(&signal)).await?;
        Ok(Self {
            pool,
            config,
            signal,
            _listener: Arc::new(listener),
        })
    }

    /// Wakes listeners of this queue (after its transaction committed).
    async fn notify(&self, conn: &mut PgConnection) -> Result<(), QueueError> {
        sqlx::query(include_str!("queries/notify.sql"))
            .execute(conn)
            .await
            .map_err(db(BACKEND, "notifying workers"))?;
        Ok(())
    }

    async fn begin(
        &self,
        step: &'static str,
    ) -> Result<Transaction<'static, Postgres>, QueueError> {
        self.pool.begin().await.map_err(db(BACKEND, step))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
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

/// Milliseconds as the `float8` the interval arithmetic takes.
fn millis_f64(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The error of a fenced call that changed nothing: the task's state now, or not found.
async fn lease_lost(conn: &mut PgConnection, uuid: &str) -> QueueError {
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
impl TaskQueue for PostgresQueue {
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
