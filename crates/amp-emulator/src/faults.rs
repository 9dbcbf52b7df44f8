//! Faults injected into answers for reliability tests; off unless configured.

use std::sync::Mutex;
use std::time::Duration;

use crate::config::FaultsConfig;

/// What to do to one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status instead.
    Status(u16),
    /// Send part of the body, then cut the connection.
    Reset,
    /// Send a body shorter than announced.
    Truncate,
}

/// Rolls the fault dice.
#[derive(Debug)]
pub struct Faults {
    config: FaultsConfig,
    dice: Mutex<u64>,
}

impl Faults {
    /// Faults as configured.
    pub fn new(config: FaultsConfig) -> Self {
        let seed = config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Self {
            config,
            dice: Mutex::new(seed),
        }
    }

    /// The latency to add.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.config.latency_ms)
    }

    fn roll(&self) -> f64 {
        let mut state = self
            .dice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
        let unit = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1_u64 << 53) as f64;
        unit
    }

    /// The fault for the next answer, if any.
    pub fn draw(&self) -> Option<Fault> {
        let config = &self.config;
        let total = config.rate_429
            + config.rate_500
            + config.rate_503
            + config.reset_rate
            + config.truncate_rate;
        if total <= 0.0 {
            return None;
        }
        let mut roll = self.roll();
        for (rate, fault) in [
            (config.rate_429, Fault::Status(429)),
            (config.rate_500, Fault::Status(500)),
            (config.rate_503, Fault::Status(503)),
            (config.reset_rate, Fault::Reset),
            (config.truncate_rate, Fault::Truncate),
        ] {
            if roll < rate {
                return Some(fault);
            }
            roll -= rate;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_honoured_roughly_and_off_means_never() {
        assert_eq!(Faults::new(FaultsConfig::default()).draw(), None);
        let faults = Faults::new(FaultsConfig {
            rate_500: 0.25,
            ..FaultsConfig::default()
        });
        let hits = (0..4000)
            .filter(|_| faults.draw() == Some(Fault::Status(500)))
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
