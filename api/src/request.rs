//! Reading requests by hand, so that a bad request is an application error with its own
//! status rather than a warp rejection: the body (content type, size limit on the header and
//! on the bytes received), the query string (unknown keys are a 400), percent-encoded path
//! segments, and bounds on durations.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use warp::http::HeaderMap;
use warp::http::header::{CONTENT_LENGTH, CONTENT_TYPE};

use crate::error::ApiError;

/// A body over the limit is still drained up to this many times the limit (so the client
/// reads the 413 instead of a reset connection); beyond that the connection is dropped.
const DRAIN_FACTOR: u64 = 4;

/// The declared `Content-Length`, if any and valid.
fn declared_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    match headers.get(CONTENT_LENGTH) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest("the Content-Length header is invalid".into())),
    }
}

/// JSON bodies: `application/json` (any parameters) or `application/<x>+json`. A missing
/// content type is accepted as JSON (documented in docs/api.md).
fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(text.to_owned()))
    }
}

/// Reads a whole body of at most `max_bytes`, checking its content type first.
pub(crate) async fn read_json_body<S, B>(
    headers: &HeaderMap,
    body: S,
    max_bytes: u64,
) -> Result<Bytes, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    check_json_content_type(headers)?;
    read_body(headers, body, max_bytes).await
}

/// Reads a whole body of at most `max_bytes`.
pub(crate) async fn read_body<S, B>(
    headers: &HeaderMap,
    mut body: S,
    max_bytes: u64,
) -> Result<Bytes, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    let too_large =
        || ApiError::PayloadTooLarge(format!("the request body is larger than {max_bytes} bytes"));
    let drain_limit = max_bytes.saturating_mul(DRAIN_FACTOR);
    let declared = declared_length(headers)?;
    if declared.is_some_and(|length| length > drain_limit) {
        return Err(too_large());
    }
    let mut received = BytesMut::new();
    let mut seen: u64 = 0;
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|error| ApiError::BadRequest(format!("reading the body: {error}")))?;
        let length = chunk.remaining() as u64;
        seen = seen.saturating_add(length);
        if seen > drain_limit {
            return Err(too_large());
        }
        if seen <= max_bytes {
            received.extend_from_slice(&chunk.copy_to_bytes(chunk.remaining()));
        } else {
            chunk.advance(chunk.remaining());
        }
    }
    if seen > max_bytes || declared.is_some_and(|length| length > max_bytes) {
        return Err(too_large());
    }
    Ok(received.freeze())
}

/// Routes that take no body: anything but whitespace is a 400.
pub(crate) async fn read_empty_body<S, B>(
    headers: &HeaderMap,
    body: S,
    max_bytes: u64,
) -> Result<(), ApiError>
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    let bytes = read_body(headers, body, max_bytes).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "this route takes no request body".into(),
        ))
    }
}

/// Parses a JSON body into `T`, naming serde's complaint. A string (or key) holding U+0000 is
/// refused too: PostgreSQL's `text` cannot store it, so it would fail in the database.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid =
        |error: serde_json::Error| ApiError::BadRequest(format!("invalid JSON body: {error}"));
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(invalid)?;
    if holds_nul(&value) {
        return Err(ApiError::BadRequest(
            "invalid JSON body: a string contains U+0000".into(),
        ));
    }
    T::deserialize(value).map_err(invalid)
}

/// True when a string or an object key anywhere in `value` contains U+0000.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// The longest duration a request may ask for (lease length, retry delay): 31 days. Longer
/// ones would overflow the databases' time arithmetic.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(31 * 24 * 60 * 60);

/// A duration in milliseconds from a request field, at most [`MAX_DURATION`].
pub(crate) fn duration_ms(field: &str, millis: u64) -> Result<Duration, ApiError> {
    let duration = Duration::from_millis(millis);
    if duration > MAX_DURATION {
        return Err(ApiError::BadRequest(format!(
            "{field} must be at most {} ms (31 days)",
            MAX_DURATION.as_millis()
        )));
    }
    Ok(duration)
}

/// Decodes `%XX` escapes (and `+` as a space in queries); invalid UTF-8 is a 400.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!("bad percent escape in {text:?}"))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::BadRequest(format!("{text:?} is not UTF-8")))
}

/// A task uuid from a path segment.
pub(crate) fn path_uuid(segment: &str) -> Result<String, ApiError> {
    let uuid = percent_decode(segment, false)?;
    if uuid.is_empty() {
        return Err(ApiError::BadRequest("the uuid in the path is empty".into()));
    }
    if uuid.contains('\0') {
        return Err(ApiError::BadRequest(
            "the uuid in the path contains U+0000".into(),
        ));
    }
    Ok(uuid)
}

/// Query parameters: each allowed key at most once; an unknown key is a 400 naming it.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses `raw` (without `?`), accepting only `allowed` keys.
    pub(crate) fn parse(raw: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.split('&').filter(|part| !part.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let key = percent_decode(key, true)?;
            let value = percent_decode(value, true)?;
            if allowed.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter {key:?}: this route takes none"
                )));
            }
            if !allowed.contains(&key.as_str()) {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter {key:?} (expected one of: {})",
                    allowed.join(", ")
                )));
            }
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(ApiError::BadRequest(format!(
                    "query parameter {key:?} is given twice"
                )));
            }
            pairs.push((key, value));
        }
        Ok(Self { pairs })
    }

    /// Checks that `raw` holds no parameter: routes without query parameters refuse any.
    pub(crate) fn none(raw: &str) -> Result<(), ApiError> {
        Self::parse(raw, &[]).map(|_| ())
    }

    /// The value of `key`, parsed as `T`.
    pub(crate) fn get<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, ApiError> {
        let Some((_, value)) = self.pairs.iter().find(|(seen, _)| seen == key) else {
            return Ok(None);
        };
        value.trim().parse::<T>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!("query parameter {key} has a bad value {value:?}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_rejects_unknown_and_repeated_keys() {
        assert!(Query::parse("wait=1&nope=2", &["wait"]).is_err());
        assert!(Query::parse("wait=1&wait=2", &["wait"]).is_err());
        let query = Query::parse("wait=1.5", &["wait"]).expect("a query");
        assert_eq!(query.get::<f64>("wait").expect("a number"), Some(1.5));
        assert!(query.get::<u32>("wait").is_err());
    }

    #[test]
    fn routes_without_parameters_refuse_any() {
        assert!(Query::none("").is_ok());
        assert!(Query::none("x=1").is_err());
    }

    #[test]
    fn nul_in_a_string_or_key_is_a_bad_request() {
        assert!(parse_json::<serde_json::Value>(br#"{"a":"b"}"#).is_ok());
        assert!(parse_json::<serde_json::Value>(br#"{"a":["\u0000"]}"#).is_err());
        assert!(parse_json::<serde_json::Value>(br#"{"\u0000":1}"#).is_err());
        assert!(path_uuid("a%00b").is_err());
    }

    #[test]
    fn durations_over_31_days_are_refused() {
        assert!(duration_ms("leaseForMs", 1000).is_ok());
        assert!(duration_ms("leaseForMs", u64::MAX).is_err());
    }

    #[test]
    fn percent_decoding_rejects_bad_escapes_and_non_utf8() {
        assert_eq!(percent_decode("a%20b", false).expect("decoded"), "a b");
        assert!(percent_decode("a%2", false).is_err());
        assert!(percent_decode("%ff", false).is_err());
    }
}
