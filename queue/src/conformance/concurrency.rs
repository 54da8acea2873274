//! The load case: many claimers over one queue, each task succeeds exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{QueueFactory, quick, submit_many};
use crate::{ClaimRequest, Completion, TaskQueue, TaskResult, TaskState};

/// `claimers` workers (each its own worker id, spread over `queues` queue handles on the same
/// storage, as separate hosts would be) drain `tasks` tasks concurrently; half complete one at
/// a time, half with `complete_many`. Every task must succeed exactly once, no completion may
/// lose its lease, and no task may be leased twice.
pub async fn concurrent_claimers_each_task_succeeds_once(
    factory: Arc<dyn QueueFactory>,
    queues: usize,
    claimers: usize,
    tasks: usize,
) {
    let handles: Vec<Arc<dyn TaskQueue>> = factory.fresh_shared(quick(), queues.max(1)).await;
    let first = Arc::clone(&handles[0]);
    let uuids = submit_many(first.as_ref(), "load", "Echo", tasks).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut running = Vec::new();
    for index in 0..claimers {
        let queue = Arc::clone(&handles[index % handles.len()]);
        running.push(tokio::spawn(async move {
            let worker = format!("worker-{index}");
            let request = ClaimRequest::new(worker.clone(), &["Echo"], 4, Duration::from_secs(60));
            let mut done: Vec<String> = Vec::new();
            let mut idle_rounds = 0;
            while idle_rounds < 3 && Instant::now() < deadline {
                let leases = queue
                    .claim(&request)
                    .await
                    .unwrap_or_else(|error| panic!("{worker}: claim: {error}"));
                if leases.is_empty() {
                    idle_rounds += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                idle_rounds = 0;
                for lease in &leases {
                    assert_eq!(lease.attempt, 1, "{}: leased twice", lease.uuid);
                }
                if index % 2 == 0 {
                    for lease in leases {
                        let result = TaskResult::Json(format!(r#"{{"by":"{worker}"}}"#));
                        queue
                            .complete(&lease.uuid, &lease.token, result)
                            .await
                            .unwrap_or_else(|error| {
                                panic!("{worker}: complete {}: {error}", lease.uuid)
                            });
                        done.push(lease.uuid);
                    }
                } else {
                    let completions: Vec<Completion> = leases
                        .iter()
                        .map(|lease| Completion {
                            uuid: lease.uuid.clone(),
                            token: lease.token.clone(),
                            result: TaskResult::Json(format!(r#"{{"by":"{worker}"}}"#)),
                        })
                        .collect();
                    let report = queue
                        .complete_many(completions)
                        .await
                        .unwrap_or_else(|error| panic!("{worker}: complete_many: {error}"));
                    assert!(
                        report.lease_lost.is_empty(),
                        "{worker}: lost {:?}",
                        report.lease_lost
                    );
                    done.extend(leases.into_iter().map(|lease| lease.uuid));
                }
            }
            done
        }));
    }
    let mut completions: HashMap<String, usize> = HashMap::new();
    for handle in running {
        for uuid in handle
            .await
            .unwrap_or_else(|error| panic!("a claimer failed: {error}"))
        {
            *completions.entry(uuid).or_default() += 1;
        }
    }
    let twice: Vec<_> = completions
        .iter()
        .filter(|(_, count)| **count > 1)
        .collect();
    assert!(
        twice.is_empty(),
        "tasks completed more than once: {twice:?}"
    );
    assert_eq!(completions.len(), tasks, "every task completed");
    for uuid in &uuids {
        assert!(completions.contains_key(uuid), "{uuid} never completed");
    }
    let counts = first.counts().await.expect("counts");
    let succeeded: u64 = counts
        .iter()
        .filter(|count| count.state == TaskState::Succeeded)
        .map(|count| count.count)
        .sum();
    let total: u64 = counts.iter().map(|count| count.count).sum();
    assert_eq!(
        (succeeded, total),
        (tasks as u64, tasks as u64),
        "all succeeded, nothing else: {counts:?}"
    );
}
