//! Storage in S3: the conformance suite on moto, presigned URLs a plugin hands out, results
//! offloaded to S3 with their URL, and the analysis tasks on an experiment kept in S3.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use taskhost::storage::{Layout, ObjectKey, StorageBackendExt};
use taskhost_e2e::host_process::{RunningHost, testing_plugin};
use taskhost_e2e::sqs::{collect, json_body, result_topic, send, task_queues};
use taskhost_e2e::{Host, SOURCE_BUCKET, SOURCE_GRANT, SOURCE_PATH, aws, s3, sample};

use super::{data_dir, echo, runtime, sqs_host};

#[test]
fn s3_storage_passes_the_conformance_suite() {
    runtime().block_on(async {
        let bucket = s3::bucket("conformance").await;
        let storage = s3::storage(&format!("s3://{bucket}/root"), Layout::Folders).await;
        taskhost::storage::conformance::check_backend(storage).await;
    });
}

/// An exec host on S3 storage (`s3://<bucket>/data`) with the test plugin Echo besides the
/// analysis plugins.
fn s3_exec_host(test: &str, storage_url: &str, more: &[&str]) -> Host {
    let dir = data_dir(test);
    let echo = testing_plugin("echo");
    let mut args = vec!["--storage", storage_url, "--plugins"];
    args.push(echo.to_str().expect("a UTF-8 path"));
    args.extend_from_slice(more);
    let env = aws::aws_env();
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
    Host::new(&dir, &dir.join("cache")).with(&args, &env)
}

fn curl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--fail"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_plugins_presigned_put_takes_an_upload_with_curl_and_its_get_returns_it() {
    let rt = runtime();
    let bucket = rt.block_on(s3::bucket("presign"));
    let host = s3_exec_host("presign", &format!("s3://{bucket}/data"), &[]);
    let task = echo("presign-1", json!({"presignKey": "uploads/report.csv"}));
    let urls = host.exec(&task, &[]).body(&host);
    let (put, get) = (urls["put"].as_str().unwrap(), urls["get"].as_str().unwrap());
    for url in [put, get] {
        assert!(
            url.starts_with(&format!(
                "{}/{bucket}/data/experiments/e2e/",
                aws::endpoint()
            )) && url.contains("X-Amz-Signature="),
            "an S3 presigned, path-style URL for the experiment's key: {url}"
        );
    }
    let file = host.data_dir.join("report.csv");
    std::fs::write(&file, "gene,count\nCST3,7\n").unwrap();
    curl(&["--upload-file", file.to_str().unwrap(), put]);
    assert_eq!(curl(&[get]), b"gene,count\nCST3,7\n");
    let object = rt.block_on(async {
        let storage = s3::storage(&format!("s3://{bucket}/data"), Layout::Folders).await;
        let key = ObjectKey::parse("e2e/uploads/report.csv").unwrap();
        storage.bucket("experiments").unwrap().get(&key, 1024).await
    });
    assert_eq!(object.unwrap().as_ref(), b"gene,count\nCST3,7\n");
    // moto does not check signatures, so refusals cannot be tested here; the method is part
    // of what SigV4 signs, so the two URLs' signatures differ.
    let signature = |url: &str| {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .map(|(_, v)| v.into_owned())
    };
    assert_ne!(signature(put), signature(get));
}

#[test]
fn a_large_result_through_sqs_and_sns_arrives_as_an_s3_path_with_a_url_that_returns_it() {
    let rt = runtime();
    let (bucket, queues, topic) = rt.block_on(async {
        (
            s3::bucket("large").await,
            task_queues("large", 3, 30).await,
            result_topic("large").await,
        )
    });
    let dir = data_dir("large");
    let storage_url = format!("s3://{bucket}/data");
    let config = sqs_host(&dir, "s3-large", &queues.url, &topic.arn, &["echo"])
        .arg(&["--storage", &storage_url]);
    let host = RunningHost::start(&config);
    rt.block_on(async {
        let task = echo(
            "large-1",
            json!({"payload": "0123456789", "repeat": 30_000}),
        );
        send(&queues.client, &queues.url, &task.to_string(), &[]).await;
        let messages = collect(&topic.sqs, &topic.queue_url, 1, Duration::from_secs(60)).await;
        assert_eq!(messages.len(), 1, "one result:\n{}", host.log());
        let message = json_body(&messages[0]);
        let entry = &message["results"][0];
        assert_eq!(entry["type"], "s3-path", "{message}");
        assert_eq!(entry["body"], "results/large-1/0");
        let url = entry["url"].as_str().expect("a presigned url");
        assert!(
            url.starts_with(&format!(
                "{}/{bucket}/data/results/large-1/0",
                aws::endpoint()
            )),
            "{url}"
        );
        let fetched = reqwest::get(url).await.expect("the URL answers");
        assert!(fetched.status().is_success(), "{}", fetched.status());
        let body: Value = fetched.json().await.expect("the result is JSON");
        assert_eq!(body.as_str().map(str::len), Some(300_000));
    });
}

