//! SQS -> host -> SNS benchmark against moto's server on loopback: the drain rate of
//! pre-sent Echo messages through a real `taskhost run` (default slots), and where the time
//! goes: the host's own CPU time per task against the time its AWS calls took (the
//! `taskhost_aws_request_seconds` histogram on the host's `/metrics`). The baseline, run in
//! the same process, is the AWS API alone: the same receives, publishes and batch deletes made
//! straight from this process with no host in between (moto's ceiling).
//!
//! `cargo xtask build-plugins && cargo build --release -p taskhost && TASKHOST_TEST_AWS_ENDPOINT=http://127.0.0.1:5000 cargo bench -p taskhost-e2e --bench sqs`
//! (`cargo xtask bench` starts moto itself).
#![allow(clippy::print_stdout, missing_docs)]

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use serde_json::json;
use taskhost_e2e::host_process::{HostConfig, RunningHost, testing_plugin};
use taskhost_e2e::sqs::{ResultTopic, TaskQueues, depth, result_topic, task_queues};

const TASKS: usize = 1_000;
const RUNS: usize = 3;

fn envelope(uuid: &str) -> String {
    json!({
        "uuid": uuid, "socketId": "bench", "experimentId": "bench",
        "timeout": taskhost_e2e::fresh_timeout(), "body": { "name": "Echo", "n": 1 }
    })
    .to_string()
}

async fn presend(queues: &TaskQueues, run: usize) {
    let uuids: Vec<String> = (0..TASKS).map(|i| format!("r{run}-t{i}")).collect();
    for chunk in uuids.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, uuid)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(envelope(uuid))
                    .build()
                    .expect("an entry")
            })
            .collect();
        queues
            .client
            .send_message_batch()
            .queue_url(&queues.url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("sent");
    }
}

