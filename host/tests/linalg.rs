//! The `linalg` import through a real plugin (`Echo`'s `pca` command): the host's result is
//! the kernel's own, bit for bit; every malformed argument is an invalid-input failure naming
//! the problem (never a trap or a host panic); work beyond the task's memory limit is refused
//! before it starts; the task's deadline stops a long computation; a job waited twice, a job
//! dropped unwaited and more than four jobs at once behave as the WIT contract says; an input
//! of 160 MB crosses into the host.

mod common;

use serde_json::{Value, json};
use taskhost::dispatch::{Dispatcher, Outcome};
use taskhost::runtime::TaskFailure;
use taskhost::storage::HostSignedStorage;

async fn dispatcher() -> Dispatcher {
    common::echo_dispatcher(HostSignedStorage::memory(
        url::Url::parse("http://127.0.0.1:8080/").unwrap(),
        b"k".to_vec(),
    ))
    .await
}

/// Runs Echo's `pca` command; the outcome and the result (or failure) body.
async fn pca(d: &Dispatcher, id: &str, call: Value, timeout: Option<String>) -> (Outcome, Value) {
    let mut task = json!({"uuid": id, "body": {"name": "Echo", "pca": call}});
    if let Some(t) = timeout {
        task["timeout"] = json!(t);
    }
    common::dispatch_json(d, task).await
}