#[test]
fn prepare_experiment_reads_pbmc3k_from_s3_and_the_queries_run_on_the_experiment_in_s3() {
    let rt = runtime();
    let (data, source) = rt.block_on(async {
        let data = s3::bucket("experiments").await;
        let source = s3::bucket("originals").await;
        // The producers' bucket, mounted whole as the source bucket the task names.
        let originals = s3::storage(
            &format!("s3://{source}"),
            Layout::Single(SOURCE_BUCKET.into()),
        )
        .await;
        s3::upload_folder(
            &*originals,
            SOURCE_BUCKET,
            SOURCE_PATH,
            &taskhost_e2e::pbmc3k_dir(),
        )
        .await;
        (data, source)
    });
    let mount = format!("{SOURCE_BUCKET}=s3://{source}");
    let host = s3_exec_host(
        "s3-analysis",
        &format!("s3://{data}/prod"),
        &["--bucket", &mount],
    );
    let experiment = "s3-pbmc3k";
    let prepared = host
        .exec(&sample("prepare-experiment", experiment), &[SOURCE_GRANT])
        .body(&host);
    assert_eq!(prepared["cells"], 2700, "{prepared}");

    let embedding = host
        .exec(&sample("get-embedding", experiment), &[])
        .body(&host);
    let points = embedding.as_array().expect("a list of points");
    assert_eq!(points.len(), 2700);
    assert!(points.iter().all(|p| p[0].is_f64() && p[1].is_f64()));
    let genes = host
        .exec(&sample("list-genes", experiment), &[])
        .body(&host);
    assert!(genes["total"].as_u64() > Some(10_000), "{genes}");
    let expression = host
        .exec(&sample("gene-expression", experiment), &[])
        .body(&host);
    assert!(
        expression["CST3"]["rawExpression"]["mean"].as_f64() > Some(0.0),
        "{expression}"
    );

    // The experiment is in S3 under the storage prefix, not on the local disk.
    let stored = rt.block_on(async {
        let storage = s3::storage(&format!("s3://{data}/prod"), Layout::Folders).await;
        let experiments = storage.bucket("experiments").unwrap();
        let prefix = ObjectKey::parse_prefix(&format!("{experiment}/")).unwrap();
        experiments.list(prefix.as_ref(), 10_000).await.unwrap()
    });
    let keys: Vec<&str> = stored.iter().map(|o| o.key.as_str()).collect();
    assert!(
        keys.contains(&format!("{experiment}/cellsets.json").as_str())
            && keys.iter().filter(|k| k.contains("adata.zarr/")).count() > 10,
        "{keys:?}"
    );
    assert!(!host.experiment(experiment).exists());
}

#[test]
fn a_missing_bucket_fails_the_start_with_its_name() {
    let dir = data_dir("missing-bucket");
    let missing = aws::unique_name("missing");
    let task = dir.join("task.json");
    std::fs::write(&task, echo("missing-1", json!({})).to_string()).unwrap();
    let out = Command::new(taskhost_e2e::taskhost_bin())
        .args(["exec", "--data-dir"])
        .arg(&dir)
        .args(["--storage", &format!("s3://{missing}/data"), "--plugins"])
        .arg(testing_plugin("echo"))
        .arg(&task)
        .envs(aws::aws_env())
        .output()
        .expect("taskhost runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&missing) && stderr.lines().count() == 1,
        "one line naming the bucket: {stderr}"
    );
}
