//! [`SqsQueue`] through the [`TaskQueue`] trait against moto's server (`TASKHOST_TEST_AWS_ENDPOINT`,
//! set by `cargo xtask test`): the lease semantics SQS can give, case by case, on standard and
//! FIFO queues. What SQS cannot do is checked to be refused, not faked.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use taskhost_aws::sqs::{SqsAddress, SqsOptions, SqsQueue};
use taskhost_queue::{
    ClaimRequest, Completion, FailOutcome, Failure, NewTask, QueueError, RedriveTarget,
    RetryPolicy, TaskQueue, TaskResult, TaskState,
};

fn endpoint() -> String {
    std::env::var("TASKHOST_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "these tests need moto's server: run them with `cargo xtask test`, or start \
             `.venv/bin/moto_server -H 127.0.0.1 -p 5000` and set \
             TASKHOST_TEST_AWS_ENDPOINT=http://127.0.0.1:5000"
        )
    })
}

async fn config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::from_static("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let micros = chrono::Utc::now().timestamp_micros() % 1_000_000_000;
    format!(
        "{prefix}-{}-{}-{micros}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A queue (FIFO when `fifo`) redriving to a dead-letter queue after `max_receive`.
async fn queues(
    prefix: &str,
    fifo: bool,
    max_receive: u32,
) -> (aws_sdk_sqs::Client, String, String) {
    let client = aws_sdk_sqs::Client::new(&config().await);
    let suffix = if fifo { ".fifo" } else { "" };
    let name = unique(prefix);
    let mut dlq_attributes = HashMap::new();
    if fifo {
        dlq_attributes.insert(QueueAttributeName::FifoQueue, "true".to_owned());
    }
    let dlq = client
        .create_queue()
        .queue_name(format!("{name}-dlq{suffix}"))
        .set_attributes(Some(dlq_attributes.clone()))
        .send()
        .await
        .expect("dead-letter queue")
        .queue_url()
        .expect("url")
        .to_owned();
    let arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    let mut attributes = dlq_attributes;
    attributes.insert(
        QueueAttributeName::RedrivePolicy,
        format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":{max_receive}}}"#),
    );
    let url = client
        .create_queue()
        .queue_name(format!("{name}{suffix}"))
        .set_attributes(Some(attributes))
        .send()
        .await
        .expect("queue")
        .queue_url()
        .expect("url")
        .to_owned();
    (client, url, dlq)
}

async fn connect(url: &str) -> SqsQueue {
    let options = SqsOptions {
        wait: Duration::from_secs(1),
        retry: RetryPolicy::IMMEDIATE,
        ..SqsOptions::default()
    };
    SqsQueue::connect(&config().await, &SqsAddress::Url(url.to_owned()), options)
        .await
        .expect("connects")
}

fn task(uuid: &str, experiment: &str) -> NewTask {
    let envelope =
        format!(r#"{{"uuid":"{uuid}","experimentId":"{experiment}","body":{{"name":"Echo"}}}}"#);
    NewTask::new(uuid, "Echo", envelope)
}

fn claim(limit: u32, lease_secs: u64) -> ClaimRequest {
    ClaimRequest::new("w", &["Echo"], limit, Duration::from_secs(lease_secs))
}

#[tokio::test]
async fn submit_claim_complete_and_a_stale_token_is_fenced() {
    let (_, url, _) = queues("lifecycle", false, 3).await;
    let queue = connect(&url).await;
    assert_eq!(queue.max_attempts(), 3, "from the redrive policy");
    let report = queue
        .submit(vec![task("t-1", "e"), task("t-2", "e")])
        .await
        .unwrap();
    assert_eq!(report.inserted, ["t-1", "t-2"]);
    let mut leases = Vec::new();
    while leases.len() < 2 {
        leases.extend(queue.claim(&claim(10, 30)).await.unwrap());
    }
    assert!(leases.iter().all(|l| l.attempt == 1 && l.name == "Echo"));
    let first = &leases[0];
    queue
        .heartbeat(&first.uuid, &first.token, Duration::from_secs(30))
        .await
        .expect("a held lease beats");
    queue
        .complete(&first.uuid, &first.token, TaskResult::Json("{}".into()))
        .await
        .unwrap();
    let again = queue
        .complete(&first.uuid, &first.token, TaskResult::Json("{}".into()))
        .await;
    assert!(
        matches!(again, Err(QueueError::LeaseLost { .. })),
        "{again:?}"
    );
    let beat = queue
        .heartbeat(&first.uuid, &first.token, Duration::from_secs(1))
        .await;
    assert!(
        matches!(beat, Err(QueueError::LeaseLost { .. })),
        "{beat:?}"
    );
    let second = &leases[1];
    let report = queue
        .complete_many(vec![
            Completion {
                uuid: second.uuid.clone(),
                token: second.token.clone(),
                result: TaskResult::Json("{}".into()),
            },
            Completion {
                uuid: first.uuid.clone(),
                token: first.token.clone(),
                result: TaskResult::Json("{}".into()),
            },
        ])
        .await
        .unwrap();
    assert_eq!(report.completed, 1);
    assert_eq!(report.lease_lost, std::slice::from_ref(&first.uuid));
    assert_eq!(queue.held(), 0);
    assert!(queue.counts().await.unwrap().is_empty(), "nothing left");
}

#[tokio::test]
async fn a_retry_comes_back_with_the_next_attempt_and_the_last_one_is_dead_lettered() {
    let (client, url, dlq) = queues("retry", false, 2).await;
    let queue = connect(&url).await;
    queue.submit(vec![task("r-1", "e")]).await.unwrap();
    for attempt in 1..=2 {
        let lease = loop {
            if let Some(lease) = queue.claim(&claim(1, 30)).await.unwrap().pop() {
                break lease;
            }
        };
        assert_eq!(lease.attempt, attempt);
        let outcome = queue
            .fail(
                &lease.uuid,
                &lease.token,
                Failure::retry(format!("boom {attempt}")),
            )
            .await
            .unwrap();
        if attempt == 1 {
            assert!(
                matches!(outcome, FailOutcome::Retrying { attempt: 1, .. }),
                "{outcome:?}"
            );
        } else {
            assert_eq!(outcome, FailOutcome::Dead);
        }
    }
    let dead = client
        .receive_message()
        .queue_url(&dlq)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let message = &dead.messages()[0];
    let reason = message.message_attributes().unwrap()["taskhost.error"]
        .string_value()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("attempt 2 of 2") && reason.contains("boom 2"),
        "{reason}"
    );
    assert_eq!(queue.claim(&claim(1, 30)).await.unwrap(), []);
}

#[tokio::test]
async fn release_makes_a_message_visible_at_once_and_final_failures_delete_it() {
    let (_, url, _) = queues("release", false, 5).await;
    let queue = connect(&url).await;
    queue.submit(vec![task("x-1", "e")]).await.unwrap();
    let lease = loop {
        if let Some(lease) = queue.claim(&claim(1, 600)).await.unwrap().pop() {
            break lease;
        }
    };
    queue.release(&lease.uuid, &lease.token).await.unwrap();
    let again = queue.claim(&claim(1, 600)).await.unwrap();
    assert_eq!(again.len(), 1, "visible again at once, not after 600 s");
    assert_eq!(again[0].attempt, 2, "SQS counts the receive");
    let outcome = queue
        .fail(
            &again[0].uuid,
            &again[0].token,
            Failure::final_failure("not found"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Failed);
    assert_eq!(queue.claim(&claim(1, 1)).await.unwrap(), []);
}

#[tokio::test]
async fn invalid_input_is_dead_lettered_at_once_and_redriven_back() {
    let (_, url, _) = queues("redrive", false, 5).await;
    let queue = connect(&url).await;
    queue.submit(vec![task("bad-1", "e")]).await.unwrap();
    let lease = loop {
        if let Some(lease) = queue.claim(&claim(1, 30)).await.unwrap().pop() {
            break lease;
        }
    };
    let outcome = queue
        .fail(
            &lease.uuid,
            &lease.token,
            Failure::invalid_input("no body.name"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Dead);
    let counts = queue.counts().await.unwrap();
    assert!(
        counts
            .iter()
            .any(|c| c.state == TaskState::Dead && c.count == 1),
        "{counts:?}"
    );
    assert_eq!(queue.redrive(RedriveTarget::AllDead).await.unwrap(), 1);
    let back = loop {
        if let Some(lease) = queue.claim(&claim(1, 30)).await.unwrap().pop() {
            break lease;
        }
    };
    assert_eq!(back.uuid, "bad-1");
    assert_eq!(back.envelope, lease.envelope, "the body is unchanged");
}

#[tokio::test]
async fn fifo_queues_keep_the_order_of_an_experiment_and_dead_letter_into_a_fifo_queue() {
    let (client, url, dlq) = queues("fifo", true, 3).await;
    let queue = connect(&url).await;
    let tasks: Vec<NewTask> = (0..5).map(|i| task(&format!("f-{i}"), "exp-a")).collect();
    queue.submit(tasks).await.unwrap();
    let mut order = Vec::new();
    while order.len() < 5 {
        for lease in queue.claim(&claim(10, 30)).await.unwrap() {
            order.push(lease.uuid.clone());
            if lease.uuid == "f-0" {
                queue
                    .fail(&lease.uuid, &lease.token, Failure::invalid_input("bad"))
                    .await
                    .unwrap();
            } else {
                queue
                    .complete(&lease.uuid, &lease.token, TaskResult::Json("{}".into()))
                    .await
                    .unwrap();
            }
        }
    }
    assert_eq!(order, ["f-0", "f-1", "f-2", "f-3", "f-4"]);
    let dead = client
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        dead.messages().len(),
        1,
        "dead-lettered into the FIFO queue"
    );
}

#[tokio::test]
async fn what_sqs_cannot_do_is_refused_and_a_queue_without_a_dead_letter_queue_too() {
    let (client, url, _) = queues("refuse", false, 3).await;
    let queue = connect(&url).await;
    assert!(matches!(
        queue.get("x").await,
        Err(QueueError::Unsupported { .. })
    ));
    assert!(matches!(
        queue.cancel("x").await,
        Err(QueueError::Unsupported { .. })
    ));
    assert!(matches!(
        queue.redrive(RedriveTarget::One("x".into())).await,
        Err(QueueError::Unsupported { .. })
    ));
    let bare = client
        .create_queue()
        .queue_name(unique("bare"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let refused = SqsQueue::connect(
        &config().await,
        &SqsAddress::Url(bare.clone()),
        SqsOptions::default(),
    )
    .await;
    let message = refused.expect_err("no dead-letter queue").to_string();
    assert!(message.contains("no redrive policy"), "{message}");
    let missing = SqsQueue::connect(
        &config().await,
        &SqsAddress::Name(unique("missing")),
        SqsOptions::default(),
    )
    .await;
    assert!(
        matches!(missing, Err(QueueError::Setup { .. })),
        "{missing:?}"
    );
    let explicit = SqsOptions {
        dead_letter: Some(url.clone()),
        ..SqsOptions::default()
    };
    let with_dlq = SqsQueue::connect(&config().await, &SqsAddress::Url(bare), explicit)
        .await
        .expect("a dead-letter queue given explicitly");
    assert_eq!(with_dlq.dead_letter_url(), url);
    assert_eq!(
        with_dlq.max_attempts(),
        3,
        "--max-attempts without a redrive policy"
    );
}
