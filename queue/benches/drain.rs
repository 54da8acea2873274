//! Drain benchmark: submit 10,000 tasks, then drain them (claims in batches of 2 x cores,
//! a small JSON result per task) on SQLite and on PostgreSQL; prints the median tasks/s of
//! several runs, and the drain rate as a ratio of the submit rate (batched INSERTs into the same
//! database, measured in the same run: a baseline that moves with the machine's load), then
//! the submit-to-claim latency of a claimer waiting in `wait_for_work`.
//! `cargo bench -p taskhost-queue` (PostgreSQL from `TASKHOST_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, in a fresh database dropped after).
//! `TASKHOST_BENCH_BACKENDS=sqlite` (or `postgres`) measures one backend only.
#![allow(clippy::print_stdout, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use taskhost_queue::postgres::{PostgresOptions, PostgresQueue};
use taskhost_queue::sqlite::{SqliteOptions, SqliteQueue};
use taskhost_queue::{ClaimRequest, Completion, NewTask, QueueConfig, TaskQueue, TaskResult};

const TASKS: usize = 10_000;
const RUNS: usize = 5;
const SUBMIT_BATCH: usize = 1_000;

#[derive(Clone, Copy, Debug)]
enum Completes {
    EachTask,
    PerBatch,
}

struct Figures {
    submit: Vec<f64>,
    drain: Vec<f64>,
    ratio: Vec<f64>,
}

const LATENCY_PROBES: usize = 200;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn envelope(uuid: &str) -> String {
    format!(
        r#"{{"uuid":"{uuid}","socketId":"bench","experimentId":"e1","body":{{"name":"Echo","n":1}}}}"#
    )
}

async fn submit_all(queue: &dyn TaskQueue, run: usize) -> Duration {
    let started = Instant::now();
    let uuids: Vec<String> = (0..TASKS).map(|i| format!("run{run}-task{i}")).collect();
    for chunk in uuids.chunks(SUBMIT_BATCH) {
        let tasks = chunk
            .iter()
            .map(|uuid| NewTask::new(uuid.clone(), "Echo", envelope(uuid)))
            .collect();
        queue.submit(tasks).await.expect("submit");
    }
    started.elapsed()
}

/// `drainers` loops (one per core) claiming `2 x cores` at a time until the queue is empty.
async fn drain(
    queue: Arc<dyn TaskQueue>,
    drainers: usize,
    batch: u32,
    completes: Completes,
) -> (Duration, usize) {
    let started = Instant::now();
    let mut loops = Vec::new();
    for index in 0..drainers {
        let queue = Arc::clone(&queue);
        loops.push(tokio::spawn(async move {
            let request = ClaimRequest::new(
                format!("bench-{index}"),
                &["Echo"],
                batch,
                Duration::from_secs(60),
            );
            let mut done = 0;
            loop {
                let leases = queue.claim(&request).await.expect("claim");
                if leases.is_empty() {
                    return done;
                }
                done += leases.len();
                match completes {
                    Completes::EachTask => {
                        for lease in leases {
                            let result = TaskResult::Json(r#"{"results":[{"body":"ok"}]}"#.into());
                            queue
                                .complete(&lease.uuid, &lease.token, result)
                                .await
                                .expect("complete");
                        }
                    }
                    Completes::PerBatch => {
                        let completions = leases
                            .into_iter()
                            .map(|lease| Completion {
                                uuid: lease.uuid,
                                token: lease.token,
                                result: TaskResult::Json(r#"{"results":[{"body":"ok"}]}"#.into()),
                            })
                            .collect();
                        let report = queue
                            .complete_many(completions)
                            .await
                            .expect("complete_many");
                        assert!(report.lease_lost.is_empty());
                    }
                }
            }
        }));
    }
    let mut total = 0;
    for handle in loops {
        total += handle.await.expect("drainer");
    }
    (started.elapsed(), total)
}

async fn measure<F, Fut>(label: &str, open: F, completes: Completes)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Arc<dyn TaskQueue>>,
{
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut figures = Figures {
        submit: Vec::new(),
        drain: Vec::new(),
        ratio: Vec::new(),
    };
    for run in 0..RUNS {
        let queue = open(run).await;
        let submitted = submit_all(queue.as_ref(), run).await;
        let (drained, count) = drain(Arc::clone(&queue), cores, 2 * cores as u32, completes).await;
        assert_eq!(count, TASKS, "every task drained once");
        figures.submit.push(TASKS as f64 / submitted.as_secs_f64());
        figures.drain.push(TASKS as f64 / drained.as_secs_f64());
        figures
            .ratio
            .push(submitted.as_secs_f64() / drained.as_secs_f64());
    }
    println!(
        "{label:<10} completes={:<9} submit {:>8.0} tasks/s   drain {:>8.0} tasks/s   drain/submit {:>5.2}   (median of {RUNS}; {cores} drainers, claim batch {})",
        format!("{completes:?}"),
        median(&mut figures.submit),
        median(&mut figures.drain),
        median(&mut figures.ratio),
        2 * cores
    );
}

/// Submit-to-claim latency: one claimer loops claim -> `wait_for_work`, one task is submitted
/// at a time (after the previous one was claimed and completed); prints p50 and p99.
async fn latency(label: &str, queue: Arc<dyn TaskQueue>) {
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    let claimer = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let request = ClaimRequest::new("latency", &["Echo"], 1, Duration::from_secs(60));
            let mut sent: std::collections::HashMap<String, Instant> = Default::default();
            let mut seen = 0;
            while seen < LATENCY_PROBES {
                let leases = queue.claim(&request).await.expect("claim");
                let claimed_at = Instant::now();
                while let Ok((uuid, at)) = sent_rx.try_recv() {
                    sent.insert(uuid, at);
                }
                if leases.is_empty() {
                    queue.wait_for_work(Duration::from_secs(1)).await;
                    continue;
                }
                for lease in leases {
                    let at = match sent.remove(&lease.uuid) {
                        Some(at) => at,
                        None => sent_rx.recv().await.expect("sent").1,
                    };
                    seen_tx.send(claimed_at - at).expect("seen");
                    queue
                        .complete(&lease.uuid, &lease.token, TaskResult::Json("{}".into()))
                        .await
                        .expect("complete");
                    seen += 1;
                }
            }
        })
    };
    let mut latencies = Vec::with_capacity(LATENCY_PROBES);
    for i in 0..LATENCY_PROBES {
        let uuid = format!("latency-{i}");
        // Let the claimer fall asleep in wait_for_work first.
        tokio::time::sleep(Duration::from_millis(2)).await;
        let at = Instant::now();
        sent_tx.send((uuid.clone(), at)).expect("send");
        queue
            .submit(vec![NewTask::new(uuid.clone(), "Echo", envelope(&uuid))])
            .await
            .expect("submit");
        latencies.push(seen_rx.recv().await.expect("a latency probe"));
    }
    claimer.await.expect("claimer");
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<10} submit-to-claim latency p50 {:>6.2} ms   p99 {:>6.2} ms   ({LATENCY_PROBES} tasks, one at a time)",
        ms(latencies[LATENCY_PROBES / 2]),
        ms(latencies[LATENCY_PROBES * 99 / 100]),
    );
}

