//! The result message: what a task's outcome looks like on SNS, in the result store, in a
//! file or on `exec`'s stdout. Compatible with the single-cell worker's messages:
//!
//! ```json
//! {"request": {...the envelope...},
//!  "results": [{"content-type": "application/json", "content-encoding": "utf-8",
//!               "type": "inline", "body": "<the JSON as a string>"}],
//!  "response": {"cacheable": true, "error": false}}
//! ```
//!
//! A message that would reach 0.8 x 256 KiB (the SNS limit) has every result body written to
//! object storage instead; each entry becomes `"type": "s3-path"`, `"body": "<bucket>/<key>"`,
//! plus a presigned GET `"url"`.

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::runtime::Output;
use crate::storage::{
    ObjectKey, PresignMethod, StorageBackend, StorageBackendExt, StorageError, check_segment,
};

/// SNS's message size limit.
pub const SNS_MAX_BYTES: usize = 256 * 1024;
/// Messages of this size or more are offloaded to object storage (0.8 x the SNS limit).
pub const OFFLOAD_THRESHOLD_BYTES: usize = SNS_MAX_BYTES * 8 / 10;

/// A result message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultMessage {
    /// The original envelope, untouched.
    pub request: Value,
    /// One entry per output.
    pub results: Vec<ResultEntry>,
    /// Whether the task failed and whether the answer may be cached.
    pub response: ResponseStatus,
}

/// One output in a result message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultEntry {
    /// The output's media type.
    #[serde(rename = "content-type")]
    pub content_type: String,
    /// `utf-8` for text, `base64` for other bytes.
    #[serde(rename = "content-encoding")]
    pub content_encoding: String,
    /// `inline` or `s3-path`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The body (inline) or `<bucket>/<key>` (s3-path).
    pub body: String,
    /// For `s3-path`: a presigned GET URL of the object.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
}

/// The `response` part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseStatus {
    /// `false` for failures: a retry may give another answer.
    pub cacheable: bool,
    /// `true` when the task failed.
    pub error: bool,
}

/// The body of a failure's one result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code, e.g. `TIMEOUT`.
    pub error_code: String,
    /// What a user may be told.
    pub user_message: String,
}

/// Where offloaded results go.
#[derive(Debug, Clone)]
pub struct OffloadSettings {
    /// The bucket that receives large results.
    pub bucket: String,
    /// How long their presigned URLs stay valid.
    pub url_ttl: Duration,
}

impl ResultMessage {
    /// A success with `outputs` inline.
    pub fn success(request: &Value, outputs: &[Output]) -> Self {
        Self {
            request: request.clone(),
            results: outputs.iter().map(inline_entry).collect(),
            response: ResponseStatus {
                cacheable: true,
                error: false,
            },
        }
    }

