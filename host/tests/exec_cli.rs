//! `taskhost exec` as a user runs it: result messages on stdout, exit codes 0/1/2, one-line
//! errors, the producers' sample tasks, and large results offloaded to storage.

mod common;

use std::process::Output;

use serde_json::{Value, json};
use taskhost::envelope::Envelope;
use taskhost::storage::{HmacSigner, ObjectKey, PresignMethod};

fn exec_json(data: &std::path::Path, task: &Value) -> Output {
    let file = data.join(format!("task-{}.json", rand_suffix()));
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(&file, task.to_string()).unwrap();
    common::taskhost(data)
        .arg("exec")
        .arg(&file)
        .output()
        .unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Asserts the exit code, showing stderr when it differs.
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn message(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON message ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn result_body(message: &Value) -> Value {
    serde_json::from_str(message["results"][0]["body"].as_str().unwrap()).unwrap()
}

#[test]
fn echo_result_message_has_exactly_the_documented_shape() {
    let data = tempfile::tempdir().unwrap();
    let task = json!({"uuid": "509520fe-d329-437d-8752-b5868ad59425", "socketId": "Y1poEygzBfrDmIWpAAAA",
        "experimentId": "e1", "timeout": "2099-12-31 00:00:00", "somethingNew": {"kept": [1, 2]},
        "body": {"name": "Echo", "payload": "ü"}});
    let output = exec_json(data.path(), &task);
    assert_exit(&output, 0);
    let expected = json!({
        "request": task,
        "results": [{"content-type": "application/json", "content-encoding": "utf-8", "type": "inline",
                     "body": task["body"].to_string()}],
        "response": {"cacheable": true, "error": false}
    });
    assert_eq!(message(&output), expected);
}

#[test]
fn every_sample_task_parses_and_the_expired_ones_are_not_run() {
    let mut expired = Vec::new();
    for entry in std::fs::read_dir(common::fixture_task("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let envelope = Envelope::parse(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        assert!(envelope.timeout.is_some(), "{}", path.display());
        if envelope.is_expired_at(chrono::Utc::now()) {
            expired.push(path);
        }
    }
    expired.sort();
    let names: Vec<_> = expired
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["get-embedding.json", "list-genes.json"]);
    // Routed to `Spin`, an expired task would take 2 s and time out if it ran; it must be
    // recorded as expired at once instead.
    let data = tempfile::tempdir().unwrap();
    for path in expired {
        let mut task: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        task["body"]["name"] = json!("Spin");
        let output = exec_json(data.path(), &task);
        assert_eq!(output.status.code(), Some(1));
        let msg = message(&output);
        assert_eq!(msg["response"], json!({"cacheable": false, "error": true}));
        assert_eq!(result_body(&msg)["error_code"], "EXPIRED");
        assert_eq!(msg["request"], task);
    }
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_2_and_never_a_panic() {
    let data = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 5] = [
        ("{not json", "not valid JSON"),
        (r#"{"body": {"name": "Echo"}}"#, "no `uuid`"),
        (r#"{"uuid": "u", "body": {"x": 1}}"#, "no `name`"),
        (
            r#"{"uuid": "u", "body": {"name": "NoSuchTask"}}"#,
            "no plugin handles task \"NoSuchTask\"",
        ),
        (
            r#"{"uuid": "u", "experimentId": "../x", "body": {"name": "Echo"}}"#,
            "experimentId",
        ),
    ];
    for (text, expected) in cases {
        let file = data.path().join("bad.json");
        std::fs::write(&file, text).unwrap();
        let output = common::taskhost(data.path())
            .arg("exec")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
        assert!(output.stdout.is_empty(), "{text}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{text}: {stderr}");
        assert!(
            stderr.starts_with("taskhost: ") && stderr.contains(expected),
            "{text}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let missing = common::taskhost(data.path())
        .args(["exec", "no-such-file.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let usage = common::taskhost(data.path())
        .args(["exec", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_failed_task_exits_1_and_still_prints_its_message() {
    let data = tempfile::tempdir().unwrap();
    let output = exec_json(
        data.path(),
        &json!({"uuid": "p1", "body": {"name": "Panic"}}),
    );
    assert_eq!(output.status.code(), Some(1));
    let msg = message(&output);
    assert_eq!(msg["response"]["error"], true);
    let body = result_body(&msg);
    assert_eq!(body["error_code"], "PLUGIN_CRASHED");
    // The panic's text stays in the log; users get a generic message.
    assert!(
        !body["user_message"]
            .as_str()
            .unwrap()
            .contains("on purpose")
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("panics on purpose"));
}

#[test]
fn a_large_result_is_offloaded_with_a_presigned_url_and_stored() {
    let data = tempfile::tempdir().unwrap();
    let size = 300 * 1024;
    let task = json!({"uuid": "big-1", "body": {"name": "Echo", "payload": "x", "repeat": size}});
    let output = exec_json(data.path(), &task);
    assert_exit(&output, 0);
    let msg = message(&output);
    let entry = &msg["results"][0];
    assert_eq!(entry["type"], "s3-path");
    assert_eq!(entry["body"], "results/big-1/0");
    let stored = std::fs::read(data.path().join("storage/results/big-1/0")).unwrap();
    let text: String = serde_json::from_slice(&stored).unwrap();
    assert_eq!(text.len(), size);
    // The URL is signed with the host's key and names the stored object.
    let url = url::Url::parse(entry["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/v1/storage/results/big-1/0");
    let q = |n: &str| {
        url.query_pairs()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let key = std::fs::read(data.path().join("presign.key")).unwrap();
    let signer = HmacSigner::new(key, url::Url::parse("http://127.0.0.1:8080/").unwrap());
    signer
        .verify(
            PresignMethod::Get,
            "results",
            &ObjectKey::parse("big-1/0").unwrap(),
            q("expires").parse().unwrap(),
            &q("signature"),
        )
        .unwrap();
    // A small result of the same task stays inline.
    let small = exec_json(
        data.path(),
        &json!({"uuid": "small-1", "body": {"name": "Echo", "payload": "x", "repeat": 10}}),
    );
    assert_eq!(message(&small)["results"][0]["type"], "inline");
}

#[test]
fn the_task_can_come_from_stdin() {
    use std::io::Write;
    let data = tempfile::tempdir().unwrap();
    let mut child = common::taskhost(data.path())
        .args(["exec", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"uuid": "s1", "body": {"name": "Echo"}}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(message(&output)["request"]["uuid"], "s1");
}

#[test]
fn plugin_inspect_prints_describe_and_imports() {
    let data = tempfile::tempdir().unwrap();
    let output = common::taskhost(data.path())
        .args(["plugin", "inspect"])
        .arg(common::test_plugin("spin"))
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["name"], "spin");
    assert_eq!(doc["tasks"], json!(["Spin"]));
    assert_eq!(doc["limits"]["requested"]["timeout_ms"], 2000);
    assert_eq!(doc["limits"]["granted"]["timeoutMs"], 2000);
    assert_eq!(doc["sha256"].as_str().unwrap().len(), 64);
    let imports: Vec<&str> = doc["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("taskhost:plugin/log@")),
        "{imports:?}"
    );
    let not_a_component = data.path().join("x.wasm");
    std::fs::write(&not_a_component, b"\0asm\x01\0\0\0").unwrap();
    let bad = common::taskhost(data.path())
        .args(["plugin", "inspect"])
        .arg(&not_a_component)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a WebAssembly component"));
}

#[test]
fn an_unknown_key_in_the_settings_file_is_refused_by_name() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("taskhost.toml");
    std::fs::write(&config, "concurency = 4\n").unwrap();
    let output = common::taskhost(data.path())
        .args(["config", "show", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("concurency"));
    let ok = common::taskhost(data.path())
        .args(["config", "show", "--max-attempts", "5"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&ok.stdout).contains("max_attempts = 5"));
}
