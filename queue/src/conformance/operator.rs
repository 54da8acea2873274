//! Cases about the producer and operator side: submit, cancel, dead letters, redrive, counts,
//! wake-ups.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{LONG, QueueFactory, claim, quick, record, submit_many, task};
use crate::{
    CancelOutcome, Failure, NewTask, PageRequest, QueueError, RedriveTarget, StateCount,
    TaskResult, TaskState,
};

pub(super) async fn submit_is_idempotent_on_uuid(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let original = task("b", "Echo");
    let report = queue
        .submit(vec![task("a", "Echo"), original.clone()])
        .await
        .expect("submit");
    assert_eq!(report.inserted, ["a", "b"]);
    assert!(report.duplicates.is_empty());

    let changed = NewTask {
        envelope: r#"{"uuid":"b","changed":true}"#.into(),
        priority: 9,
        ..task("b", "Other")
    };
    let report = queue
        .submit(vec![changed, task("c", "Echo"), task("c", "Echo")])
        .await
        .expect("resubmit");
    assert_eq!(report.inserted, ["c"]);
    assert_eq!(
        report.duplicates,
        ["c", "b"],
        "repeats within the batch, then existing uuids"
    );
    let stored = record(queue, "b").await;
    assert_eq!(
        stored.envelope, original.envelope,
        "a duplicate changes nothing"
    );
    assert_eq!((stored.name.as_str(), stored.priority), ("Echo", 0));
    assert_eq!(stored.state, TaskState::Queued);

    let lease = claim(queue, "w1", &["Echo"], 1, LONG).await.remove(0);
    queue
        .complete(&lease.uuid, &lease.token, TaskResult::Json("{}".into()))
        .await
        .expect("complete");
    let report = queue
        .submit(vec![task(&lease.uuid, "Echo")])
        .await
        .expect("resubmit a finished task");
    assert_eq!(
        report.duplicates,
        std::slice::from_ref(&lease.uuid),
        "a finished task is not run again"
    );
    assert_eq!(record(queue, &lease.uuid).await.state, TaskState::Succeeded);
    assert!(
        queue
            .submit(Vec::new())
            .await
            .expect("empty batch")
            .inserted
            .is_empty()
    );
}

pub(super) async fn submit_rejects_an_invalid_batch_whole(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let no_attempts = NewTask {
        max_attempts: 0,
        ..task("z", "Echo")
    };
    for bad in [
        task("", "Echo"),
        task("x", " "),
        no_attempts,
        task(&"u".repeat(300), "Echo"),
    ] {
        match queue.submit(vec![task("good", "Echo"), bad.clone()]).await {
            Err(QueueError::InvalidTask { .. }) => {}
            other => panic!("{bad:?}: expected InvalidTask, got {other:?}"),
        }
    }
    assert!(
        queue.get("good").await.expect("get").is_none(),
        "nothing of a rejected batch is stored"
    );
    assert!(queue.get("missing").await.expect("get").is_none());
}

pub(super) async fn cancel_queued_task(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 1).await;
    assert_eq!(
        queue.cancel("t-0").await.expect("cancel"),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        queue.cancel("t-0").await.expect("cancel again"),
        CancelOutcome::Cancelled,
        "idempotent"
    );
    let task = record(queue, "t-0").await;
    assert_eq!(task.state, TaskState::Cancelled);
    assert!(task.finished_at.is_some());
    assert!(
        claim(queue, "w1", &["Echo"], 1, LONG).await.is_empty(),
        "a cancelled task is not claimed"
    );
    assert!(matches!(
        queue.cancel("nope").await,
        Err(QueueError::NotFound(_))
    ));
}

pub(super) async fn cancel_leased_task_asks_the_worker_to_stop(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    submit_many(queue, "t", "Echo", 4).await;
    let leases = claim(queue, "w1", &["Echo"], 4, Duration::from_millis(300)).await;
    for lease in &leases {
        assert_eq!(
            queue.cancel(&lease.uuid).await.expect("cancel"),
            CancelOutcome::StopRequested
        );
    }
    let beat = queue
        .heartbeat(&leases[0].uuid, &leases[0].token, LONG)
        .await
        .expect("heartbeat");
    assert!(
        beat.cancel_requested,
        "the next heartbeat tells the worker to stop"
    );
    assert_eq!(
        record(queue, &leases[0].uuid).await.state,
        TaskState::Leased,
        "still leased until the worker stops"
    );

    let outcome = queue
        .fail(&leases[0].uuid, &leases[0].token, Failure::retry("stopped"))
        .await
        .expect("fail");
    assert_eq!(
        outcome,
        crate::FailOutcome::Cancelled,
        "a failing cancelled task is not retried"
    );
    queue
        .release(&leases[1].uuid, &leases[1].token)
        .await
        .expect("release");
    queue
        .complete(
            &leases[2].uuid,
            &leases[2].token,
            TaskResult::Json("{}".into()),
        )
        .await
        .expect("complete");
    queue
        .heartbeat(&leases[3].uuid, &leases[3].token, Duration::from_millis(50))
        .await
        .expect("heartbeat");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let report = queue.reap().await.expect("reap");
    assert_eq!(
        (report.cancelled, report.requeued),
        (1, 0),
        "an expired cancelled lease is not retried"
    );

    assert_eq!(
        record(queue, &leases[0].uuid).await.state,
        TaskState::Cancelled
    );
    assert_eq!(
        record(queue, &leases[1].uuid).await.state,
        TaskState::Cancelled,
        "release of a cancelled task"
    );
    assert_eq!(
        record(queue, &leases[2].uuid).await.state,
        TaskState::Succeeded,
        "it finished: the result stays"
    );
    assert_eq!(
        record(queue, &leases[3].uuid).await.state,
        TaskState::Cancelled
    );
    assert_eq!(
        queue.cancel(&leases[2].uuid).await.expect("cancel"),
        CancelOutcome::AlreadyFinished(TaskState::Succeeded)
    );
    assert!(claim(queue, "w1", &["Echo"], 4, LONG).await.is_empty());
}