fn wanted(backend: &str) -> bool {
    std::env::var("TASKHOST_BENCH_BACKENDS").map_or(true, |list| {
        list.split(',').any(|item| item.trim() == backend)
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        if wanted("sqlite") {
            sqlite().await;
        }
        if wanted("postgres") {
            postgres().await;
        }
    });
}

async fn open_sqlite(path: std::path::PathBuf) -> Arc<dyn TaskQueue> {
    let queue = SqliteQueue::open(SqliteOptions::new(path), QueueConfig::default()).await;
    Arc::new(queue.expect("sqlite"))
}

async fn sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    for completes in [Completes::EachTask, Completes::PerBatch] {
        let base = dir.path().join(format!("{completes:?}"));
        measure(
            "sqlite",
            |run| open_sqlite(base.join(format!("run-{run}.db"))),
            completes,
        )
        .await;
    }
    latency("sqlite", open_sqlite(dir.path().join("latency.db")).await).await;
}

async fn open_postgres(url: String, schema: String) -> Arc<dyn TaskQueue> {
    let mut conn = PgConnection::connect(&url).await.expect("connect");
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("schema");
    let options = PostgresOptions {
        search_path: Some(schema),
        ..PostgresOptions::new(url)
    };
    let queue = PostgresQueue::connect(options, QueueConfig::default())
        .await
        .expect("postgres");
    Arc::new(queue)
}

async fn postgres() {
    let server = std::env::var("TASKHOST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut admin = match PgConnection::connect(&server).await {
        Ok(admin) => admin,
        Err(error) => {
            println!("postgres   not measured: {server} is not reachable: {error}");
            std::process::exit(1);
        }
    };
    let database = format!("taskhost_queue_bench_{:016x}", fastrand::u64(..));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut admin)
        .await
        .expect("create db");
    let options: PgConnectOptions = server.parse().expect("url");
    let url = options.database(&database).to_url_lossy().to_string();
    for completes in [Completes::EachTask, Completes::PerBatch] {
        measure(
            "postgres",
            |run| {
                let schema = format!("bench_{completes:?}_{run}").to_lowercase();
                open_postgres(url.clone(), schema)
            },
            completes,
        )
        .await;
    }
    latency(
        "postgres",
        open_postgres(url.clone(), "bench_latency".to_owned()).await,
    )
    .await;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE {database} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop db");
}
