//! Whether and when to try a failed request again: a pure decision the client applies.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use crate::Error;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give up and return the error.
    Stop,
    /// Wait this long, then try again.
    Wait(Duration),
}

/// Decides, from the attempt number (1 for the first), the error, and the time spent so far,
/// whether to try again. Replace the default with [`crate::ClientBuilder::retry_policy`].
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// The decision after attempt `attempt` failed with `error`, `elapsed` after the first
    /// attempt started.
    fn decide(&self, attempt: u32, error: &Error, elapsed: Duration) -> RetryDecision;
}

/// Never retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRetry;

impl RetryPolicy for NoRetry {
    fn decide(&self, _attempt: u32, _error: &Error, _elapsed: Duration) -> RetryDecision {
        RetryDecision::Stop
    }
}

/// The default policy: retries what [`Error::is_retryable`] allows, waiting `Retry-After` when
/// Amplitude sends it and otherwise an exponential backoff with full jitter, within a number of
/// attempts and an overall deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExponentialBackoff {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// No retry starts later than this after the first attempt.
    pub deadline: Duration,
    /// Wait a random time up to the ceiling (full jitter) rather than the ceiling itself.
    pub jitter: bool,
}

impl Default for ExponentialBackoff {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            deadline: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl ExponentialBackoff {
    /// Sets the number of attempts, the first included.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets the first backoff ceiling and the largest one.
    #[must_use]
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// Sets the overall deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Turns full jitter on or off.
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff ceiling after attempt `attempt`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubling = 2_u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(doubling).min(self.max_delay)
    }
}

impl RetryPolicy for ExponentialBackoff {
    fn decide(&self, attempt: u32, error: &Error, elapsed: Duration) -> RetryDecision {
        if !error.is_retryable() || attempt >= self.max_attempts {
            return RetryDecision::Stop;
        }
        let wait = error.retry_after().unwrap_or_else(|| {
            let ceiling = self.ceiling(attempt);
            if self.jitter {
                ceiling.mul_f64(random_fraction())
            } else {
                ceiling
            }
        });
        if elapsed.saturating_add(wait) > self.deadline {
            RetryDecision::Stop
        } else {
            RetryDecision::Wait(wait)
        }
    }
}

/// A number in [0, 1) that differs from call to call; good enough for jitter, which only has to
/// keep clients from retrying in step.
fn random_fraction() -> f64 {
    let bits = RandomState::new().hash_one(std::time::SystemTime::now()) >> 11;
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    let fraction = bits as f64 / (1_u64 << 53) as f64;
    fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_below_one() {
        for _ in 0..1000 {
            let fraction = random_fraction();
            assert!((0.0..1.0).contains(&fraction), "{fraction}");
        }
    }

    #[test]
    fn ceilings_double_up_to_the_maximum() {
        let policy = ExponentialBackoff::default();
        let ceilings: Vec<u64> = (1..=7)
            .map(|attempt| policy.ceiling(attempt).as_secs())
            .collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(policy.ceiling(u32::MAX), policy.max_delay);
    }
}