pub(super) async fn dead_letters_page_and_redrive_one_and_all(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    let uuids = submit_many(queue, "d", "Echo", 5).await;
    for lease in claim(queue, "w1", &["Echo"], 5, LONG).await {
        queue
            .fail(&lease.uuid, &lease.token, Failure::invalid_input("bad"))
            .await
            .expect("fail");
    }
    let mut listed = Vec::new();
    let mut page = PageRequest::first(2);
    let mut pages = 0;
    loop {
        let found = queue.dead_letters(page).await.expect("dead letters");
        pages += 1;
        assert!(found.tasks.len() <= 2);
        listed.extend(found.tasks.iter().map(|task| task.uuid.clone()));
        match found.next {
            Some(next) => {
                page = PageRequest {
                    after: Some(next),
                    limit: 2,
                }
            }
            None => break,
        }
        assert!(pages < 10, "paging must end");
    }
    assert_eq!(listed, uuids, "every dead task once, in submission order");

    assert_eq!(
        queue
            .redrive(RedriveTarget::One(uuids[0].clone()))
            .await
            .expect("redrive"),
        1
    );
    let task = record(queue, &uuids[0]).await;
    assert_eq!(
        (task.state, task.attempt),
        (TaskState::Queued, 0),
        "attempts reset"
    );
    assert!(task.tried_by.is_empty());
    assert_eq!(
        task.last_error.as_deref(),
        Some("bad"),
        "the last error stays for the record"
    );
    match queue.redrive(RedriveTarget::One(uuids[0].clone())).await {
        Err(QueueError::NotDead {
            state: TaskState::Queued,
            ..
        }) => {}
        other => panic!("redrive of a queued task: expected NotDead, got {other:?}"),
    }
    assert!(matches!(
        queue.redrive(RedriveTarget::One("nope".into())).await,
        Err(QueueError::NotFound(_))
    ));
    assert_eq!(
        queue
            .redrive(RedriveTarget::AllDead)
            .await
            .expect("redrive all"),
        4
    );
    assert_eq!(
        queue
            .redrive(RedriveTarget::AllDead)
            .await
            .expect("redrive none"),
        0
    );
    assert!(
        queue
            .dead_letters(PageRequest::first(10))
            .await
            .expect("dead letters")
            .tasks
            .is_empty()
    );
    let again = claim(queue, "w1", &["Echo"], 10, LONG).await;
    assert_eq!(again.len(), 5, "redriven tasks run again");
    assert!(again.iter().all(|lease| lease.attempt == 1));
}

pub(super) async fn counts_by_state_and_name(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let queue = queue.as_ref();
    assert!(
        queue.counts().await.expect("counts").is_empty(),
        "an empty queue counts nothing"
    );
    submit_many(queue, "e", "Echo", 3).await;
    submit_many(queue, "o", "Other", 2).await;
    let leases = claim(queue, "w1", &["Echo"], 2, LONG).await;
    queue
        .complete(
            &leases[0].uuid,
            &leases[0].token,
            TaskResult::Json("{}".into()),
        )
        .await
        .expect("complete");
    let mut counts = queue.counts().await.expect("counts");
    counts.sort_by(|a, b| (&a.name, a.state).cmp(&(&b.name, b.state)));
    let expected = [
        ("Echo", TaskState::Queued, 1),
        ("Echo", TaskState::Leased, 1),
        ("Echo", TaskState::Succeeded, 1),
        ("Other", TaskState::Queued, 2),
    ]
    .map(|(name, state, count)| StateCount {
        name: name.into(),
        state,
        count,
    });
    assert_eq!(counts, expected);
}

pub(super) async fn wait_for_work_wakes_on_submit(factory: Arc<dyn QueueFactory>) {
    let queue = factory.fresh(quick()).await;
    let waiter = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let started = Instant::now();
            let woken = queue.wait_for_work(Duration::from_secs(10)).await;
            (woken, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    submit_many(queue.as_ref(), "t", "Echo", 1).await;
    let (woken, waited) = waiter.await.expect("waiter");
    assert!(
        woken && waited < Duration::from_secs(5),
        "woken by the submit (after {waited:?})"
    );

    // A submit while nobody waits is not lost: the next wait returns at once.
    submit_many(queue.as_ref(), "u", "Echo", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    assert!(
        queue.wait_for_work(Duration::from_secs(10)).await,
        "a pending wake-up"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        !queue.wait_for_work(Duration::from_millis(100)).await,
        "nothing new: the timeout"
    );
}
