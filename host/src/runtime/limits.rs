//! Per-task resource limits: what a plugin asks for, clamped to the host's ceilings, and the
//! memory limiter that enforces the cap inside the store.

use std::time::Duration;

/// The limits one task runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most linear memory, in bytes.
    pub memory_bytes: u64,
    /// Longest run.
    pub timeout: Duration,
    /// Most output, all outputs together, in bytes.
    pub output_bytes: u64,
}

/// What a plugin asked for in `describe`; `None` takes the host's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestedLimits {
    /// Memory asked for, in bytes.
    pub memory_bytes: Option<u64>,
    /// Time asked for, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Output asked for, in bytes.
    pub output_bytes: Option<u64>,
}

/// The host's defaults and ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Granted when a plugin asks for nothing.
    pub default: Limits,
    /// Never exceeded, whatever a plugin asks for.
    pub ceiling: Limits,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            default: Limits {
                memory_bytes: 512 << 20,
                timeout: Duration::from_secs(300),
                output_bytes: 64 << 20,
            },
            ceiling: Limits {
                memory_bytes: 4 << 30,
                timeout: Duration::from_secs(3600),
                output_bytes: 1 << 30,
            },
        }
    }
}

impl LimitPolicy {
    /// The limits granted to a plugin that asked for `requested`.
    pub fn grant(&self, requested: &RequestedLimits) -> Limits {
        let memory = requested.memory_bytes.unwrap_or(self.default.memory_bytes);
        let timeout = requested
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(self.default.timeout);
        let output = requested.output_bytes.unwrap_or(self.default.output_bytes);
        Limits {
            memory_bytes: memory.min(self.ceiling.memory_bytes),
            timeout: timeout.min(self.ceiling.timeout),
            output_bytes: output.min(self.ceiling.output_bytes),
        }
    }
}

/// The error a store raises (as a trap) when a task grows memory past its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the task exceeded its memory limit of {limit} bytes")]
pub struct MemoryLimitExceeded {
    /// The cap, in bytes.
    pub limit: u64,
}

/// Enforces a task's memory cap and records its peak.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: u64,
    peak: u64,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit, peak: 0 }
    }

    /// The largest linear memory size the task reached, in bytes.
    pub(crate) fn peak(&self) -> u64 {
        self.peak
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = u64::try_from(desired).unwrap_or(u64::MAX);
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit: self.limit,
            }));
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_clamped_to_the_ceiling_and_default_when_absent() {
        let policy = LimitPolicy::default();
        assert_eq!(policy.grant(&RequestedLimits::default()), policy.default);
        let greedy = RequestedLimits {
            memory_bytes: Some(u64::MAX),
            timeout_ms: Some(u64::MAX),
            output_bytes: Some(u64::MAX),
        };
        assert_eq!(policy.grant(&greedy), policy.ceiling);
        let modest = RequestedLimits {
            memory_bytes: Some(1 << 20),
            timeout_ms: Some(1500),
            output_bytes: None,
        };
        let granted = policy.grant(&modest);
        assert_eq!(granted.memory_bytes, 1 << 20);
        assert_eq!(granted.timeout, Duration::from_millis(1500));
        assert_eq!(granted.output_bytes, policy.default.output_bytes);
    }
}
