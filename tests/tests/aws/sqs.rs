//! Tasks from SQS, results on SNS (a queue subscribed to the topic collects them).

use std::time::Duration;

use serde_json::{Value, json};
use taskhost_e2e::host_process::{HostConfig, RunningHost};
use taskhost_e2e::sqs::{
    ResultTopic, TaskQueues, attribute, collect, depth, json_body, receive_count, result_topic,
    send, task_queues,
};
use taskhost_e2e::{SOURCE_BUCKET, SOURCE_GRANT, SOURCE_PATH, analysis_plugins, sample};

use super::{data_dir, echo, eventually, runtime, sqs_host};

/// A producer's trace context (the W3C recommendation's example).
const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

fn fixtures(prefix: &str, max_receive: u32) -> (tokio::runtime::Runtime, TaskQueues, ResultTopic) {
    let rt = runtime();
    let queues = rt.block_on(task_queues(prefix, max_receive, 30));
    let topic = rt.block_on(result_topic(prefix));
    (rt, queues, topic)
}

/// The one result message's attributes and body; panics with the host's log otherwise.
fn results_of(messages: &[aws_sdk_sqs::types::Message], host: &RunningHost, want: usize) {
    assert_eq!(
        messages.len(),
        want,
        "result messages on the topic's queue: {:?}\n{}",
        messages.iter().map(|m| m.body()).collect::<Vec<_>>(),
        host.log()
    );
}