    /// A failure with one JSON result `{"error_code", "user_message"}`.
    pub fn failure(request: &Value, error_code: &str, user_message: &str) -> Self {
        let body = ErrorBody {
            error_code: error_code.to_owned(),
            user_message: user_message.to_owned(),
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        Self {
            request: request.clone(),
            results: vec![ResultEntry {
                content_type: "application/json".into(),
                content_encoding: "utf-8".into(),
                kind: "inline".into(),
                body,
                url: None,
            }],
            response: ResponseStatus {
                cacheable: false,
                error: true,
            },
        }
    }

    /// The message as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A success, offloading every body to storage when the inline message would be too large.
    pub async fn success_or_offloaded(
        request: &Value,
        task_id: &str,
        outputs: &[Output],
        storage: &dyn StorageBackend,
        offload: &OffloadSettings,
    ) -> Result<Self, StorageError> {
        let inline = Self::success(request, outputs);
        if inline.to_json().len() < OFFLOAD_THRESHOLD_BYTES {
            return Ok(inline);
        }
        let bucket = storage.bucket(&offload.bucket)?;
        let folder = result_folder(task_id);
        let mut results = Vec::with_capacity(outputs.len());
        for (index, (output, entry)) in outputs.iter().zip(inline.results).enumerate() {
            let key = ObjectKey::parse(&format!("{folder}/{index}"))?;
            bucket.put(&key, output.body.clone().into()).await?;
            let url = storage
                .presign(PresignMethod::Get, &offload.bucket, &key, offload.url_ttl)
                .await?;
            results.push(ResultEntry {
                content_type: entry.content_type,
                content_encoding: entry.content_encoding,
                kind: "s3-path".into(),
                body: format!("{}/{key}", offload.bucket),
                url: Some(url.to_string()),
            });
        }
        Ok(Self { results, ..inline })
    }
}

/// The folder a task's offloaded results go in: its id, or the id's sha256 when the id is not
/// a safe path segment.
fn result_folder(task_id: &str) -> String {
    if check_segment(task_id).is_ok() {
        task_id.to_owned()
    } else {
        hex::encode(Sha256::digest(task_id.as_bytes()))
    }
}

fn inline_entry(output: &Output) -> ResultEntry {
    let (encoding, body) = match std::str::from_utf8(&output.body) {
        Ok(text) => ("utf-8", text.to_owned()),
        Err(_) => (
            "base64",
            base64::engine::general_purpose::STANDARD.encode(&output.body),
        ),
    };
    ResultEntry {
        content_type: output.content_type.clone(),
        content_encoding: encoding.into(),
        kind: "inline".into(),
        body,
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::HostSignedStorage;
    use serde_json::json;

    fn out(body: &[u8]) -> Output {
        Output {
            content_type: "application/json".into(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_success_has_the_documented_shape() {
        let request = json!({"uuid": "u", "socketId": "s", "body": {"name": "Echo"}});
        let msg = ResultMessage::success(&request, &[out(br#"{"a":1}"#)]);
        let value: Value = serde_json::from_str(&msg.to_json()).unwrap();
        assert_eq!(
            value,
            json!({"request": request, "results": [{"content-type": "application/json",
                "content-encoding": "utf-8", "type": "inline", "body": "{\"a\":1}"}],
                "response": {"cacheable": true, "error": false}})
        );
    }

    #[test]
    fn binary_bodies_are_base64() {
        let msg = ResultMessage::success(&json!({}), &[out(&[0xff, 0x00])]);
        assert_eq!(msg.results[0].content_encoding, "base64");
        assert_eq!(msg.results[0].body, "/wA=");
    }

    #[test]
    fn a_failure_carries_code_and_message() {
        let msg = ResultMessage::failure(&json!({"uuid": "u"}), "TIMEOUT", "too slow");
        assert!(msg.response.error && !msg.response.cacheable);
        let body: ErrorBody = serde_json::from_str(&msg.results[0].body).unwrap();
        assert_eq!(body.error_code, "TIMEOUT");
        assert_eq!(body.user_message, "too slow");
    }

    #[tokio::test]
    async fn large_messages_are_offloaded_and_small_ones_are_not() {
        let storage = HostSignedStorage::memory(
            url::Url::parse("http://127.0.0.1:8080").unwrap(),
            b"k".to_vec(),
        );
        let offload = OffloadSettings {
            bucket: "results".into(),
            url_ttl: Duration::from_secs(60),
        };
        let request = json!({"uuid": "t1"});
        let small = [out(&vec![b'a'; 1000])];
        let msg = ResultMessage::success_or_offloaded(&request, "t1", &small, &storage, &offload)
            .await
            .unwrap();
        assert_eq!(msg.results[0].kind, "inline");
        let big = [out(&vec![b'a'; OFFLOAD_THRESHOLD_BYTES])];
        let msg = ResultMessage::success_or_offloaded(&request, "t1", &big, &storage, &offload)
            .await
            .unwrap();
        assert_eq!(msg.results[0].kind, "s3-path");
        assert_eq!(msg.results[0].body, "results/t1/0");
        assert!(
            msg.results[0]
                .url
                .as_deref()
                .unwrap()
                .contains("/v1/storage/results/t1/0?")
        );
        let stored = storage
            .bucket("results")
            .unwrap()
            .get(&ObjectKey::parse("t1/0").unwrap(), u64::MAX)
            .await
            .unwrap();
        assert_eq!(stored.len(), OFFLOAD_THRESHOLD_BYTES);
        let odd = ResultMessage::success_or_offloaded(&request, "a/../b", &big, &storage, &offload)
            .await
            .unwrap();
        assert_eq!(odd.results[0].body.len(), "results/".len() + 64 + 2);
    }
}
