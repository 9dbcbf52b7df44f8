//! Amplitude's limits, enforced as Amplitude does: a request over a limit is refused at once
//! with a 429 naming the limit, never queued. Windows slide over emulated time, which runs
//! `time_scale` times faster than the clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use amp_model::catalogue::RateClass;

use crate::config::LimitsConfig;

const MINUTE: f64 = 60.0;
const FIVE_MINUTES: f64 = 300.0;
const HOUR: f64 = 3_600.0;

/// Tracks what is in flight and what was admitted recently.
#[derive(Debug)]
pub struct Limiter {
    config: LimitsConfig,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    dashboard_in_flight: usize,
    lookup_in_flight: usize,
    cost_in_flight: u64,
    /// (emulated seconds, cost) of admitted Dashboard requests.
    costs: VecDeque<(f64, u64)>,
    lookups: VecDeque<f64>,
    profiles: VecDeque<f64>,
}

/// A request over a limit: the 429's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// An admitted request; dropping it ends its time in flight.
#[derive(Debug)]
pub struct Permit {
    limiter: Option<Arc<Limiter>>,
    class: RateClass,
    cost: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let Some(limiter) = &self.limiter else { return };
        let mut state = limiter.state.lock().unwrap_or_else(PoisonError::into_inner);
        match self.class {
            RateClass::UserLookup => state.lookup_in_flight -= 1,
            RateClass::Cost => {
                state.dashboard_in_flight -= 1;
                state.cost_in_flight -= self.cost;
            }
            _ => {}
        }
    }
}

fn sum_since(window: &VecDeque<(f64, u64)>, since: f64) -> u64 {
    window
        .iter()
        .filter(|(at, _)| *at > since)
        .map(|(_, cost)| cost)
        .sum()
}

impl Limiter {
    /// Limits as configured.
    pub fn new(config: LimitsConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            started: Instant::now(),
            state: Mutex::default(),
        })
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.config.time_scale.max(f64::MIN_POSITIVE)
    }

    /// Admits a request of `class` and `cost`, or says which limit it would break.
    pub fn admit(self: &Arc<Self>, class: RateClass, cost: u64) -> Result<Permit, Refusal> {
        if !self.config.enabled {
            return Ok(Permit {
                limiter: None,
                class,
                cost,
            });
        }
        let now = self.now();
        let config = &self.config;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match class {
            RateClass::Profile => {
                while state.profiles.front().is_some_and(|at| *at <= now - MINUTE) {
                    state.profiles.pop_front();
                }
                if state.profiles.len() as u64 >= config.profile_per_minute {
                    return Err(Refusal(
                        "Number of requests per minute exceeds system limit. Contact Support if you need this limit raised".into(),
                    ));
                }
                state.profiles.push_back(now);
                Ok(Permit {
                    limiter: None,
                    class,
                    cost,
                })
            }
            RateClass::UserLookup => {
                while state.lookups.front().is_some_and(|at| *at <= now - HOUR) {
                    state.lookups.pop_front();
                }
                if state.lookup_in_flight >= config.user_lookup_concurrent {
                    return Err(Refusal(format!(
                        "Too Many Requests: Exceeded concurrent limit of {} user activity and search requests",
                        config.user_lookup_concurrent
                    )));
                }
                if state.lookups.len() as u64 >= config.user_lookup_per_hour {
                    return Err(Refusal(format!(
                        "Too Many Requests: Exceeded rate limit of {} user activity and search queries per hour",
                        config.user_lookup_per_hour
                    )));
                }
                state.lookup_in_flight += 1;
                state.lookups.push_back(now);
                Ok(Permit {
                    limiter: Some(Arc::clone(self)),
                    class,
                    cost,
                })
            }
            _ => {
                while state.costs.front().is_some_and(|(at, _)| *at <= now - HOUR) {
                    state.costs.pop_front();
                }
                if state.dashboard_in_flight >= config.concurrent_requests {
                    return Err(Refusal(format!(
                        "Too Many Requests: Exceeded concurrent limit of {} requests",
                        config.concurrent_requests
                    )));
                }
                let five_minute = config.cost_reading == "five-minute-window";
                let concurrent = if five_minute {
                    sum_since(&state.costs, now - FIVE_MINUTES)
                } else {
                    state.cost_in_flight
                };
                if concurrent + cost > config.concurrent_cost {
                    let reading = if five_minute {
                        "within five minutes"
                    } else {
                        "at the same time"
                    };
                    return Err(Refusal(format!(
                        "Too Many Requests: Exceeded rate limit with query of cost {cost} ({} cost {reading})",
                        config.concurrent_cost
                    )));
                }
                if sum_since(&state.costs, now - HOUR) + cost > config.cost_per_hour {
                    return Err(Refusal(format!(
                        "Too Many Requests: Exceeded rate limit with query of cost {cost} ({} cost per hour)",
                        config.cost_per_hour
                    )));
                }
                state.dashboard_in_flight += 1;
                state.cost_in_flight += cost;
                state.costs.push_back((now, cost));
                Ok(Permit {
                    limiter: Some(Arc::clone(self)),
                    class,
                    cost,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_refuses_with_its_name() {
        let config = LimitsConfig {
            concurrent_requests: 2,
            cost_per_hour: 2_400,
            ..LimitsConfig::default()
        };
        let limiter = Limiter::new(config);
        let first = limiter.admit(RateClass::Cost, 600).unwrap();
        let refused = limiter.admit(RateClass::Cost, 600).unwrap_err();
        assert!(
            refused
                .0
                .contains("query of cost 600 (1000 cost at the same time)"),
            "{refused:?}"
        );
        let second = limiter.admit(RateClass::Cost, 100).unwrap();
        assert!(
            limiter
                .admit(RateClass::Cost, 1)
                .unwrap_err()
                .0
                .contains("concurrent limit of 2 requests")
        );
        drop((first, second));
        limiter.admit(RateClass::Cost, 900).map(drop).unwrap();
        assert!(
            limiter
                .admit(RateClass::Cost, 900)
                .unwrap_err()
                .0
                .contains("2400 cost per hour")
        );
    }

    #[test]
    fn profiles_and_lookups_have_their_own_limits() {
        let config = LimitsConfig {
            profile_per_minute: 2,
            user_lookup_per_hour: 1,
            ..LimitsConfig::default()
        };
        let limiter = Limiter::new(config);
        limiter.admit(RateClass::Profile, 1).map(drop).unwrap();
        limiter.admit(RateClass::Profile, 1).map(drop).unwrap();
        assert!(
            limiter
                .admit(RateClass::Profile, 1)
                .unwrap_err()
                .0
                .contains("per minute")
        );
        limiter.admit(RateClass::UserLookup, 1).map(drop).unwrap();
        let refused = limiter.admit(RateClass::UserLookup, 1).unwrap_err();
        assert!(
            refused
                .0
                .contains("rate limit of 1 user activity and search queries per hour"),
            "{refused:?}"
        );
    }
}
