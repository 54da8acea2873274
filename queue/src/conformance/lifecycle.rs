//! Cases about a lease's life: heartbeat, reap, retries, dead letters, fencing, release, expire,
//! completion.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{LONG, QueueFactory, claim, quick, record, submit_many, task};
use crate::{
    Completion, FailOutcome, Failure, FailureKind, QueueConfig, QueueError, RetryPolicy,
    TaskResult, TaskState,
};

fn json(text: &str) -> TaskResult {
    TaskResult::Json(text.to_owned())
}

fn assert_lease_lost<T: std::fmt::Debug>(result: Result<T, QueueError>, what: &str) {
    match result {
        Err(QueueError::LeaseLost { .. }) => {}
        other => panic!("{what}: expected LeaseLost, got {other:?}"),
    }
}

pub(super) async fn heartbeat_extends_the_lease(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, Duration::from_millis(300))
        .await
        .remove(0);
    let beat = queue
        .heartbeat(&lease.uuid, &lease.token, Duration::from_secs(30))
        .await
        .expect("heartbeat");
    assert!(
        beat.lease_expires_at > lease.lease_expires_at,
        "the expiry moved later"
    );
    assert!(!beat.cancel_requested);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        queue.reap().await.expect("reap").moved(),
        0,
        "an extended lease is not reaped"
    );
    assert_eq!(record(queue, &lease.uuid).await.state, TaskState::Leased);
    queue
        .complete(&lease.uuid, &lease.token, json("{}"))
        .await
        .expect("complete");
}

pub(super) async fn expired_lease_is_reaped_with_backoff(factory: Arc<dyn QueueFactory>) {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(400),
        max_delay: Duration::from_secs(5),
        jitter: 0.0,
    };
    let queue = factory.fresh(QueueConfig { retry, ..quick() }).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    assert_eq!(
        queue.reap().await.expect("reap").moved(),
        0,
        "nothing to reap"
    );
    let lease = claim(queue, "w1", &["Echo"], 1, Duration::from_millis(100))
        .await
        .remove(0);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let report = queue.reap().await.expect("reap");
    assert_eq!((report.requeued, report.dead, report.cancelled), (1, 0, 0));
    let task = record(queue, &lease.uuid).await;
    assert_eq!(task.state, TaskState::Queued);
    assert_eq!(task.attempt, 1, "the lost attempt counts");
    assert_eq!(task.tried_by, ["w1"]);
    assert!(
        task.last_error
            .as_deref()
            .unwrap_or("")
            .contains("lease expired"),
        "{:?}",
        task.last_error
    );
    let backoff = task.run_after - task.updated_at;
    assert!(
        backoff >= chrono::Duration::milliseconds(350),
        "backoff applied: {backoff}"
    );
    assert!(
        claim(queue, "w2", &["Echo"], 1, LONG).await.is_empty(),
        "not before the backoff"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = claim(queue, "w2", &["Echo"], 1, LONG).await;
    assert_eq!(again.len(), 1, "claimable after the backoff");
    assert_eq!(again[0].attempt, 2);
}

pub(super) async fn max_attempts_exhausted_is_dead(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut new = task("t", "Echo");
    new.max_attempts = 2;
    queue.submit(vec![new]).await.expect("submit");
    let first = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    let outcome = queue
        .fail("t", &first.token, Failure::retry("first"))
        .await
        .expect("fail");
    assert!(
        matches!(outcome, FailOutcome::Retrying { attempt: 1, .. }),
        "{outcome:?}"
    );
    let second = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    assert_eq!(second.attempt, 2);
    let outcome = queue
        .fail("t", &second.token, Failure::retry("second"))
        .await
        .expect("fail");
    assert_eq!(outcome, FailOutcome::Dead);
    let task = record(queue, "t").await;
    assert_eq!((task.state, task.attempt), (TaskState::Dead, 2));
    assert_eq!(task.last_error.as_deref(), Some("second"));
    assert!(task.finished_at.is_some());
    assert!(claim(queue, "w1", &["Echo"], 1, LONG).await.is_empty());
}