/// A 7 x 4 matrix in CSR form, with a zero column (2) and a zero row (4).
fn small() -> Value {
    json!({
        "rows": 7, "columns": 4,
        "indptr": [0, 2, 4, 5, 7, 7, 9, 11],
        "indices": [0, 1, 1, 3, 0, 0, 3, 1, 3, 0, 1],
        "values": [1.0, 2.0, 3.0, 1.5, 4.0, 2.5, 0.5, 1.0, 6.0, 3.0, 2.0],
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn assert_invalid(outcome: &Outcome, body: &Value, says: &str) {
    match outcome {
        Outcome::Failed(TaskFailure::InvalidInput(message)) => {
            assert!(message.contains(says), "{message:?} should say {says:?}")
        }
        other => panic!("expected invalid input saying {says:?}, got {other:?} {body}"),
    }
}

#[tokio::test]
async fn the_hosts_result_is_the_kernels_own() {
    let d = dispatcher().await;
    let call = with(small(), json!({"useColumns": [0, 1, 3], "components": 2}));
    let (outcome, body) = pca(&d, "exact", call.clone(), None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?} {body}");
    let numbers = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let indptr: Vec<usize> = numbers(&call["indptr"])
        .iter()
        .map(|&x| x as usize)
        .collect();
    let indices: Vec<u32> = numbers(&call["indices"])
        .iter()
        .map(|&x| x as u32)
        .collect();
    let values: Vec<f32> = numbers(&call["values"]).iter().map(|&x| x as f32).collect();
    let rows = taskhost_linalg::SparseRows::new(7, 4, &indptr, &indices, &values).unwrap();
    let want = taskhost_linalg::pca(&rows, &[0, 1, 3], 2, &taskhost_linalg::Never).unwrap();
    assert_eq!(numbers(&body["variance"]), want.variance);
    assert_eq!(numbers(&body["components"]), want.components);
    // f32 values travel as their shortest f32 decimal: read them back as f32.
    let coordinates: Vec<f32> = numbers(&body["coordinates"])
        .iter()
        .map(|&c| c as f32)
        .collect();
    assert_eq!(coordinates, want.coordinates);
    assert_eq!(body["totalVariance"].as_f64(), Some(want.total_variance));
    assert_eq!(body["steps"].as_u64(), Some(want.steps as u64));
}

#[tokio::test]
async fn malformed_arguments_are_invalid_input_naming_the_problem() {
    let d = dispatcher().await;
    let cases = [
        // Refused by start-pca.
        (
            json!({"indptr": [0, 2, 4], "components": 1}),
            "indptr has 3 offsets",
        ),
        (
            json!({"values": [1.0], "components": 1}),
            "column indices but 1 values",
        ),
        (json!({"components": 4}), "components must be between"),
        (json!({"components": 0}), "components must be between"),
        (
            json!({"useColumns": [0, 1], "components": 2}),
            "components must be between",
        ),
        // Refused by the job, reported by wait.
        (
            json!({"indices": [1, 0, 1, 3, 0, 0, 3, 1, 3, 0, 1], "components": 1}),
            "not strictly increasing",
        ),
        (
            json!({"indices": [0, 1, 1, 9, 0, 0, 3, 1, 3, 0, 1], "components": 1}),
            "beyond the 4 columns",
        ),
        (
            json!({"indptr": [0, 2, 4, 5, 7, 9, 7, 11], "components": 1}),
            "indptr decreases",
        ),
        (
            json!({"indptr": [0, 2, 4, 5, 7, 7, 9, 12], "components": 1}),
            "indptr must run from 0",
        ),
        (
            json!({"useColumns": [3, 1, 0], "components": 1}),
            "strictly increasing",
        ),
        (
            json!({"useColumns": [0, 1, 7], "components": 1}),
            "beyond the matrix's 4 columns",
        ),
        (json!({"nanAt": 3, "components": 1}), "NaN or infinite"),
    ];
    for (i, (change, says)) in cases.into_iter().enumerate() {
        let (outcome, body) = pca(&d, &format!("bad-{i}"), with(small(), change), None).await;
        assert_invalid(&outcome, &body, says);
    }
}

#[tokio::test]
async fn work_beyond_the_memory_limit_is_refused_before_it_starts() {
    let d = dispatcher().await;
    // A sparse input, but 400 components of 8,000 columns may need a 8,000-vector basis:
    // ~1 GiB of host memory, twice the default 512 MiB limit.
    let call = json!({"random": [2000, 8000, 1], "components": 400});
    let (outcome, body) = pca(&d, "too-large", call, None).await;
    assert_invalid(&outcome, &body, "too large");
    // The budget was given back: a small one runs.
    let (outcome, body) = pca(&d, "after", with(small(), json!({"components": 1})), None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?} {body}");
}

#[tokio::test]
async fn the_tasks_deadline_stops_a_long_computation() {
    let d = dispatcher().await;
    // Seconds of work (300 components of 3,000 columns), and a deadline in 800 ms.
    let deadline = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    let call = json!({"random": [6000, 3000, 50], "components": 300});
    let (outcome, body) = pca(&d, "late", call, Some(deadline.to_rfc3339())).await;
    assert!(
        matches!(outcome, Outcome::Failed(TaskFailure::Timeout { .. })),
        "{outcome:?} {body}"
    );
}

#[tokio::test]
async fn jobs_waited_twice_dropped_or_too_many() {
    let d = dispatcher().await;
    let twice = with(small(), json!({"components": 1, "waitTwice": true}));
    let (outcome, body) = pca(&d, "twice", twice, None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?} {body}");
    assert_eq!(body["first"], json!(true));
    let second = body["second"].as_str().unwrap_or_default();
    assert!(second.contains("already called"), "{body}");

    let dropped = with(small(), json!({"components": 1, "jobs": 0}));
    let (outcome, body) = pca(&d, "dropped", dropped, None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?} {body}");
    assert_eq!(body["dropped"], json!(true));

    let four = with(small(), json!({"components": 1, "jobs": 4}));
    let (outcome, body) = pca(&d, "four", four, None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?} {body}");
    let five = with(small(), json!({"components": 1, "jobs": 5}));
    let (outcome, body) = pca(&d, "five", five, None).await;
    assert_invalid(&outcome, &body, "at most 4 computations");
}

#[tokio::test]
async fn an_input_larger_than_wasmtimes_default_copy_limit_reaches_the_kernel() {
    let d = dispatcher().await;
    // 20,000 x 1,000 stored values: 160 MB of indices and values in one call, past the 128 MiB
    // wasmtime lets a host call copy out of the guest unless the host raises it (PBMC-sized
    // data sets of 50,000 cells pass ~160 MB too). Three columns keep the PCA itself cheap.
    let call = json!({"random": [20_000, 1_000, 1_000], "useColumns": [0, 1, 2], "components": 2});
    // (The result, 40,000 coordinates, is offloaded to storage: only the outcome is read.)
    let (outcome, _) = pca(&d, "large", call, None).await;
    assert!(matches!(outcome, Outcome::Succeeded), "{outcome:?}");
}
