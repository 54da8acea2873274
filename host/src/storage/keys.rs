//! Validation of the keys and bucket names that plugins and API callers pass in.
//!
//! A key is a relative, `/`-separated path. Everything that could name something outside the
//! scope it is resolved in is refused: empty keys, absolute keys, `.` and `..` segments, empty
//! segments, backslashes, control characters, and any percent-encoding (even doubly encoded)
//! of those. The check runs on the key as given and on every percent-decoding of it, so a
//! backend that decodes keys cannot be tricked either.

use std::fmt;

use percent_encoding::percent_decode_str;

/// The longest key accepted, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;

/// A key that passed validation: relative, no traversal, no empty segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

/// Why a key or bucket name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key {key:?}: {reason}")]
pub struct InvalidKey {
    /// The key as given.
    pub key: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ObjectKey {
    /// Validates `raw` as a relative object key.
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        check_relative(raw, raw)?;
        Ok(Self(raw.to_owned()))
    }

    /// Validates `raw` as a listing prefix: like a key, but it may be empty or end with `/`.
    pub fn parse_prefix(raw: &str) -> Result<Option<Self>, InvalidKey> {
        let trimmed = raw.strip_suffix('/').unwrap_or(raw);
        if trimmed.is_empty() {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(invalid(raw, "a prefix cannot be only `/`"))
            };
        }
        check_relative(trimmed, raw)?;
        Ok(Some(Self(raw.to_owned())))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Validates a bucket name: 1 to 63 of `a-z 0-9 . -`, starting and ending with a letter or
/// digit, no `..` (the S3 rules, which every backend can hold).
pub fn check_bucket_name(name: &str) -> Result<(), InvalidKey> {
    let bytes = name.as_bytes();
    let ok_char = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.';
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if bytes.is_empty() || bytes.len() > 63 {
        return Err(invalid(name, "a bucket name has 1 to 63 characters"));
    }
    if !bytes.iter().all(ok_char) || !edge(bytes.first()) || !edge(bytes.last()) {
        return Err(invalid(
            name,
            "a bucket name is lower-case letters, digits, `.` and `-`, starting and ending with a letter or digit",
        ));
    }
    if name.contains("..") {
        return Err(invalid(name, "a bucket name cannot contain `..`"));
    }
    Ok(())
}

/// Validates one path segment used as a scope (an experiment id): what a key segment may be.
pub fn check_segment(segment: &str) -> Result<(), InvalidKey> {
    if segment.contains('/') {
        return Err(invalid(segment, "must be a single segment without `/`"));
    }
    check_relative(segment, segment)
}

fn check_relative(candidate: &str, original: &str) -> Result<(), InvalidKey> {
    let mut current = candidate.to_owned();
    // Decode until stable (at most a few rounds): `%252e` -> `%2e` -> `.`.
    for _ in 0..4 {
        check_plain(&current, original)?;
        let decoded = percent_decode_str(&current)
            .decode_utf8()
            .map_err(|_| invalid(original, "percent-encoding that is not UTF-8"))?;
        if decoded == current {
            return Ok(());
        }
        current = decoded.into_owned();
    }
    Err(invalid(original, "too many layers of percent-encoding"))
}

fn check_plain(key: &str, original: &str) -> Result<(), InvalidKey> {
    if key.is_empty() {
        return Err(invalid(original, "a key cannot be empty"));
    }
    if original.len() > MAX_KEY_BYTES {
        return Err(invalid(original, "a key has at most 1024 bytes"));
    }
    if key.starts_with('/') {
        return Err(invalid(
            original,
            "a key must be relative, not start with `/`",
        ));
    }
    if key.contains('\\') {
        return Err(invalid(original, "a key cannot contain `\\`"));
    }
    if key.chars().any(char::is_control) {
        return Err(invalid(original, "a key cannot contain control characters"));
    }
    for segment in key.split('/') {
        match segment {
            "" => {
                return Err(invalid(
                    original,
                    "a key cannot have empty segments (`//` or a trailing `/`)",
                ));
            }
            "." | ".." => {
                return Err(invalid(
                    original,
                    "a key cannot contain `.` or `..` segments",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn invalid(key: &str, reason: &'static str) -> InvalidKey {
    InvalidKey {
        key: key.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_keys_are_accepted() {
        for key in [
            "a",
            "a/b/c.json",
            "x..y",
            "experiments-1/é.txt",
            "a.b/c-d_e",
        ] {
            assert_eq!(
                ObjectKey::parse(key).map(|k| k.0),
                Ok(key.to_owned()),
                "{key}"
            );
        }
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            ".",
            "..",
            "a//b",
            "a/",
            "..\\x",
            "a\\b",
            "%2e%2e/x",
            "%2E%2E/x",
            "..%2fx",
            "%252e%252e/x",
            "a%2f..%2fb",
            "%2fetc",
            "a\0b",
            "a\nb",
            "%00",
            "%ff%fe",
        ] {
            assert!(ObjectKey::parse(key).is_err(), "{key:?} must be refused");
        }
        assert!(ObjectKey::parse(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn prefixes_may_be_empty_or_end_with_a_slash() {
        assert_eq!(ObjectKey::parse_prefix(""), Ok(None));
        assert!(ObjectKey::parse_prefix("a/b/").unwrap().is_some());
        assert!(ObjectKey::parse_prefix("a/b").unwrap().is_some());
        assert!(ObjectKey::parse_prefix("/").is_err());
        assert!(ObjectKey::parse_prefix("../").is_err());
    }

    #[test]
    fn bucket_names_follow_the_s3_rules() {
        for ok in [
            "experiments",
            "biomage-source-originals",
            "a1",
            "results.v2",
        ] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A",
            "-a",
            "a-",
            ".a",
            "a..b",
            "a/b",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_are_single_safe_names() {
        assert!(check_segment("5e959f9c9f4b120771249001").is_ok());
        for bad in ["", "..", "a/b", "%2e%2e", "."] {
            assert!(check_segment(bad).is_err(), "{bad}");
        }
    }
}
