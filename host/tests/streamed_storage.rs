//! `open-read` and `put-background` through a real plugin (`Echo`) on a local folder: the host
//! gunzips multi-member objects for the plugin, hands plain objects over as stored, refuses a
//! corrupt stream as invalid input and a 17th open reader; a background write is read back by
//! the same task, and one that fails fails the task, whether the plugin flushes or not.

mod common;

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use taskhost::dispatch::{Dispatcher, Outcome};
use taskhost::runtime::TaskFailure;
use taskhost::storage::HostSignedStorage;

async fn dispatcher(dir: &Path) -> Dispatcher {
    let storage = HostSignedStorage::local(
        dir,
        url::Url::parse("http://127.0.0.1:8080/").unwrap(),
        b"k".to_vec(),
    )
    .unwrap();
    common::echo_dispatcher(storage).await
}

async fn echo(d: &Dispatcher, id: &str, body: Value) -> (Outcome, Value) {
    let mut body = body;
    body["name"] = json!("Echo");
    common::dispatch_json(d, json!({"uuid": id, "experimentId": "e1", "body": body})).await
}

fn put_file(dir: &Path, key: &str, bytes: &[u8]) {
    let file = dir.join("experiments/e1").join(key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, bytes).unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn fnv1a(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Text of `len` bytes that does not repeat early (several MiB of output from one object).
fn text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"ACGT\n"[(i * 7 + i / 977) % 5]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_read_gunzips_for_the_plugin_and_hands_plain_objects_over() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (text(3 << 20), text(12_345));
    let mut members = gzip(&a);
    members.extend(gzip(&b));
    let whole = [a, b].concat();
    put_file(dir.path(), "m.gz", &members);
    put_file(dir.path(), "plain.txt", &whole);
    let d = dispatcher(dir.path()).await;

    for (id, key, gunzip, chunk, want) in [
        ("r1", "m.gz", true, 0, &whole),
        ("r2", "m.gz", true, 1000, &whole),
        ("r3", "plain.txt", true, 0, &whole),
        ("r4", "m.gz", false, 0, &members),
    ] {
        let body = json!({"readStream": {"key": key, "gunzip": gunzip, "chunk": chunk}});
        let (outcome, answer) = echo(&d, id, body).await;
        assert!(matches!(outcome, Outcome::Succeeded), "{id}: {outcome:?}");
        assert_eq!(answer["length"], want.len(), "{id}");
        assert_eq!(answer["fnv1a"], fnv1a(want), "{id}");
        assert_eq!(
            answer["head"],
            String::from_utf8_lossy(&want[..32]).as_ref(),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_missing_stream_fails_the_task_as_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let mut truncated = gzip(&text(1 << 20));
    truncated.truncate(truncated.len() / 2);
    put_file(dir.path(), "bad.gz", &truncated);
    let d = dispatcher(dir.path()).await;

    let body = json!({"readStream": {"key": "bad.gz", "gunzip": true}});
    let (outcome, _) = echo(&d, "c1", body).await;
    match outcome {
        Outcome::Failed(TaskFailure::InvalidInput(m)) => assert!(m.contains("corrupt"), "{m}"),
        other => panic!("a truncated gzip stream ended as {other:?}"),
    }
    let body = json!({"readStream": {"key": "absent.gz", "gunzip": true}});
    let (outcome, _) = echo(&d, "c2", body).await;
    assert!(
        matches!(outcome, Outcome::Failed(TaskFailure::NotFound(_))),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_holds_at_most_sixteen_open_readers() {
    let dir = tempfile::tempdir().unwrap();
    put_file(dir.path(), "x", b"x");
    let d = dispatcher(dir.path()).await;
    let (outcome, answer) = echo(&d, "o1", json!({"openReaders": {"key": "x", "count": 20}})).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?}");
    assert_eq!(answer["opened"], 16);
    assert!(
        answer["refusal"].as_str().unwrap().contains("at most 16"),
        "{answer}"
    );
    assert_eq!(answer["again"], true, "dropped readers are given back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_writes_are_read_back_and_their_failures_fail_the_task() {
    let dir = tempfile::tempdir().unwrap();
    // `blocker` is a file, so `blocker/y` cannot be written on a local folder.
    put_file(dir.path(), "blocker", b"file");
    let d = dispatcher(dir.path()).await;

    let body =
        json!({"writeBehind": {"key": "a/b.txt", "text": "written behind", "readBack": true}});
    let (outcome, answer) = echo(&d, "w1", body).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?}");
    assert_eq!(answer["read"], "written behind");
    let stored = std::fs::read(dir.path().join("experiments/e1/a/b.txt")).unwrap();
    assert_eq!(stored, b"written behind");

    // Not flushed: the plugin returns success, the host finds the failure at the task's end.
    let body = json!({"writeBehind": {"key": "blocker/y", "text": "x"}});
    let (outcome, _) = echo(&d, "w2", body).await;
    match outcome {
        Outcome::Failed(TaskFailure::Internal(m)) => assert!(m.contains("put-background"), "{m}"),
        other => panic!("an unflushed failed write ended as {other:?}"),
    }
    // Flushed: the plugin sees the failure (a backend failure: retry later).
    let body = json!({"writeBehind": {"key": "blocker/y", "text": "x", "flush": true}});
    let (outcome, _) = echo(&d, "w3", body).await;
    assert!(
        matches!(outcome, Outcome::Failed(TaskFailure::RetryLater { .. })),
        "{outcome:?}"
    );
}
