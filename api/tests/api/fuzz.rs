//! A seeded fuzz of every route that takes a body: truncated JSON, wrong types, missing and
//! unknown fields, random bytes, deep nesting, huge strings, invalid UTF-8, oversized bodies,
//! batches over the limit and valid bodies with a wrong content type. Every answer must be a
//! JSON 4xx, and afterwards the queue (counts, every record, the dead letters) must be exactly
//! as before. Set `TASKHOST_FUZZ_SEED` to replay another seed.

use fastrand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};
use taskhost_queue::PageRequest;

use crate::common::{ADMIN, Server, test_limits};

/// The seed when `TASKHOST_FUZZ_SEED` is not set.
const SEED: u64 = 0x7a5c_4057;
/// How many requests a run sends.
const REQUESTS: usize = 400;

/// What a required field holds, to pick a value of another type for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// A string with a length limit (an envelope's uuid and task name): a huge one is invalid.
    BoundedText,
    /// A lease token: any other string is a stale token (409, nothing changes).
    Token,
    /// A free string (a reason, a worker id): only other types are invalid.
    Text,
    /// A string from a fixed set.
    Choice,
    /// An unsigned integer.
    Number,
    /// An object.
    Object,
    /// An array.
    List,
}

/// A body-taking route with a valid body to break.
struct Target {
    path: String,
    /// A valid body (with the current lease token where one is needed).
    template: Value,
    /// Required fields (JSON pointers into `template`) and what they hold.
    fields: Vec<(&'static str, Field)>,
    /// The body is decoded into a type that refuses unknown fields (not envelopes).
    strict: bool,
    /// The body is read as JSON (not the redrive routes, which take none).
    json: bool,
}

fn targets(token: &str) -> Vec<Target> {
    let envelope = json!({"uuid": "fz-new", "socketId": "s", "body": {"name": "Echo", "x": 1}});
    let envelope_fields = vec![
        ("/uuid", Field::BoundedText),
        ("/body", Field::Object),
        ("/body/name", Field::BoundedText),
    ];
    let lease = |action: &str, template: Value, fields: Vec<(&'static str, Field)>| Target {
        path: format!("/v1/leases/f-leased/{action}"),
        template,
        fields,
        strict: true,
        json: true,
    };
    vec![
        Target {
            path: "/v1/tasks".into(),
            template: envelope.clone(),
            fields: envelope_fields.clone(),
            strict: false,
            json: true,
        },
        Target {
            path: "/v1/tasks?priority=2".into(),
            template: json!([envelope.clone(), {"uuid": "fz-new-2", "body": {"name": "Sum"}}]),
            fields: vec![
                ("/0/uuid", Field::BoundedText),
                ("/1/body", Field::Object),
                ("/1/body/name", Field::BoundedText),
            ],
            strict: false,
            json: true,
        },
        Target {
            path: "/v1/queue/tasks".into(),
            template: json!([{"uuid": "fz-raw", "name": "Echo", "envelope": "{}", "maxAttempts": 2}]),
            fields: vec![
                ("/0/uuid", Field::Text),
                ("/0/name", Field::Text),
                ("/0/envelope", Field::Text),
                ("/0/maxAttempts", Field::Number),
            ],
            strict: true,
            json: true,
        },
        Target {
            path: "/v1/leases".into(),
            template: json!({"worker": "fz", "names": ["Echo", "Sum"], "limit": 5, "leaseForMs": 60000}),
            fields: vec![
                ("/worker", Field::Text),
                ("/names", Field::List),
                ("/limit", Field::Number),
                ("/leaseForMs", Field::Number),
            ],
            strict: true,
            json: true,
        },
        Target {
            path: "/v1/leases/complete-many".into(),
            template: json!([{"uuid": "f-leased", "token": token, "result": {"json": "{}"}}]),
            fields: vec![
                ("/0/uuid", Field::Text),
                // A stale token is no error here (it is reported under `leaseLost`).
                ("/0/token", Field::Text),
                ("/0/result", Field::Object),
            ],
            strict: true,
            json: true,
        },
        lease(
            "heartbeat",
            json!({"token": token, "leaseForMs": 1000}),
            vec![("/token", Field::Token), ("/leaseForMs", Field::Number)],
        ),
        lease(
            "complete",
            json!({"token": token, "result": {"json": "{\"ok\":true}"}}),
            vec![("/token", Field::Token), ("/result", Field::Object)],
        ),
        lease(
            "fail",
            json!({"token": token, "kind": "invalidInput", "error": "boom"}),
            vec![
                ("/token", Field::Token),
                ("/kind", Field::Choice),
                ("/error", Field::Text),
            ],
        ),
        lease(
            "release",
            json!({"token": token}),
            vec![("/token", Field::Token)],
        ),
        lease(
            "expire",
            json!({"token": token, "reason": "late"}),
            vec![("/token", Field::Token), ("/reason", Field::Text)],
        ),
        Target {
            path: "/v1/dead-letters/f-dead/redrive".into(),
            template: envelope.clone(),
            fields: envelope_fields.clone(),
            strict: true,
            json: false,
        },
        Target {
            path: "/v1/dead-letters/redrive".into(),
            template: envelope,
            fields: envelope_fields,
            strict: true,
            json: false,
        },
    ]
}

/// A value of another type than `field` holds (for a text field with a length limit, also a
/// string that is too long).
fn wrong_value(rng: &mut Rng, field: Field) -> Value {
    let huge = || Value::String("h".repeat(300));
    let mut options = vec![
        json!(null),
        json!(true),
        json!([1, "two"]),
        json!({"nested": {}}),
    ];
    match field {
        Field::BoundedText => options.extend([json!(42), huge()]),
        Field::Token | Field::Text => options.extend([json!(42), json!(-1.5)]),
        Field::Choice => options.extend([json!(7), json!("no-such-choice")]),
        Field::Number => options.extend([
            json!("12"),
            json!(-1),
            json!(1.5),
            json!(1e300),
            json!(u64::MAX),
        ]),
        Field::Object => options.extend([json!("text"), json!(3)]),
        Field::List => options.extend([json!("Echo"), json!(3)]),
    }
    // `u64::MAX` is a valid `leaseForMs` type-wise, but over the 31-day bound: still a 400.
    options[rng.usize(..options.len())].clone()
}

/// Splits a JSON pointer into its parent and last key.
fn parent_and_key(pointer: &str) -> (&str, &str) {
    pointer.rsplit_once('/').expect("a pointer")
}

/// A body that is not valid JSON of any kind this route accepts: `[`/`{` nested `depth` deep.
fn nested(rng: &mut Rng, depth: usize) -> String {
    if rng.bool() {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    } else {
        format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
    }
}

/// One malformed request: its description, body and content type.
fn malformed(rng: &mut Rng, target: &Target) -> (String, Vec<u8>, Option<&'static str>) {
    let limit = usize::try_from(test_limits().max_body_bytes).expect("a size");
    let text = target.template.to_string();
    let content_type = match rng.u8(..10) {
        0 => None,
        1 => Some("application/json; charset=utf-8"),
        2 => Some("text/plain"),
        _ => Some("application/json"),
    };
    let kinds = if target.json { 12 } else { 9 };
    let (what, body) = match rng.usize(..kinds) {
        0 => {
            // A proper prefix of an object or array is never valid JSON (and never empty).
            let cut = rng.usize(1..text.len());
            (
                format!("truncated at {cut}"),
                text.as_bytes()[..cut].to_vec(),
            )
        }
        1 => {
            let (pointer, field) = target.fields[rng.usize(..target.fields.len())];
            let mut value = target.template.clone();
            let wrong = wrong_value(rng, field);
            *value.pointer_mut(pointer).expect("a field") = wrong.clone();
            (
                format!("{pointer} = {wrong}"),
                value.to_string().into_bytes(),
            )
        }
        2 => {
            let (pointer, _) = target.fields[rng.usize(..target.fields.len())];
            let mut value = target.template.clone();
            let (parent, key) = parent_and_key(pointer);
            value
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("an object")
                .remove(key);
            (format!("{pointer} missing"), value.to_string().into_bytes())
        }
        3 => {
            // Bytes that cannot start a JSON text (nor whitespace), then anything.
            let starts = [b'}', b']', b'#', b'@', b'!', b'Z', b':', b',', 0xff, 0x00];
            let length = rng.usize(1..2000);
            let mut bytes = vec![starts[rng.usize(..starts.len())]];
            bytes.extend((0..length).map(|_| rng.u8(..)));
            (format!("{} random bytes", bytes.len()), bytes)
        }
        4 => {
            // Past serde_json's recursion limit (128), whole or inside an extra field.
            let depth = rng.usize(200..20_000);
            let deep = nested(rng, depth);
            if rng.bool() || !target.template.is_object() {
                (format!("nested {depth} deep"), deep.into_bytes())
            } else {
                let mut value = target.template.clone();
                value["deep"] = json!("__DEEP__");
                let body = value.to_string().replace("\"__DEEP__\"", &deep);
                (format!("a field nested {depth} deep"), body.into_bytes())
            }
        }
        5 => {
            // A huge string where the type or the length makes it invalid (or, for a token,
            // where it is only a stale token).
            let candidates: Vec<_> = target
                .fields
                .iter()
                .filter(|(_, field)| !matches!(field, Field::Text))
                .collect();
            let (pointer, _) = candidates[rng.usize(..candidates.len())];
            let mut value = target.template.clone();
            let length = rng.usize(1000..limit - 1000);
            *value.pointer_mut(pointer).expect("a field") = Value::String("Z".repeat(length));
            (
                format!("{pointer} = a string of {length}"),
                value.to_string().into_bytes(),
            )
        }
        6 => {
            let mut bytes = text.clone().into_bytes();
            let invalid: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"];
            let at = rng.usize(..=bytes.len());
            let insert = invalid[rng.usize(..invalid.len())];
            bytes.splice(at..at, insert.iter().copied());
            (format!("invalid UTF-8 at {at}"), bytes)
        }
        7 => {
            // Valid JSON of a type no route takes at the top.
            let scalars = ["\"text\"", "123", "null", "true", "1.5e308", "-0"];
            let scalar = scalars[rng.usize(..scalars.len())];
            (format!("top-level {scalar}"), scalar.as_bytes().to_vec())
        }
        8 => {
            // Over the body limit (but under the size the server still drains).
            let pad = rng.usize(limit..limit * 3);
            let body = if target.template.is_object() {
                let mut value = target.template.clone();
                value["pad"] = Value::String("p".repeat(pad));
                value.to_string()
            } else {
                format!("[{}]", " ".repeat(pad))
            };
            (format!("{} bytes", body.len()), body.into_bytes())
        }
        9 if target.strict => {
            let mut value = target.template.clone();
            let object = match value.as_array_mut() {
                Some(items) => &mut items[0],
                None => &mut value,
            };
            object["unexpected"] = json!(1);
            (
                "an unknown field".to_owned(),
                value.to_string().into_bytes(),
            )
        }
        9 | 10 => {
            // A valid body, but not declared as JSON.
            let content_type =
                ["text/plain", "application/xml", "multipart/form-data"][rng.usize(..3)];
            return (
                format!("valid body as {content_type}"),
                text.into_bytes(),
                Some(content_type),
            );
        }
        _ => {
            // Valid items, one too many (or more) for one request.
            let Some(items) = target.template.as_array() else {
                let cut = rng.usize(1..text.len());
                return (
                    format!("truncated at {cut}"),
                    text.as_bytes()[..cut].to_vec(),
                    content_type,
                );
            };
            let count = test_limits().max_batch + 1 + rng.usize(..20);
            let many: Vec<Value> = (0..count)
                .map(|i| {
                    let mut item = items[0].clone();
                    if item.get("envelope").is_some() || item.get("body").is_some() {
                        item["uuid"] = json!(format!("fz-many-{i}"));
                    }
                    item
                })
                .collect();
            (
                format!("{count} items"),
                Value::Array(many).to_string().into_bytes(),
            )
        }
    };
    (what, body, content_type)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_get_4xx_and_leave_the_queue_unchanged() {
    let seed = std::env::var("TASKHOST_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(SEED);
    let server = Server::start().await;
    // One task in each state the routes could touch.
    server.submit(&["f-dead"], "Dead").await;
    server.make_dead("Dead").await;
    server.make_succeeded("f-done", r#"{"done":true}"#).await;
    server.submit(&["f-leased"], "Busy").await;
    let lease = server.lease("w1", "Busy").await;
    server.submit(&["f-queued"], "Echo").await;
    server.submit(&["f-sum"], "Sum").await;
    let mut uuids: Vec<String> = ["f-dead", "f-done", "f-leased", "f-queued", "f-sum"]
        .map(String::from)
        .to_vec();
    uuids.extend(["fz-new", "fz-new-2", "fz-raw", "fz-many-0"].map(String::from));
    let before = server.snapshot(&uuids).await;
    let counts_before = server.counts_json().await;
    let dead_before = server
        .queue
        .dead_letters(PageRequest::first(100))
        .await
        .expect("dead letters");

    let targets = targets(lease.token.as_str());
    let mut rng = Rng::with_seed(seed);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..REQUESTS {
        let target = &targets[rng.usize(..targets.len())];
        let (what, body, content_type) = malformed(&mut rng, target);
        let mut request = server
            .request("POST", &target.path)
            .bearer_auth(ADMIN)
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap_or_else(|error| {
            panic!(
                "seed {seed} round {round}: POST {} ({what}): {error}",
                target.path
            )
        });
        let status = response.status();
        let declared = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("a body");
        let shown: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        assert!(
            status.is_client_error(),
            "seed {seed} round {round}: POST {} ({what}) answered {status}: {text}\nbody: {shown}",
            target.path
        );
        assert_eq!(declared.as_deref(), Some("application/json"), "{text}");
        let error: Value = serde_json::from_str(&text).expect("a JSON error body");
        assert!(error["error"].is_string(), "{text}");
        *statuses.entry(status.as_u16()).or_default() += 1;
    }

    assert_eq!(
        before,
        server.snapshot(&uuids).await,
        "seed {seed}: every record and count is unchanged"
    );
    assert_eq!(counts_before, server.counts_json().await, "seed {seed}");
    assert_eq!(
        dead_before,
        server
            .queue
            .dead_letters(PageRequest::first(100))
            .await
            .expect("dead letters"),
        "seed {seed}"
    );
    // The fuzz reached the checks it is meant to reach.
    for status in [
        StatusCode::BAD_REQUEST,
        StatusCode::PAYLOAD_TOO_LARGE,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    ] {
        assert!(
            statuses.contains_key(&status.as_u16()),
            "seed {seed}: no {status} in {statuses:?}"
        );
    }
    eprintln!("seed {seed}: {REQUESTS} requests, statuses {statuses:?}");
}
