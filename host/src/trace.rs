//! W3C trace context (`traceparent`) for tasks: continued from the producer when the task
//! carries one (the SQS message attribute `traceparent`), started afresh otherwise, and passed
//! on with the result (the SNS message attribute `traceparent`).
//!
//! The host's span for a task records `trace_id`, `span_id` and `parent_span_id`, so its log
//! lines (JSON off a terminal) join the producer's trace. The outgoing header names the task's
//! span as the parent of whatever consumes the result. Spans are not exported to a collector
//! here; the ids in the logs and messages are what tie the hops together.
//!
//! Parsing follows the W3C Trace Context recommendation, level 1: `version-traceid-parentid-
//! flags` in lower-case hex; version `ff` and all-zero ids are invalid; a later version may
//! append fields after the flags, which are ignored. An invalid header starts a new trace
//! (and is logged), as the recommendation asks.

use std::fmt;

/// A task's place in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace, shared by every hop.
    pub trace_id: u128,
    /// This host's span for the task.
    pub span_id: u64,
    /// The producer's span, when the trace was continued.
    pub parent_span_id: Option<u64>,
    /// The trace flags (bit 0: sampled).
    pub flags: u8,
}

/// Why a `traceparent` was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid traceparent {header:?}: {reason}")]
pub struct InvalidTraceParent {
    /// The header as received (cut to 100 characters).
    pub header: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl TraceContext {
    /// Continues the trace of `traceparent`, or starts a new one (sampled) when there is none
    /// or it is invalid.
    pub fn continue_or_start(traceparent: Option<&str>) -> Self {
        match traceparent.map(Self::parse) {
            Some(Ok(context)) => context,
            Some(Err(error)) => {
                tracing::warn!(%error, "starting a new trace");
                Self::start()
            }
            None => Self::start(),
        }
    }

    /// A new trace (sampled), with a new span.
    pub fn start() -> Self {
        Self {
            trace_id: nonzero_random::<16>().map_or(1, u128::from_be_bytes),
            span_id: new_span_id(),
            parent_span_id: None,
            flags: 0x01,
        }
    }

    /// Parses a `traceparent` header: the trace continues in a new span whose parent is the
    /// header's.
    ///
    /// # Errors
    /// [`InvalidTraceParent`] for anything the recommendation rejects.
    pub fn parse(header: &str) -> Result<Self, InvalidTraceParent> {
        let invalid = |reason| InvalidTraceParent {
            header: header.chars().take(100).collect(),
            reason,
        };
        let header = header.trim();
        let parts: Vec<&str> = header.split('-').collect();
        let [version, trace, parent, flags, rest @ ..] = parts.as_slice() else {
            return Err(invalid("expected version-traceid-parentid-flags"));
        };
        let version =
            hex_field(version, 2).ok_or_else(|| invalid("version is not 2 hex digits"))?;
        if version == 0xff {
            return Err(invalid("version ff is invalid"));
        }
        if version == 0 && !rest.is_empty() {
            return Err(invalid("version 00 has exactly four fields"));
        }
        let trace_id =
            hex_field(trace, 32).ok_or_else(|| invalid("trace-id is not 32 hex digits"))?;
        let parent =
            hex_field(parent, 16).ok_or_else(|| invalid("parent-id is not 16 hex digits"))?;
        let flags = hex_field(flags, 2).ok_or_else(|| invalid("flags are not 2 hex digits"))?;
        if trace_id == 0 {
            return Err(invalid("trace-id is all zeros"));
        }
        if parent == 0 {
            return Err(invalid("parent-id is all zeros"));
        }
        Ok(Self {
            trace_id,
            span_id: new_span_id(),
            // Both fit: 16 and 2 hex digits.
            parent_span_id: Some(u64::try_from(parent).unwrap_or(u64::MAX)),
            flags: u8::try_from(flags).unwrap_or(0),
        })
    }

    /// The `traceparent` to send on: this trace, with the task's span as the parent.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.span_id, self.flags
        )
    }

    /// The trace id as 32 hex digits (for log fields).
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// The task span's id as 16 hex digits.
    pub fn span_id_hex(&self) -> String {
        format!("{:016x}", self.span_id)
    }

    /// The parent span's id as 16 hex digits, or an empty string for a new trace.
    pub fn parent_span_id_hex(&self) -> String {
        self.parent_span_id
            .map(|id| format!("{id:016x}"))
            .unwrap_or_default()
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.traceparent())
    }
}

/// A lower-case hex field of exactly `digits` digits.
fn hex_field(text: &str, digits: usize) -> Option<u128> {
    if text.len() != digits
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

fn new_span_id() -> u64 {
    nonzero_random::<8>().map_or(1, u64::from_be_bytes)
}

/// `N` random bytes, not all zero (`None` only if the system has no randomness).
fn nonzero_random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    for _ in 0..4 {
        getrandom::fill(&mut bytes).ok()?;
        if bytes.iter().any(|&b| b != 0) {
            return Some(bytes);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_valid_header_is_continued_in_a_new_span() {
        let context = TraceContext::parse(EXAMPLE).unwrap();
        assert_eq!(context.trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(context.parent_span_id_hex(), "b7ad6b7169203331");
        assert_eq!(context.flags, 1);
        assert_ne!(context.span_id, 0xb7ad_6b71_6920_3331);
        let out = context.traceparent();
        assert!(
            out.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
            "{out}"
        );
        assert!(out.ends_with("-01"));
        assert_eq!(
            TraceContext::parse(&out).unwrap().trace_id,
            context.trace_id
        );
    }

    #[test]
    fn later_versions_may_add_fields() {
        let future = "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-extra";
        assert_eq!(TraceContext::parse(future).unwrap().flags, 0);
    }

    #[test]
    fn invalid_headers_are_refused_with_a_reason() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
            "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            assert!(TraceContext::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_or_a_bad_header_starts_a_new_trace() {
        let fresh = TraceContext::continue_or_start(None);
        assert_ne!(fresh.trace_id, 0);
        assert_eq!(fresh.parent_span_id, None);
        assert_eq!(fresh.parent_span_id_hex(), "");
        let other = TraceContext::continue_or_start(Some("garbage"));
        assert_ne!(other.trace_id, fresh.trace_id);
        let continued = TraceContext::continue_or_start(Some(EXAMPLE));
        assert_eq!(continued.parent_span_id, Some(0xb7ad_6b71_6920_3331));
    }
}