/// The JSON of a result message's first (inline) result.
fn first_result(message: &Value) -> Value {
    let entry = &message["results"][0];
    assert_eq!(entry["type"], "inline", "{message}");
    serde_json::from_str(entry["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("result body is not JSON ({e}): {message}"))
}

#[test]
fn the_sample_envelopes_sent_to_sqs_come_back_on_sns_with_their_attributes() {
    let dir = data_dir("samples");
    let (rt, queues, topic) = fixtures("samples", 3);
    let source = dir.join("storage").join(SOURCE_BUCKET).join(SOURCE_PATH);
    std::fs::create_dir_all(&source).expect("the data folder is writable");
    for entry in std::fs::read_dir(taskhost_e2e::pbmc3k_dir()).expect("PBMC 3k is there") {
        let path = entry.expect("a file").path();
        if path.is_file() {
            std::fs::copy(&path, source.join(path.file_name().expect("a name"))).expect("copied");
        }
    }
    let config = HostConfig::new(&dir, "sqs-samples", analysis_plugins())
        .queue(&queues.url)
        .arg(&[
            "--publish",
            &format!("sns://{}", topic.arn),
            "--grant",
            SOURCE_GRANT,
        ])
        .envs(taskhost_e2e::aws::aws_env());
    let host = RunningHost::start(&config);
    let experiment = "sqs-samples";
    rt.block_on(async {
        let prepare = sample("prepare-experiment", experiment);
        send(
            &queues.client,
            &queues.url,
            &prepare.to_string(),
            &[("traceparent", TRACEPARENT)],
        )
        .await;
        let prepared = collect(&topic.sqs, &topic.queue_url, 1, Duration::from_secs(180)).await;
        results_of(&prepared, &host, 1);
        let message = &prepared[0];
        let body = json_body(message);
        assert_eq!(body["response"]["error"], false, "{body}");
        assert_eq!(
            body["request"], prepare,
            "the envelope comes back untouched"
        );
        assert_eq!(first_result(&body)["cells"], 2700);
        assert_eq!(attribute(message, "type").as_deref(), Some("WorkResponse"));
        assert_eq!(
            attribute(message, "experimentId").as_deref(),
            Some(experiment)
        );
        assert_eq!(
            attribute(message, "taskName").as_deref(),
            Some("PrepareExperiment")
        );
        let traceparent = attribute(message, "traceparent").expect("a traceparent");
        assert!(
            traceparent.starts_with(&format!("00-{TRACE_ID}-"))
                && !traceparent.contains("b7ad6b7169203331"),
            "the producer's trace continues in the host's own span: {traceparent}"
        );
        assert!(
            host.log().contains(TRACE_ID),
            "the host's log lines carry the trace id"
        );

        let queries = [
            "get-embedding",
            "list-genes",
            "list-genes-filtered",
            "gene-expression",
        ];
        for name in queries {
            let envelope = sample(name, experiment);
            send(&queues.client, &queues.url, &envelope.to_string(), &[]).await;
        }
        let answers = collect(&topic.sqs, &topic.queue_url, 4, Duration::from_secs(120)).await;
        results_of(&answers, &host, 4);
        let mut seen = Vec::new();
        for message in &answers {
            let body = json_body(message);
            assert_eq!(body["response"]["error"], false, "{body}");
            assert_eq!(attribute(message, "type").as_deref(), Some("WorkResponse"));
            assert_eq!(
                attribute(message, "experimentId").as_deref(),
                Some(experiment)
            );
            let task = attribute(message, "taskName").expect("a taskName");
            assert_eq!(body["request"]["body"]["name"], task.as_str());
            let traceparent = attribute(message, "traceparent").expect("a traceparent");
            assert!(
                !traceparent.contains(TRACE_ID),
                "a task without one starts a new trace"
            );
            let result = first_result(&body);
            match task.as_str() {
                "GetEmbedding" => assert_eq!(result.as_array().map(Vec::len), Some(2700)),
                "ListGenes" => assert!(result["total"].as_u64() > Some(0), "{result}"),
                "GeneExpression" => {
                    assert!(result["CST3"]["rawExpression"]["mean"].as_f64() > Some(0.0));
                }
                other => panic!("unexpected task {other}"),
            }
            seen.push(task);
        }
        seen.sort();
        assert_eq!(
            seen,
            ["GeneExpression", "GetEmbedding", "ListGenes", "ListGenes"]
        );
        // Deletes follow the publish (batched, so a moment later).
        eventually(Duration::from_secs(10), "every message deleted", || async {
            depth(&queues.client, &queues.url).await == (0, 0)
        })
        .await;
        assert_eq!(depth(&queues.client, &queues.dead_letter_url).await, (0, 0));
    });
}

#[test]
fn a_crashing_plugin_is_retried_then_dead_lettered_after_max_receive_count() {
    let dir = data_dir("retries");
    let (rt, queues, topic) = fixtures("retries", 3);
    let host = RunningHost::start(&sqs_host(
        &dir,
        "sqs-retries",
        &queues.url,
        &topic.arn,
        &["panic"],
    ));
    rt.block_on(async {
        let task = json!({"uuid": "crash-1", "experimentId": "e2e", "body": {"name": "Panic"}});
        send(
            &queues.client,
            &queues.url,
            &task.to_string(),
            &[("custom", "kept")],
        )
        .await;
        let dead = collect(
            &queues.client,
            &queues.dead_letter_url,
            1,
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(dead.len(), 1, "dead-lettered:\n{}", host.log());
        let reason = attribute(&dead[0], "taskhost.error").expect("a reason");
        assert!(
            reason.contains("attempt 3 of 3") && reason.contains("PLUGIN_CRASHED"),
            "{reason}"
        );
        assert_eq!(
            attribute(&dead[0], "taskhost.attempt").as_deref(),
            Some("3")
        );
        assert_eq!(attribute(&dead[0], "custom").as_deref(), Some("kept"));
        assert_eq!(
            json_body(&dead[0]),
            task,
            "the body is the original envelope"
        );
        // Only the last attempt publishes its failure: earlier ones are retried.
        let published = collect(&topic.sqs, &topic.queue_url, 2, Duration::from_secs(3)).await;
        results_of(&published, &host, 1);
        let failure = json_body(&published[0]);
        assert_eq!(failure["response"]["error"], true);
        assert_eq!(first_result(&failure)["error_code"], "PLUGIN_CRASHED");
        assert_eq!(depth(&queues.client, &queues.url).await, (0, 0));
    });
    let attempts = host
        .log()
        .lines()
        .filter(|l| l.contains("task failed") && l.contains("crash-1"))
        .count();
    assert_eq!(attempts, 3, "three attempts ran:\n{}", host.log());
}

#[test]
fn invalid_messages_are_dead_lettered_at_once_with_their_reason() {
    let dir = data_dir("invalid");
    let (rt, queues, topic) = fixtures("invalid", 5);
    let host = RunningHost::start(&sqs_host(
        &dir,
        "sqs-invalid",
        &queues.url,
        &topic.arn,
        &["echo"],
    ));
    rt.block_on(async {
        let bad = [
            ("this is not json", "not valid JSON"),
            (r#"{"uuid": "no-name", "body": {}}"#, "name"),
            (r#"{"body": {"name": "Echo"}}"#, "uuid"),
        ];
        for (body, _) in bad {
            send(&queues.client, &queues.url, body, &[]).await;
        }
        let good = echo("fine-1", json!({}));
        send(&queues.client, &queues.url, &good.to_string(), &[]).await;
        let dead = collect(
            &queues.client,
            &queues.dead_letter_url,
            3,
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(dead.len(), 3, "{}", host.log());
        for (body, why) in bad {
            let copy = dead
                .iter()
                .find(|m| m.body() == Some(body))
                .unwrap_or_else(|| panic!("{body:?} is in the dead-letter queue"));
            let reason = attribute(copy, "taskhost.error").expect("a reason");
            assert!(reason.contains(why), "{body:?}: {reason}");
            assert_eq!(
                attribute(copy, "taskhost.attempt").as_deref(),
                Some("1"),
                "at once"
            );
        }
        let published = collect(&topic.sqs, &topic.queue_url, 2, Duration::from_secs(10)).await;
        results_of(&published, &host, 1);
        assert_eq!(
            json_body(&published[0])["request"],
            good,
            "only the valid task ran"
        );
        assert_eq!(depth(&queues.client, &queues.url).await, (0, 0));
    });
}

#[test]
fn a_task_running_three_visibility_timeouts_is_delivered_once() {
    let dir = data_dir("visibility");
    let (rt, queues, topic) = fixtures("visibility", 5);
    // Two hosts on the queue: had the visibility run out, the second would receive the task.
    let start = |id: &str| {
        RunningHost::start(
            &sqs_host(&dir.join(id), id, &queues.url, &topic.arn, &["echo"])
                .arg(&["--lease-secs", "2"]),
        )
    };
    let first = start("sqs-vis-a");
    let second = start("sqs-vis-b");
    rt.block_on(async {
        let task = echo("slow-1", json!({ "sleepMs": 7_000 }));
        send(&queues.client, &queues.url, &task.to_string(), &[]).await;
        let results = collect(&topic.sqs, &topic.queue_url, 2, Duration::from_secs(20)).await;
        assert_eq!(
            results.len(),
            1,
            "one result:\n{}\n{}",
            first.log(),
            second.log()
        );
        assert_eq!(json_body(&results[0])["request"], task);
        let runs = [&first, &second]
            .iter()
            .map(|h| {
                h.log()
                    .lines()
                    .filter(|l| l.contains("task finished"))
                    .count()
            })
            .sum::<usize>();
        assert_eq!(runs, 1, "it ran once:\n{}\n{}", first.log(), second.log());
        assert_eq!(depth(&queues.client, &queues.url).await, (0, 0));
    });
}

#[test]
fn sigterm_finishes_running_tasks_and_makes_received_ones_visible_at_once() {
    let dir = data_dir("sigterm");
    let (rt, queues, topic) = fixtures("sigterm", 5);
    let mut host = RunningHost::start(
        &sqs_host(&dir, "sqs-term", &queues.url, &topic.arn, &["echo"]).arg(&[
            "--concurrency",
            "2",
            "--grace-secs",
            "30",
        ]),
    );
    rt.block_on(async {
        let long = echo("running-1", json!({ "sleepMs": 3_000 }));
        send(&queues.client, &queues.url, &long.to_string(), &[]).await;
        eventually(Duration::from_secs(20), "the task is received", || {
            let queues = queues.clone();
            async move { depth(&queues.client, &queues.url).await == (0, 1) }
        })
        .await;
        host.terminate();
        // The second slot's long poll is still out: what it brings now goes back at once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let late = echo("late-1", json!({}));
        send(&queues.client, &queues.url, &late.to_string(), &[]).await;
        let published = collect(&topic.sqs, &topic.queue_url, 1, Duration::from_secs(20)).await;
        results_of(&published, &host, 1);
        assert_eq!(
            json_body(&published[0])["request"],
            long,
            "the running task finished"
        );
    });
    let status = host
        .wait(Duration::from_secs(40))
        .unwrap_or_else(|| panic!("the host did not stop:\n{}", host.log()));
    assert_eq!(status.code(), Some(0), "{}", host.log());
    rt.block_on(async {
        // Visible at once, not after its 30 s visibility: a receive without waiting finds it.
        let back = collect(&queues.client, &queues.url, 1, Duration::from_secs(3)).await;
        assert_eq!(
            back.len(),
            1,
            "the late task is visible again:\n{}",
            host.log()
        );
        assert_eq!(receive_count(&back[0]), 2, "the host had received it once");
        let extra = collect(&topic.sqs, &topic.queue_url, 1, Duration::from_secs(2)).await;
        assert!(extra.is_empty(), "the late task did not run");
    });
    assert!(host.log().contains("lease released"), "{}", host.log());
}

#[test]
fn tasks_submitted_to_the_api_go_through_sqs_and_sqs_refuses_what_it_cannot_do() {
    let dir = data_dir("api");
    let (rt, queues, topic) = fixtures("api", 5);
    let host = RunningHost::start(&sqs_host(
        &dir,
        "sqs-api",
        &queues.url,
        &topic.arn,
        &["echo"],
    ));
    rt.block_on(async {
        let client = taskhost_api::ApiClient::new(&host.url(), None).expect("a client");
        let task = echo("api-1", json!({ "hello": "sqs" }));
        client.submit(vec![task.clone()]).await.expect("submitted");
        let published = collect(&topic.sqs, &topic.queue_url, 1, Duration::from_secs(20)).await;
        results_of(&published, &host, 1);
        assert_eq!(json_body(&published[0])["request"], task);
        let error = client
            .task("api-1")
            .await
            .expect_err("SQS keeps no records");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(501), "{error}");
        assert!(error.to_string().contains("not supported"), "{error}");
        // Redrive: an invalid message dead-lettered, moved back, dead-lettered again.
        send(&queues.client, &queues.url, "not an envelope", &[]).await;
        eventually(Duration::from_secs(20), "dead-lettered", || {
            let queues = queues.clone();
            async move { depth(&queues.client, &queues.dead_letter_url).await.0 == 1 }
        })
        .await;
        assert_eq!(client.redrive_all().await.expect("redriven"), 1);
        let dead = collect(
            &queues.client,
            &queues.dead_letter_url,
            1,
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(
            dead.len(),
            1,
            "back in the dead-letter queue:\n{}",
            host.log()
        );
        assert_eq!(dead[0].body(), Some("not an envelope"));
    });
}
