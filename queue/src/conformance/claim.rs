//! Cases about what a claim returns: batch size, names, caps, order, run-after, workers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{LONG, QueueFactory, claim, quick, record, submit_many, task, uuids};
use crate::{ClaimRequest, Failure, QueueConfig, TaskResult, TaskState};

pub(super) async fn claim_respects_batch_size_and_name_filter(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "echo", "Echo", 5).await;
    submit_many(queue, "other", "Other", 3).await;

    let first = claim(queue, "w1", &["Echo"], 3, LONG).await;
    assert_eq!(first.len(), 3, "limit 3 gives 3 leases");
    assert!(
        first.iter().all(|lease| lease.name == "Echo"),
        "only the named tasks"
    );
    assert!(
        first
            .iter()
            .all(|lease| lease.attempt == 1 && lease.worker == "w1")
    );
    let tokens: HashSet<_> = first.iter().map(|lease| lease.token.clone()).collect();
    assert_eq!(tokens.len(), 3, "every lease has its own token");

    assert!(
        claim(queue, "w1", &[], 10, LONG).await.is_empty(),
        "no names claims nothing"
    );
    assert!(
        claim(queue, "w1", &["Echo"], 0, LONG).await.is_empty(),
        "limit 0 claims nothing"
    );
    assert!(
        claim(queue, "w1", &["Nope"], 10, LONG).await.is_empty(),
        "unknown names claim nothing"
    );

    let rest = claim(queue, "w2", &["Echo", "Other", "Echo"], 10, LONG).await;
    assert_eq!(
        rest.len(),
        5,
        "the 2 Echo left and the 3 Other, a repeated name counted once"
    );
    let all: HashSet<String> = uuids(&first).into_iter().chain(uuids(&rest)).collect();
    assert_eq!(all.len(), 8, "no task leased twice");
    assert!(
        claim(queue, "w3", &["Echo", "Other"], 10, LONG)
            .await
            .is_empty(),
        "leased tasks are not claimable"
    );
    let held = record(queue, &rest[0].uuid).await;
    assert_eq!(held.state, TaskState::Leased);
    assert_eq!(held.lease_owner.as_deref(), Some("w2"));
    assert_eq!(held.lease_token.as_ref(), Some(&rest[0].token));
}

pub(super) async fn claim_honours_per_name_caps_per_worker(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "prep", "PrepareExperiment", 3).await;
    submit_many(queue, "echo", "Echo", 3).await;
    let request = |worker: &str| {
        ClaimRequest::new(worker, &["PrepareExperiment", "Echo"], 10, LONG)
            .with_cap("PrepareExperiment", 1)
    };

    let first = queue.claim(&request("w1")).await.expect("claim");
    let preps: Vec<_> = first
        .iter()
        .filter(|lease| lease.name == "PrepareExperiment")
        .collect();
    assert_eq!(preps.len(), 1, "cap 1: one PrepareExperiment");
    assert_eq!(first.len(), 4, "and every Echo");
    assert!(
        queue.claim(&request("w1")).await.expect("claim").is_empty(),
        "w1 holds its one"
    );

    let other = queue.claim(&request("w2")).await.expect("claim");
    assert_eq!(
        other.len(),
        1,
        "the cap is per worker: w2 gets its own PrepareExperiment"
    );

    let held = preps[0];
    queue
        .complete(&held.uuid, &held.token, TaskResult::Json("{}".into()))
        .await
        .expect("complete");
    let again = queue.claim(&request("w1")).await.expect("claim");
    assert_eq!(again.len(), 1, "a finished lease frees the cap");
    assert_eq!(again[0].name, "PrepareExperiment");

    let zero =
        ClaimRequest::new("w3", &["PrepareExperiment"], 10, LONG).with_cap("PrepareExperiment", 0);
    submit_many(queue, "prep-more", "PrepareExperiment", 1).await;
    assert!(
        queue.claim(&zero).await.expect("claim").is_empty(),
        "cap 0 claims none of that name"
    );
}

pub(super) async fn claim_orders_by_priority_then_run_after_then_fifo(
    factory: Arc<dyn QueueFactory>,
) {
    let expected = ["b", "d", "f-old", "a", "c", "e"];
    let batch_queue = factory.fresh(quick()).await;
    submit_ordering_tasks(batch_queue.as_ref()).await;
    let batch = claim(batch_queue.as_ref(), "w1", &["Echo", "Other"], 10, LONG).await;
    assert_eq!(
        uuids(&batch),
        expected,
        "priority, then run_after, then submission order"
    );

    let single_queue = factory.fresh(quick()).await;
    submit_ordering_tasks(single_queue.as_ref()).await;
    let mut one_by_one = Vec::new();
    for _ in 0..6 {
        one_by_one.extend(uuids(
            &claim(single_queue.as_ref(), "w1", &["Echo", "Other"], 1, LONG).await,
        ));
    }
    assert_eq!(one_by_one, expected, "one at a time, same order");
}

