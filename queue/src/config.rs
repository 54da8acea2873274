//! Queue settings shared by every backend: the retry backoff and the live-worker window.

use std::time::Duration;

/// Exponential backoff with jitter and a cap, for retries and expired leases.
///
/// The delay after attempt `n` (from 1) is `min(max_delay, base_delay * 2^(n-1))`, then
/// multiplied by a random factor in `[1 - jitter, 1]` so that tasks failed together do not
/// come back together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The delay after the first attempt.
    pub base_delay: Duration,
    /// The largest delay.
    pub max_delay: Duration,
    /// The fraction of the delay that is random, in `[0, 1]`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            jitter: 0.5,
        }
    }
}

impl RetryPolicy {
    /// No delay at all (tests).
    pub const IMMEDIATE: RetryPolicy = RetryPolicy {
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        jitter: 0.0,
    };

    /// The delay before the attempt after `failed_attempt` (from 1).
    pub fn delay(&self, failed_attempt: u32) -> Duration {
        let doublings = failed_attempt.saturating_sub(1).min(32);
        let uncapped = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(doublings));
        let capped = uncapped.min(self.max_delay);
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        capped.mul_f64(1.0 - jitter * fastrand::f64())
    }
}

/// Settings of a queue, whatever its backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueConfig {
    /// Backoff for failed attempts and expired leases.
    pub retry: RetryPolicy,
    /// A worker counts as live for the retry-on-a-different-worker rule while it has claimed
    /// (successfully or not) within this window.
    pub worker_ttl: Duration,
    /// At most this many expired leases are moved by one `reap` call.
    pub reap_batch: u32,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            worker_ttl: Duration::from_secs(60),
            reap_batch: 500,
        }
    }
}

/// Milliseconds of a duration as the `i64` the databases take (saturating).
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_then_caps() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            jitter: 0.0,
        };
        assert_eq!(policy.delay(1), Duration::from_millis(100));
        assert_eq!(policy.delay(2), Duration::from_millis(200));
        assert_eq!(policy.delay(4), Duration::from_millis(800));
        assert_eq!(policy.delay(5), Duration::from_millis(1000));
        assert_eq!(policy.delay(u32::MAX), Duration::from_millis(1000));
        assert_eq!(policy.delay(0), Duration::from_millis(100));
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(1000),
            max_delay: Duration::from_secs(10),
            jitter: 0.5,
        };
        for _ in 0..1000 {
            let delay = policy.delay(1);
            assert!(delay >= Duration::from_millis(500) && delay <= Duration::from_millis(1000));
        }
        let nonsense = RetryPolicy {
            jitter: f64::NAN,
            ..policy
        };
        assert_eq!(nonsense.delay(1), Duration::from_millis(1000));
    }
}
