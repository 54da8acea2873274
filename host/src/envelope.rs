//! The task envelope: the JSON message producers send (to SQS, the HTTP API or `exec`).
//!
//! Compatible with the single-cell worker's messages: `uuid` and `body.name` are required,
//! `experimentId` scopes storage, `timeout` is a deadline in RFC 3339 or `YYYY-MM-DD HH:MM:SS`
//! (UTC), and every other field (`socketId`, unknown ones) is kept untouched in the original
//! JSON so that it is carried through to the result message.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::storage::check_segment;

/// The longest task id accepted.
pub const MAX_UUID_LEN: usize = 128;

/// A parsed, valid task envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The task id and idempotency key (`uuid`).
    pub uuid: String,
    /// The route key (`body.name`).
    pub task_name: String,
    /// The storage scope (`experimentId`), if given.
    pub experiment_id: Option<String>,
    /// The deadline (`timeout`), if given.
    pub timeout: Option<DateTime<Utc>>,
    /// The `body` object, `name` included.
    pub body: Map<String, Value>,
    /// The envelope exactly as received, for the result message's `request`.
    pub original: Value,
}

/// Why a message is not a valid envelope. Every variant reads as a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes are not JSON.
    #[error("the task is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON is not an object.
    #[error("the task must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    /// `uuid` is missing.
    #[error("the task has no `uuid`")]
    MissingUuid,
    /// `uuid` is not a usable id.
    #[error(
        "the task's `uuid` must be a non-empty string of at most 128 characters without control characters"
    )]
    BadUuid,
    /// `body` is missing or not an object.
    #[error("the task has no `body` object")]
    MissingBody,
    /// `body.name` is missing.
    #[error("the task's `body` has no `name`")]
    MissingTaskName,
    /// `body.name` is not a non-empty string.
    #[error("the task's `body.name` must be a non-empty string")]
    BadTaskName,
    /// `experimentId` is not a single safe path segment.
    #[error(
        "the task's `experimentId` {0:?} is not a valid id (letters, digits, `.`, `-`, `_`; no `/` or `..`)"
    )]
    BadExperimentId(String),
    /// `timeout` has neither accepted spelling.
    #[error("the task's `timeout` {0:?} is neither RFC 3339 nor `YYYY-MM-DD HH:MM:SS` (UTC)")]
    BadTimeout(String),
}

impl Envelope {
    /// Parses and validates raw bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        Self::from_value(value)
    }

    /// Validates an already-parsed JSON value.
    pub fn from_value(original: Value) -> Result<Self, EnvelopeError> {
        let object = match &original {
            Value::Object(o) => o,
            other => return Err(EnvelopeError::NotAnObject(kind(other))),
        };
        let uuid = match object.get("uuid") {
            None | Some(Value::Null) => return Err(EnvelopeError::MissingUuid),
            Some(Value::String(s))
                if !s.is_empty() && s.len() <= MAX_UUID_LEN && !s.chars().any(char::is_control) =>
            {
                s.clone()
            }
            Some(_) => return Err(EnvelopeError::BadUuid),
        };
        let body = match object.get("body") {
            Some(Value::Object(b)) => b.clone(),
            _ => return Err(EnvelopeError::MissingBody),
        };
        let task_name = match body.get("name") {
            None | Some(Value::Null) => return Err(EnvelopeError::MissingTaskName),
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => return Err(EnvelopeError::BadTaskName),
        };
        let experiment_id = match object.get("experimentId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if check_segment(s).is_ok() => Some(s.clone()),
            Some(other) => {
                return Err(EnvelopeError::BadExperimentId(
                    other
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| other.to_string()),
                ));
            }
        };
        let timeout = match object.get("timeout") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(parse_timeout(s)?),
            Some(other) => return Err(EnvelopeError::BadTimeout(other.to_string())),
        };
        Ok(Self {
            uuid,
            task_name,
            experiment_id,
            timeout,
            body,
            original,
        })
    }

    /// `true` when the task's deadline is at or before `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.timeout.is_some_and(|t| t <= now)
    }

    /// The body as JSON text, for the plugin.
    pub fn body_json(&self) -> String {
        Value::Object(self.body.clone()).to_string()
    }
}

/// Parses a `timeout`: RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]` taken as UTC.
pub fn parse_timeout(text: &str) -> Result<DateTime<Utc>, EnvelopeError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    Err(EnvelopeError::BadTimeout(text.to_owned()))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parse(text: &str) -> Result<Envelope, EnvelopeError> {
        Envelope::parse(text.as_bytes())
    }

    #[test]
    fn both_timeout_spellings_are_utc() {
        let a = parse_timeout("2099-12-31 00:00:00").unwrap();
        let b = parse_timeout("2099-12-31T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, Utc.with_ymd_and_hms(2099, 12, 31, 0, 0, 0).unwrap());
        assert_eq!(
            parse_timeout("2021-01-01T02:00:00+02:00").unwrap(),
            Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap()
        );
        assert!(parse_timeout("tomorrow").is_err());
        assert!(parse_timeout("2021-13-01 00:00:00").is_err());
    }

    #[test]
    fn required_fields_have_clear_errors() {
        use EnvelopeError::*;
        let cases = [
            ("{", "NotJson"),
            ("[]", "NotAnObject"),
            (r#"{"body":{"name":"A"}}"#, "MissingUuid"),
            (r#"{"uuid":"","body":{"name":"A"}}"#, "BadUuid"),
            (r#"{"uuid":7,"body":{"name":"A"}}"#, "BadUuid"),
            (r#"{"uuid":"u"}"#, "MissingBody"),
            (r#"{"uuid":"u","body":"x"}"#, "MissingBody"),
            (r#"{"uuid":"u","body":{}}"#, "MissingTaskName"),
            (r#"{"uuid":"u","body":{"name":3}}"#, "BadTaskName"),
            (r#"{"uuid":"u","body":{"name":" "}}"#, "BadTaskName"),
            (
                r#"{"uuid":"u","experimentId":"../x","body":{"name":"A"}}"#,
                "BadExperimentId",
            ),
            (
                r#"{"uuid":"u","timeout":"soon","body":{"name":"A"}}"#,
                "BadTimeout",
            ),
            (
                r#"{"uuid":"u","timeout":5,"body":{"name":"A"}}"#,
                "BadTimeout",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            let name = match err {
                NotJson(_) => "NotJson",
                NotAnObject(_) => "NotAnObject",
                MissingUuid => "MissingUuid",
                BadUuid => "BadUuid",
                MissingBody => "MissingBody",
                MissingTaskName => "MissingTaskName",
                BadTaskName => "BadTaskName",
                BadExperimentId(_) => "BadExperimentId",
                BadTimeout(_) => "BadTimeout",
            };
            assert_eq!(name, expected, "{text}");
            assert!(!err.to_string().contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn unknown_fields_are_kept_in_the_original() {
        let e =
            parse(r#"{"uuid":"u","socketId":"s","extra":{"a":1},"body":{"name":"Echo","x":2}}"#)
                .unwrap();
        assert_eq!(e.task_name, "Echo");
        assert_eq!(e.original["socketId"], "s");
        assert_eq!(e.original["extra"]["a"], 1);
        assert_eq!(e.body["x"], 2);
        assert!(!e.is_expired_at(Utc::now()));
    }

    #[test]
    fn a_past_timeout_is_expired() {
        let e =
            parse(r#"{"uuid":"u","timeout":"2021-01-01T00:00:00Z","body":{"name":"A"}}"#).unwrap();
        assert!(e.is_expired_at(Utc::now()));
    }
}