pub(super) async fn expired_lease_on_last_attempt_is_dead(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut new = task("t", "Echo");
    new.max_attempts = 1;
    queue.submit(vec![new]).await.expect("submit");
    claim(queue, "w1", &["Echo"], 1, Duration::from_millis(50)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = queue.reap().await.expect("reap");
    assert_eq!((report.requeued, report.dead), (0, 1));
    assert_eq!(record(queue, "t").await.state, TaskState::Dead);
}

pub(super) async fn invalid_input_is_dead_at_once_with_reason(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let mut new = task("t", "Echo");
    new.max_attempts = 5;
    queue.submit(vec![new]).await.expect("submit");
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    let reason = "the envelope lacks body.name";
    let outcome = queue
        .fail("t", &lease.token, Failure::invalid_input(reason))
        .await
        .expect("fail");
    assert_eq!(outcome, FailOutcome::Dead);
    let task = record(queue, "t").await;
    assert_eq!((task.state, task.attempt), (TaskState::Dead, 1), "no retry");
    assert_eq!(task.last_error.as_deref(), Some(reason));
    let page = queue
        .dead_letters(crate::PageRequest::first(10))
        .await
        .expect("dead letters");
    assert_eq!(page.tasks.len(), 1);
    assert_eq!(page.tasks[0].last_error.as_deref(), Some(reason));
}

pub(super) async fn final_failure_is_failed_not_dead(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    let error_message = r#"{"response":{"error":true}}"#;
    let failure = Failure {
        result: Some(json(error_message)),
        ..Failure::final_failure("not found")
    };
    assert_eq!(
        queue
            .fail(&lease.uuid, &lease.token, failure)
            .await
            .expect("fail"),
        FailOutcome::Failed
    );
    let task = record(queue, &lease.uuid).await;
    assert_eq!(task.state, TaskState::Failed);
    assert_eq!(task.result, Some(json(error_message)));
    assert!(
        queue
            .dead_letters(crate::PageRequest::first(10))
            .await
            .expect("dead letters")
            .tasks
            .is_empty()
    );
}

pub(super) async fn retry_after_from_the_plugin_is_honoured(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    let failure = Failure {
        kind: FailureKind::Retry {
            after: Some(Duration::from_secs(60)),
        },
        ..Failure::retry("busy")
    };
    let outcome = queue
        .fail(&lease.uuid, &lease.token, failure)
        .await
        .expect("fail");
    let FailOutcome::Retrying { run_after, .. } = outcome else {
        panic!("expected a retry, got {outcome:?}")
    };
    let wait = run_after - Utc::now();
    assert!(
        wait > chrono::Duration::seconds(50) && wait < chrono::Duration::seconds(70),
        "{wait}"
    );
    assert!(claim(queue, "w1", &["Echo"], 1, LONG).await.is_empty());
}

pub(super) async fn stale_worker_cannot_touch_the_new_attempt(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let stale = claim(queue, "w1", &["Echo"], 1, Duration::from_millis(50))
        .await
        .remove(0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(queue.reap().await.expect("reap").requeued, 1);
    let fresh = claim(queue, "w2", &["Echo"], 1, LONG).await.remove(0);
    assert_ne!(fresh.token, stale.token);

    let uuid = stale.uuid.as_str();
    assert_lease_lost(queue.heartbeat(uuid, &stale.token, LONG).await, "heartbeat");
    assert_lease_lost(
        queue.complete(uuid, &stale.token, json("{}")).await,
        "complete",
    );
    assert_lease_lost(
        queue.fail(uuid, &stale.token, Failure::retry("x")).await,
        "fail retry",
    );
    assert_lease_lost(
        queue
            .fail(uuid, &stale.token, Failure::invalid_input("x"))
            .await,
        "fail invalid",
    );
    assert_lease_lost(queue.expire(uuid, &stale.token, "late").await, "expire");
    assert_lease_lost(queue.release(uuid, &stale.token).await, "release");
    let many = queue
        .complete_many(vec![Completion {
            uuid: uuid.to_owned(),
            token: stale.token.clone(),
            result: json("{}"),
        }])
        .await
        .expect("complete_many");
    assert_eq!(
        (many.completed, many.lease_lost.as_slice()),
        (0, [uuid.to_owned()].as_slice())
    );

    let task = record(queue, uuid).await;
    assert_eq!(
        task.state,
        TaskState::Leased,
        "the new attempt is untouched"
    );
    assert_eq!(task.lease_owner.as_deref(), Some("w2"));
    assert_eq!(task.lease_token.as_ref(), Some(&fresh.token));
    assert_eq!(task.attempt, 2);
    assert_eq!(task.result, None);
    queue
        .complete(uuid, &fresh.token, json(r#"{"ok":true}"#))
        .await
        .expect("the new holder completes");
}

pub(super) async fn fenced_calls_on_finished_or_unknown_tasks(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    queue
        .complete(&lease.uuid, &lease.token, json("{}"))
        .await
        .expect("complete");
    match queue
        .complete(&lease.uuid, &lease.token, json(r#"{"twice":1}"#))
        .await
    {
        Err(QueueError::LeaseLost {
            state: TaskState::Succeeded,
            ..
        }) => {}
        other => panic!("a second completion must be LeaseLost(succeeded), got {other:?}"),
    }
    assert_lease_lost(
        queue.heartbeat(&lease.uuid, &lease.token, LONG).await,
        "heartbeat after completion",
    );
    assert_eq!(
        record(queue, &lease.uuid).await.result,
        Some(json("{}")),
        "the first result stays"
    );
    match queue.heartbeat("no-such-task", &lease.token, LONG).await {
        Err(QueueError::NotFound(_)) => {}
        other => panic!("unknown task: expected NotFound, got {other:?}"),
    }
    match queue
        .complete(&lease.uuid, &lease.token, json("{not json"))
        .await
    {
        Err(QueueError::InvalidResult { .. }) => {}
        other => panic!("invalid JSON result: expected InvalidResult, got {other:?}"),
    }
}

pub(super) async fn complete_after_expiry_but_before_reap_is_accepted(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, Duration::from_millis(50))
        .await
        .remove(0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    queue
        .complete(&lease.uuid, &lease.token, json("{}"))
        .await
        .expect("nobody took it over: accepted");
    assert_eq!(queue.reap().await.expect("reap").moved(), 0);
    assert_eq!(record(queue, &lease.uuid).await.state, TaskState::Succeeded);
}

pub(super) async fn release_does_not_count_an_attempt(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    queue
        .release(&lease.uuid, &lease.token)
        .await
        .expect("release");
    let task = record(queue, &lease.uuid).await;
    assert_eq!((task.state, task.attempt), (TaskState::Queued, 0));
    assert!(task.tried_by.is_empty(), "a release is not a try");
    assert_lease_lost(
        queue.release(&lease.uuid, &lease.token).await,
        "second release",
    );
    let again = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    assert_eq!(again.attempt, 1);
    assert_ne!(again.token, lease.token, "a new lease, a new token");
}

pub(super) async fn expire_records_expired_with_reason(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    let reason = "deadline 2020-01-01T00:00:00Z passed before the task ran";
    queue
        .expire(&lease.uuid, &lease.token, reason)
        .await
        .expect("expire");
    let task = record(queue, &lease.uuid).await;
    assert_eq!(task.state, TaskState::Expired);
    assert_eq!(task.last_error.as_deref(), Some(reason));
    assert!(task.finished_at.is_some());
    assert_lease_lost(
        queue.expire(&lease.uuid, &lease.token, reason).await,
        "second expire",
    );
    assert!(claim(queue, "w1", &["Echo"], 1, LONG).await.is_empty());
}

pub(super) async fn complete_many_completes_and_reports_lost_leases(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 3).await;
    let leases = claim(queue, "w1", &["Echo"], 3, LONG).await;
    let mut completions: Vec<Completion> = leases
        .iter()
        .map(|lease| Completion {
            uuid: lease.uuid.clone(),
            token: lease.token.clone(),
            result: json("[1]"),
        })
        .collect();
    let bad = vec![Completion {
        result: json("nope"),
        ..completions[0].clone()
    }];
    assert!(matches!(
        queue.complete_many(bad).await,
        Err(QueueError::InvalidResult { .. })
    ));
    assert_eq!(
        record(queue, &leases[0].uuid).await.state,
        TaskState::Leased,
        "a rejected batch changes nothing"
    );
    completions.push(Completion {
        token: crate::LeaseToken("stale".into()),
        ..completions[1].clone()
    });
    let report = queue
        .complete_many(completions)
        .await
        .expect("complete_many");
    assert_eq!(report.completed, 3);
    assert_eq!(report.lease_lost, [leases[1].uuid.clone()]);
    for lease in &leases {
        assert_eq!(record(queue, &lease.uuid).await.state, TaskState::Succeeded);
    }
    assert_eq!(
        queue
            .complete_many(Vec::new())
            .await
            .expect("empty batch")
            .completed,
        0
    );
}

pub(super) async fn results_are_stored_as_sent(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 2).await;
    let leases = claim(queue, "w1", &["Echo"], 2, LONG).await;
    let message = r#"{"request":{"z":1,  "a":[2]},"results":[]}"#;
    queue
        .complete(&leases[0].uuid, &leases[0].token, json(message))
        .await
        .expect("complete");
    let key = TaskResult::StorageKey("results/t-1.json".into());
    queue
        .complete(&leases[1].uuid, &leases[1].token, key.clone())
        .await
        .expect("complete");
    assert_eq!(
        record(queue, &leases[0].uuid).await.result,
        Some(json(message)),
        "byte for byte"
    );
    assert_eq!(record(queue, &leases[1].uuid).await.result, Some(key));
}

/// complete_many with valid, stale, unknown, repeated and already finished items: each is
/// fenced on its own and only the current leases complete, with their own results.
pub(super) async fn complete_many_fences_each_item_in_a_mixed_batch(
    factory: Arc<dyn QueueFactory>,
) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "mix", "Echo", 4).await;
    let leases = claim(queue, "w1", &["Echo"], 4, LONG).await;
    let finished = &leases[3];
    queue
        .complete(&finished.uuid, &finished.token, json("[0]"))
        .await
        .expect("complete");
    let completion = |uuid: &str, token: &crate::LeaseToken, body: &str| Completion {
        uuid: uuid.to_owned(),
        token: token.clone(),
        result: json(body),
    };
    let stale = crate::LeaseToken("stale".into());
    let report = queue
        .complete_many(vec![
            completion(&leases[0].uuid, &stale, "[9]"),
            completion(&leases[0].uuid, &leases[0].token, "[1]"),
            completion(&leases[1].uuid, &leases[1].token, "[2]"),
            completion(&leases[1].uuid, &leases[1].token, "[22]"),
            completion("no-such-task", &leases[2].token, "[3]"),
            completion(&finished.uuid, &finished.token, "[4]"),
        ])
        .await
        .expect("complete_many");
    assert_eq!(report.completed, 2);
    let mut lost = report.lease_lost.clone();
    lost.sort();
    let mut expected = vec![
        leases[0].uuid.clone(),
        leases[1].uuid.clone(),
        "no-such-task".to_owned(),
        finished.uuid.clone(),
    ];
    expected.sort();
    assert_eq!(
        lost, expected,
        "stale, repeated, unknown and finished items"
    );
    let first = record(queue, &leases[0].uuid).await;
    assert_eq!(first.state, TaskState::Succeeded);
    assert_eq!(first.result, Some(json("[1]")), "the valid token's result");
    let second = record(queue, &leases[1].uuid).await;
    assert_eq!(second.state, TaskState::Succeeded);
    assert!(
        matches!(&second.result, Some(TaskResult::Json(text)) if text == "[2]" || text == "[22]"),
        "one of the repeated items' results: {:?}",
        second.result
    );
    assert_eq!(
        record(queue, &leases[2].uuid).await.state,
        TaskState::Leased,
        "an item naming another uuid does not touch this lease"
    );
    assert_eq!(
        record(queue, &finished.uuid).await.result,
        Some(json("[0]")),
        "a finished task keeps its first result"
    );
}
