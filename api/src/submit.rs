//! Turning the body of `POST /v1/tasks` into tasks: one envelope object or an array of them,
//! each kept as the raw JSON text of its element (byte for byte), each checked for a string
//! `uuid` and `body.name`. One bad element rejects the whole batch, naming its index.

use serde_json::value::RawValue;
use taskhost_queue::{MAX_ID_LEN, NewTask};

use crate::error::ApiError;
use crate::state::{Limits, SubmitDefaults};

/// The per-request settings of a submit (query `priority`, `maxAttempts`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubmitOptions {
    pub(crate) priority: i32,
    pub(crate) max_attempts: u32,
    pub(crate) retry_on_different_worker: bool,
}

impl SubmitOptions {
    pub(crate) fn new(
        defaults: SubmitDefaults,
        priority: Option<i32>,
        max_attempts: Option<u32>,
    ) -> Result<Self, ApiError> {
        let max_attempts = max_attempts.unwrap_or(defaults.max_attempts);
        if max_attempts == 0 || max_attempts > i32::MAX as u32 {
            return Err(ApiError::BadRequest(
                "maxAttempts must be between 1 and 2147483647".into(),
            ));
        }
        Ok(Self {
            priority: priority.unwrap_or(0),
            max_attempts,
            retry_on_different_worker: defaults.retry_on_different_worker,
        })
    }
}

/// The envelopes of a body: an array's elements, or the one object.
fn elements(body: &[u8]) -> Result<(Vec<Box<RawValue>>, bool), ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|error| ApiError::BadRequest(format!("the body is not UTF-8: {error}")))?;
    let start = text.trim_start().as_bytes().first().copied();
    let invalid =
        |error: serde_json::Error| ApiError::BadRequest(format!("invalid JSON body: {error}"));
    match start {
        Some(b'[') => Ok((serde_json::from_str(text).map_err(invalid)?, true)),
        Some(b'{') => Ok((vec![serde_json::from_str(text).map_err(invalid)?], false)),
        _ => Err(ApiError::BadRequest(
            "the body must be an envelope object or an array of envelopes".into(),
        )),
    }
}

/// Checks one envelope and returns its uuid and task name.
fn uuid_and_name(raw: &RawValue) -> Result<(String, String), String> {
    let value: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(|error| error.to_string())?;
    let object = value
        .as_object()
        .ok_or("the envelope is not a JSON object")?;
    let uuid = match object.get("uuid") {
        None => return Err("`uuid` is missing".into()),
        Some(serde_json::Value::String(uuid)) => uuid,
        Some(_) => return Err("`uuid` must be a string".into()),
    };
    if uuid.trim().is_empty() {
        return Err("`uuid` is empty".into());
    }
    if uuid.len() > MAX_ID_LEN {
        return Err(format!("`uuid` is longer than {MAX_ID_LEN} bytes"));
    }
    if uuid.contains('\0') {
        return Err("`uuid` contains U+0000".into());
    }
    let body = match object.get("body") {
        None => return Err("`body` is missing".into()),
        Some(serde_json::Value::Object(body)) => body,
        Some(_) => return Err("`body` must be an object".into()),
    };
    let name = match body.get("name") {
        None => return Err("`body.name` is missing".into()),
        Some(serde_json::Value::String(name)) => name,
        Some(_) => return Err("`body.name` must be a string".into()),
    };
    if name.trim().is_empty() {
        return Err("`body.name` is empty".into());
    }
    if name.len() > MAX_ID_LEN {
        return Err(format!("`body.name` is longer than {MAX_ID_LEN} bytes"));
    }
    if name.contains('\0') {
        return Err("`body.name` contains U+0000".into());
    }
    Ok((uuid.clone(), name.clone()))
}

/// The tasks of a submit body, or a 400 (413 for a batch over `limits.max_batch`).
pub(crate) fn tasks_from_body(
    body: &[u8],
    options: SubmitOptions,
    limits: &Limits,
) -> Result<Vec<NewTask>, ApiError> {
    let (elements, is_array) = elements(body)?;
    if elements.is_empty() {
        return Err(ApiError::BadRequest(
            "the array of envelopes is empty".into(),
        ));
    }
    if elements.len() > limits.max_batch {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} envelopes in one request; the limit is {}",
            elements.len(),
            limits.max_batch
        )));
    }
    let mut tasks = Vec::with_capacity(elements.len());
    for (index, raw) in elements.iter().enumerate() {
        let (uuid, name) = uuid_and_name(raw).map_err(|problem| {
            ApiError::BadRequest(if is_array {
                format!("envelope [{index}]: {problem}")
            } else {
                format!("envelope: {problem}")
            })
        })?;
        tasks.push(NewTask {
            uuid,
            name,
            envelope: raw.get().to_owned(),
            priority: options.priority,
            max_attempts: options.max_attempts,
            run_after: None,
            retry_on_different_worker: options.retry_on_different_worker,
        });
    }
    Ok(tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SubmitOptions {
        SubmitOptions::new(SubmitDefaults::default(), None, None).expect("options")
    }

    #[test]
    fn envelopes_are_kept_byte_for_byte() {
        let body = br#" [ {"uuid":"a", "body":{"name":"Echo"},"x" : 1.50} ,{"body":{"name":"E"},"uuid":"b"}] "#;
        let tasks = tasks_from_body(body, options(), &Limits::default()).expect("tasks");
        assert_eq!(
            tasks[0].envelope,
            r#"{"uuid":"a", "body":{"name":"Echo"},"x" : 1.50}"#
        );
        assert_eq!(tasks[1].uuid, "b");
        assert_eq!(tasks[1].name, "E");
    }

    #[test]
    fn one_bad_element_names_its_index() {
        let body = br#"[{"uuid":"a","body":{"name":"Echo"}},{"uuid":7,"body":{"name":"Echo"}}]"#;
        let error = tasks_from_body(body, options(), &Limits::default()).expect_err("rejected");
        assert!(error.to_string().contains("[1]"), "{error}");
    }

    #[test]
    fn a_batch_over_the_limit_is_too_large() {
        let limits = Limits {
            max_batch: 1,
            ..Limits::default()
        };
        let body = br#"[{"uuid":"a","body":{"name":"E"}},{"uuid":"b","body":{"name":"E"}}]"#;
        assert!(matches!(
            tasks_from_body(body, options(), &limits),
            Err(ApiError::PayloadTooLarge(_))
        ));
    }
}
