//! Amplitude's limits, enforced as Amplitude does: a request over a limit is refused at once
//! with a 429 naming the limit, never queued. The limits are the SDK's own table, read per rate
//! class through `Limits::rules`; windows slide over emulated time, which runs `time_scale`
//! times faster than the clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use amp_model::Limits;
use amp_model::catalogue::RateClass;
use amp_model::limits::Window;

use crate::config::LimitsConfig;

/// Tracks what is in flight and what was admitted recently.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    enabled: bool,
    time_scale: f64,
    started: Instant,
    /// One set of books per rate class.
    books: [Mutex<Books>; RateClass::ALL.len()],
}

/// What one rate class has in flight and started recently.
#[derive(Debug, Default)]
struct Books {
    in_flight: u64,
    cost_in_flight: u64,
    /// (emulated seconds, weight) of admitted requests.
    started: VecDeque<(f64, u64)>,
}

impl Books {
    fn weight_since(&self, since: f64) -> u64 {
        self.started
            .iter()
            .filter(|(at, _)| *at > since)
            .map(|(_, weight)| weight)
            .sum()
    }
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
        let mut books = limiter.books(self.class);
        books.in_flight -= 1;
        books.cost_in_flight -= self.cost;
    }
}

/// "per hour", "within five minutes": how Amplitude's messages name a window.
fn period(span: Duration) -> String {
    match span.as_secs() {
        60 => "per minute".to_owned(),
        300 => "within five minutes".to_owned(),
        3_600 => "per hour".to_owned(),
        seconds => format!("within {seconds} s"),
    }
}

/// The 429 message for a request of `class` costing `cost` refused by `window`.
fn window_refusal(class: RateClass, cost: u64, window: &Window) -> Refusal {
    Refusal(match class {
        RateClass::Profile => "Number of requests per minute exceeds system limit. Contact Support if you need this limit raised".to_owned(),
        RateClass::UserLookup => format!(
            "Too Many Requests: Exceeded rate limit of {} user activity and search queries {}",
            window.ceiling,
            period(window.span)
        ),
        RateClass::CohortRequest => format!(
            "Too Many Requests: Exceeded rate limit of {} cohort requests {}",
            window.ceiling,
            period(window.span)
        ),
        RateClass::Privacy => format!(
            "Too Many Requests: Exceeded rate limit of {} deletion requests {}",
            window.ceiling,
            period(window.span)
        ),
        _ => format!(
            "Too Many Requests: Exceeded rate limit with query of cost {cost} ({} cost {})",
            window.ceiling,
            period(window.span)
        ),
    })
}

impl Limiter {
    /// Limits as configured.
    pub fn new(config: &LimitsConfig) -> Arc<Self> {
        Arc::new(Self {
            limits: config.limits(),
            enabled: config.enabled,
            time_scale: config.time_scale.max(f64::MIN_POSITIVE),
            started: Instant::now(),
            books: Default::default(),
        })
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.time_scale
    }

    fn books(&self, class: RateClass) -> std::sync::MutexGuard<'_, Books> {
        self.books[class.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a request of `class` and `cost`, or says which limit it would break.
    pub fn admit(self: &Arc<Self>, class: RateClass, cost: u64) -> Result<Permit, Refusal> {
        if !self.enabled {
            return Ok(Permit {
                limiter: None,
                class,
                cost,
            });
        }
        let rules = self.limits.rules(class, cost);
        let now = self.now();
        let mut books = self.books(class);
        let history = rules.longest_window().as_secs_f64();
        while books
            .started
            .front()
            .is_some_and(|(at, _)| *at <= now - history)
        {
            books.started.pop_front();
        }
        if let Some(max) = rules.max_in_flight.filter(|max| books.in_flight >= *max) {
            let what = if class == RateClass::UserLookup {
                " user activity and search"
            } else {
                ""
            };
            return Err(Refusal(format!(
                "Too Many Requests: Exceeded concurrent limit with query of cost {cost} ({max}{what} requests at once)"
            )));
        }
        if let Some(max) = rules
            .max_cost_in_flight
            .filter(|max| books.cost_in_flight + cost > *max)
        {
            return Err(Refusal(format!(
                "Too Many Requests: Exceeded concurrent limit with query of cost {cost} ({max} cost at the same time)"
            )));
        }
        for window in &rules.windows {
            if books.weight_since(now - window.span.as_secs_f64()) + rules.weight > window.ceiling {
                return Err(window_refusal(class, cost, window));
            }
        }
        books.in_flight += 1;
        books.cost_in_flight += cost;
        books.started.push_back((now, rules.weight));
        Ok(Permit {
            limiter: Some(Arc::clone(self)),
            class,
            cost,
        })
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
        let limiter = Limiter::new(&config);
        let first = limiter.admit(RateClass::Cost, 600).unwrap();
        let refused = limiter.admit(RateClass::Cost, 600).unwrap_err();
        assert!(
            refused.0.contains(
                "Exceeded concurrent limit with query of cost 600 (1000 cost at the same time)"
            ),
            "{refused:?}"
        );
        let second = limiter.admit(RateClass::Cost, 100).unwrap();
        assert!(
            limiter
                .admit(RateClass::Cost, 1)
                .unwrap_err()
                .0
                .contains("Exceeded concurrent limit with query of cost 1 (2 requests at once)")
        );
        drop((first, second));
        limiter.admit(RateClass::Cost, 900).map(drop).unwrap();
        assert!(
            limiter
                .admit(RateClass::Cost, 900)
                .unwrap_err()
                .0
                .contains("Exceeded rate limit with query of cost 900 (2400 cost per hour)")
        );
    }

    #[test]
    fn profiles_and_lookups_have_their_own_limits() {
        let config = LimitsConfig {
            profile_per_minute: 2,
            user_lookup_per_hour: 1,
            ..LimitsConfig::default()
        };
        let limiter = Limiter::new(&config);
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