/// Waits until the topic's queue holds `count` messages; returns when it did.
async fn wait_for_results(topic: &ResultTopic, count: u64) -> Instant {
    loop {
        let (visible, in_flight) = depth(&topic.sqs, &topic.queue_url).await;
        if visible + in_flight >= count {
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The AWS API alone: two loops (a default host's two slots) receiving 10, publishing each
/// message to the topic and deleting the batch.
async fn api_only(queues: &TaskQueues, topic: &ResultTopic) -> f64 {
    let sns = aws_sdk_sns::Client::new(&taskhost_e2e::aws::sdk_config().await);
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..2 {
        let (queues, sns, arn) = (queues.clone(), sns.clone(), topic.arn.clone());
        loops.push(tokio::spawn(async move {
            loop {
                let answer = queues
                    .client
                    .receive_message()
                    .queue_url(&queues.url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .expect("received");
                if answer.messages().is_empty() {
                    return;
                }
                let mut deletes = Vec::new();
                for (i, message) in answer.messages().iter().enumerate() {
                    sns.publish()
                        .topic_arn(&arn)
                        .message(message.body().unwrap_or_default())
                        .send()
                        .await
                        .expect("published");
                    deletes.push(
                        DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(message.receipt_handle().unwrap_or_default())
                            .build()
                            .expect("an entry"),
                    );
                }
                queues
                    .client
                    .delete_message_batch()
                    .queue_url(&queues.url)
                    .set_entries(Some(deletes))
                    .send()
                    .await
                    .expect("deleted");
            }
        }));
    }
    for handle in loops {
        handle.await.expect("a loop");
    }
    // The last empty receive waited 1 s per loop: not part of the drain.
    TASKS as f64 / (started.elapsed().as_secs_f64() - 1.0)
}

/// utime + stime of a process, in seconds (Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Per series of a histogram (its labels as written): `(labels, sum, count)`.
fn metric_series(page: &str, name: &str) -> Vec<(String, f64, f64)> {
    let value = |line: &str| {
        line.rsplit_once(' ')
            .and_then(|(_, v)| v.parse::<f64>().ok())
    };
    let labels = |line: &str, suffix: &str| {
        let rest = line.strip_prefix(&format!("{name}{suffix}"))?;
        Some(rest.rsplit_once(' ')?.0.to_owned())
    };
    let mut series: Vec<(String, f64, f64)> = Vec::new();
    for line in page.lines() {
        if let (Some(l), Some(v)) = (labels(line, "_sum"), value(line)) {
            series.push((l, v, 0.0));
        }
    }
    for line in page.lines() {
        if let (Some(l), Some(v)) = (labels(line, "_count"), value(line))
            && let Some(entry) = series.iter_mut().find(|(k, _, _)| *k == l)
        {
            entry.2 = v;
        }
    }
    series
}

struct HostRun {
    tasks_per_sec: f64,
    cpu_ms_per_task: f64,
    aws_ms_per_task: f64,
    /// Per AWS operation: `(labels, ms per task, calls per task)`.
    operations: Vec<(String, f64, f64)>,
}

async fn through_host(run: usize) -> HostRun {
    let queues = task_queues("bench", 5, 30).await;
    let topic = result_topic("bench").await;
    presend(&queues, run).await;
    let dir = taskhost_e2e::workspace_root().join(format!("target/bench-sqs/run-{run}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the target dir is writable");
    let config = HostConfig::new(&dir, &format!("bench-{run}"), vec![testing_plugin("echo")])
        .queue(&queues.url)
        .arg(&["--publish", &format!("sns://{}", topic.arn)])
        .envs(taskhost_e2e::aws::aws_env());
    let host = RunningHost::start(&config);
    let cpu_before = cpu_seconds(host.pid());
    let started = host.ready_at;
    let done = wait_for_results(&topic, TASKS as u64).await;
    let cpu = cpu_seconds(host.pid()) - cpu_before;
    let page = reqwest::get(format!("{}/metrics", host.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let series = metric_series(&page, taskhost_aws::REQUEST_SECONDS);
    let aws: f64 = series.iter().map(|(_, sum, _)| sum).sum();
    let per_task = TASKS as f64;
    let operations = series
        .into_iter()
        .map(|(labels, sum, count)| (labels, sum * 1e3 / per_task, count / per_task))
        .collect();
    HostRun {
        operations,
        tasks_per_sec: TASKS as f64 / done.duration_since(started).as_secs_f64(),
        cpu_ms_per_task: cpu * 1e3 / TASKS as f64,
        aws_ms_per_task: aws * 1e3 / TASKS as f64,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut baseline = Vec::new();
        let mut runs = Vec::new();
        for run in 0..RUNS {
            let queues = task_queues("baseline", 5, 30).await;
            let topic = result_topic("baseline").await;
            presend(&queues, run).await;
            baseline.push(api_only(&queues, &topic).await);
            runs.push(through_host(run).await);
        }
        let api = median(baseline);
        let rate = median(runs.iter().map(|r| r.tasks_per_sec).collect());
        let cpu = median(runs.iter().map(|r| r.cpu_ms_per_task).collect());
        let aws = median(runs.iter().map(|r| r.aws_ms_per_task).collect());
        println!("SQS -> host -> SNS on moto, {TASKS} Echo tasks, median of {RUNS}:");
        println!("  through taskhost run:  {rate:.0} tasks/s");
        println!(
            "  AWS API alone:         {api:.0} tasks/s (ratio {:.2})",
            rate / api
        );
        println!(
            "  per task: host CPU {cpu:.2} ms, AWS requests {aws:.2} ms (summed over calls); \
             host share {:.1} %",
            100.0 * cpu / (cpu + aws)
        );
        if let Some(last) = runs.last() {
            println!("  AWS requests of the last run, per task:");
            for (labels, ms, calls) in &last.operations {
                println!("    {labels}: {calls:.3} calls, {ms:.2} ms");
            }
        }
    });
}