async fn submit_ordering_tasks(queue: &dyn crate::TaskQueue) {
    let mut tasks = Vec::new();
    for (uuid, priority) in [("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1)] {
        let mut new = task(uuid, "Echo");
        new.priority = priority;
        tasks.push(new);
    }
    let mut old = task("f-old", "Other");
    old.run_after = Some(Utc::now() - chrono::Duration::seconds(60));
    tasks.push(old);
    queue.submit(tasks).await.expect("submit");
}

pub(super) async fn claim_skips_tasks_whose_run_after_is_in_the_future(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut later = task("later", "Echo");
    later.run_after = Some(Utc::now() + chrono::Duration::milliseconds(400));
    queue.submit(vec![later]).await.expect("submit");
    assert!(
        claim(queue, "w1", &["Echo"], 10, LONG).await.is_empty(),
        "not before run_after"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        uuids(&claim(queue, "w1", &["Echo"], 10, LONG).await),
        ["later"],
        "claimable once it comes"
    );
}

pub(super) async fn retry_on_different_worker_skips_workers_that_tried(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut picky = task("picky", "Echo");
    picky.retry_on_different_worker = true;
    picky.max_attempts = 5;
    queue
        .submit(vec![picky, task("plain", "Echo")])
        .await
        .expect("submit");
    // w2 is live (it claims), but not for Echo yet.
    assert!(claim(queue, "w2", &["Other"], 10, LONG).await.is_empty());

    let leases = claim(queue, "w1", &["Echo"], 10, LONG).await;
    assert_eq!(leases.len(), 2);
    for lease in &leases {
        queue
            .fail(&lease.uuid, &lease.token, Failure::retry("boom"))
            .await
            .expect("fail");
    }
    assert_eq!(record(queue, "picky").await.tried_by, ["w1"]);

    let again = claim(queue, "w1", &["Echo"], 10, LONG).await;
    assert_eq!(
        uuids(&again),
        ["plain"],
        "w1 tried picky and w2 is live: w1 must leave it"
    );
    let second = claim(queue, "w2", &["Echo"], 10, LONG).await;
    assert_eq!(uuids(&second), ["picky"], "w2 has not tried it");
    assert_eq!(second[0].attempt, 2);
    queue
        .fail("picky", &second[0].token, Failure::retry("boom again"))
        .await
        .expect("fail");
    assert_eq!(record(queue, "picky").await.tried_by, ["w1", "w2"]);

    let third = claim(queue, "w1", &["Echo"], 10, LONG).await;
    assert_eq!(
        uuids(&third),
        ["picky"],
        "every live worker tried it: any may take it again"
    );
    queue
        .fail("picky", &third[0].token, Failure::retry("and again"))
        .await
        .expect("fail");
    assert_eq!(
        record(queue, "picky").await.tried_by,
        ["w1", "w2"],
        "tried_by lists a worker once"
    );
}

pub(super) async fn retry_on_different_worker_ignores_workers_no_longer_live(
    factory: Arc<dyn QueueFactory>,
) {
    let config = QueueConfig {
        worker_ttl: Duration::from_millis(300),
        ..quick()
    };
    let queue = factory.fresh(config).await;
    let queue = queue.as_ref();
    let mut picky = task("picky", "Echo");
    picky.retry_on_different_worker = true;
    queue.submit(vec![picky]).await.expect("submit");
    assert!(claim(queue, "w2", &["Other"], 10, LONG).await.is_empty());
    let lease = claim(queue, "w1", &["Echo"], 10, LONG).await.remove(0);
    queue
        .fail(&lease.uuid, &lease.token, Failure::retry("boom"))
        .await
        .expect("fail");
    assert!(
        claim(queue, "w1", &["Echo"], 10, LONG).await.is_empty(),
        "w2 is live"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        uuids(&claim(queue, "w1", &["Echo"], 10, LONG).await),
        ["picky"],
        "w2 went silent: w1 may retry"
    );
}

/// The single-statement claims merge names by priority while each name keeps its cap, counting
/// leases the worker already holds; a cap never lets the batch exceed `limit`.
pub(super) async fn claim_merges_names_by_priority_under_caps_and_limit(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut tasks = Vec::new();
    for (uuid, name, priority) in [
        ("p-low-1", "Prep", 0),
        ("e-high-1", "Echo", 9),
        ("p-high-1", "Prep", 8),
        ("p-high-2", "Prep", 8),
        ("e-mid-1", "Echo", 5),
        ("o-top-1", "Other", 10),
        ("e-low-1", "Echo", 0),
    ] {
        let mut new = task(uuid, name);
        new.priority = priority;
        tasks.push(new);
    }
    queue.submit(tasks).await.expect("submit");
    let request = ClaimRequest::new("w1", &["Echo", "Prep"], 3, LONG).with_cap("Prep", 1);
    let first = queue.claim(&request).await.expect("claim");
    assert_eq!(
        uuids(&first),
        ["e-high-1", "p-high-1", "e-mid-1"],
        "by priority across names, Prep capped at 1, Other not named"
    );
    let second = queue.claim(&request).await.expect("claim");
    assert_eq!(
        uuids(&second),
        ["e-low-1"],
        "the held Prep lease still counts against its cap"
    );
    let other_worker = ClaimRequest::new("w2", &["Echo", "Prep"], 1, LONG).with_cap("Prep", 5);
    assert_eq!(
        uuids(&queue.claim(&other_worker).await.expect("claim")),
        ["p-high-2"],
        "the cap is per worker and the limit still holds"
    );
    let names = ClaimRequest::new("w3", &["Prep", "Prep", "Other"], 10, LONG);
    assert_eq!(
        uuids(&queue.claim(&names).await.expect("claim")),
        ["o-top-1", "p-low-1"],
        "a name listed twice is claimed once"
    );
}
