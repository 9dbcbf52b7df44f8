//! Amplitude's published per-project limits, as one table of data with where each number comes
//! from, and [`Limits::rules`], the one reading of it per rate class. The rate governor, a
//! fleet's shared budget and the emulator's limiter all go through it; a user with raised limits
//! overrides the table.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use crate::catalogue::RateClass;

/// One limit: at most `value` within `window` (or at once, when there is no window).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limit {
    /// The ceiling: requests, or cost units for the cost limits.
    pub value: u64,
    /// The period the ceiling applies to; `None` for a limit on what is in flight.
    pub window: Option<Duration>,
    /// Where the number comes from.
    pub source: Cow<'static, str>,
    /// When the source was last checked, `YYYY-MM-DD`.
    pub as_of: Cow<'static, str>,
}

impl Limit {
    const fn documented(value: u64, window: Option<Duration>, source: &'static str) -> Self {
        Self {
            value,
            window,
            source: Cow::Borrowed(source),
            as_of: Cow::Borrowed(AS_OF),
        }
    }

    /// A limit of your own, e.g. one Amplitude Support raised for your project.
    pub fn custom(value: u64, window: Option<Duration>) -> Self {
        Self {
            value,
            window,
            source: Cow::Borrowed("set by the user"),
            as_of: Cow::Borrowed(""),
        }
    }
}

const AS_OF: &str = "2026-03-13";
const DASHBOARD_DOCS: &str = "Amplitude docs, Dashboard REST API, \"Rate limits\"";
const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const PRIVACY_DOCS: &str = "Amplitude docs, User Privacy API, \"Rate limits\"";
const TAXONOMY_DOCS: &str = "Amplitude docs, Taxonomy API, \"Limits\"";
const FIVE_MINUTES: Duration = Duration::from_secs(300);
const TEN_MINUTES: Duration = Duration::from_secs(600);
const HOUR: Duration = Duration::from_secs(3600);
const COHORT_DOCS: &str =
    "Amplitude docs, Behavioral Cohorts API, \"Limits\" (single-cohort requests, per app)";

/// How to read the 1,000-cost limit, whose wording Amplitude changed.
///
/// Until 2025-03 the docs said "1000 cost at the same time"; since 2025-04, "within a five
/// minute period". Read literally as a rolling window, 1,000 per 5 minutes caps a project at
/// 12,000 per hour, so the 108,000 hourly limit could never bind, and any single query above
/// 1,000 (a 90-day segmentation with a few conditions) could never run. The in-flight reading
/// keeps both documented limits meaningful, so it is the default; the window reading is there
/// for a project that sees 429s under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CostLimitReading {
    /// At most 1,000 cost in flight at once (the default).
    #[default]
    InFlight,
    /// At most 1,000 cost started within any five minutes.
    FiveMinuteWindow,
}

/// The per-project limits table. `Limits::default()` is Amplitude's documented figures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Requests in flight across all REST endpoints: 5.
    pub concurrent_requests: Limit,
    /// The 1,000-cost limit; see [`CostLimitReading`] for its window.
    pub concurrent_cost: Limit,
    /// Which reading of `concurrent_cost` applies.
    pub concurrent_cost_reading: CostLimitReading,
    /// Cost per hour: 108,000 (36,000 before 2022-07).
    pub cost_per_hour: Limit,
    /// User activity and user search requests in flight: 10.
    pub user_lookup_concurrent: Limit,
    /// User activity and user search requests per hour: 360.
    pub user_lookup_per_hour: Limit,
    /// User Profile API requests per minute, per organisation: 600.
    pub profile_per_minute: Limit,
    /// Requests for one cohort's members in flight: 4.
    pub cohort_requests_concurrent: Limit,
    /// Requests for one cohort's members per 10 minutes: 60.
    pub cohort_requests_per_10_minutes: Limit,
    /// User Privacy API requests in flight: 8.
    pub privacy_concurrent: Limit,
    /// User Privacy API requests per second: 1.
    pub privacy_per_second: Limit,
    /// Taxonomy API cost in flight at once: 4 (a read costs 1, a write 2).
    pub taxonomy_concurrent_cost: Limit,
    /// Taxonomy API cost per hour: 7,200.
    pub taxonomy_cost_per_hour: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            concurrent_requests: Limit::documented(5, None, DASHBOARD_DOCS),
            concurrent_cost: Limit::documented(1_000, Some(FIVE_MINUTES), DASHBOARD_DOCS),
            concurrent_cost_reading: CostLimitReading::InFlight,
            cost_per_hour: Limit::documented(108_000, Some(HOUR), DASHBOARD_DOCS),
            user_lookup_concurrent: Limit::documented(
                10,
                None,
                "Amplitude docs, Dashboard REST API, \"User activity and user search limits\" (2025-12)",
            ),
            user_lookup_per_hour: Limit::documented(
                360,
                Some(HOUR),
                "Amplitude docs, Dashboard REST API, \"User activity and user search limits\"",
            ),
            profile_per_minute: Limit::documented(
                600,
                Some(MINUTE),
                "Amplitude docs, User Profile API, \"Rate limits\" (since 2024-06)",
            ),
            cohort_requests_concurrent: Limit::documented(4, None, COHORT_DOCS),
            cohort_requests_per_10_minutes: Limit::documented(60, Some(TEN_MINUTES), COHORT_DOCS),
            privacy_concurrent: Limit::documented(8, None, PRIVACY_DOCS),
            privacy_per_second: Limit::documented(1, Some(SECOND), PRIVACY_DOCS),
            taxonomy_concurrent_cost: Limit::documented(4, None, TAXONOMY_DOCS),
            taxonomy_cost_per_hour: Limit::documented(7_200, Some(HOUR), TAXONOMY_DOCS),
        }
    }
}

impl Limits {
    /// The window the 1,000-cost limit is enforced over under the chosen reading: `None` for
    /// cost in flight.
    pub fn concurrent_cost_window(&self) -> Option<Duration> {
        match self.concurrent_cost_reading {
            CostLimitReading::InFlight => None,
            CostLimitReading::FiveMinuteWindow => self.concurrent_cost.window,
        }
    }

    /// The largest cost a single query may have and still be admitted: a query above either
    /// cost limit can never run.
    pub fn max_query_cost(&self) -> u64 {
        self.concurrent_cost.value.min(self.cost_per_hour.value)
    }
}

/// What one request must fit in its class: the class's limits, in a form a process's books, a
/// fleet's shared budget and the emulator all check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rules {
    /// The request's rate class.
    pub class: RateClass,
    /// Its cost.
    pub cost: u64,
    /// What it weighs in each window: its cost for Dashboard queries, 1 where requests are
    /// counted.
    pub weight: u64,
    /// Requests in flight allowed at once, if capped.
    pub max_in_flight: Option<u64>,
    /// Cost in flight allowed at once, if capped (the 1,000-cost limit read as cost in flight).
    pub max_cost_in_flight: Option<u64>,
    /// Rolling windows it must fit, shortest first.
    pub windows: Vec<Window>,
}

/// A rolling window: no more than `ceiling` weight may start within `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The window's length.
    pub span: Duration,
    /// The weight it admits.
    pub ceiling: u64,
}

impl Window {
    fn of(limit: &Limit, fallback: Duration) -> Self {
        Self {
            span: limit.window.unwrap_or(fallback),
            ceiling: limit.value,
        }
    }
}

impl Limits {
    /// What a request of `class` costing `cost` must fit: the one mapping from a rate class to
    /// its limits.
    pub fn rules(&self, class: RateClass, cost: u64) -> Rules {
        let mut rules = Rules {
            class,
            cost,
            weight: 1,
            max_in_flight: None,
            max_cost_in_flight: None,
            windows: Vec::new(),
        };
        match class {
            RateClass::Profile => rules
                .windows
                .push(Window::of(&self.profile_per_minute, MINUTE)),
            RateClass::UserLookup => {
                rules.max_in_flight = Some(self.user_lookup_concurrent.value);
                rules
                    .windows
                    .push(Window::of(&self.user_lookup_per_hour, HOUR));
            }
            RateClass::CohortRequest => {
                rules.max_in_flight = Some(self.cohort_requests_concurrent.value);
                rules.windows.push(Window::of(
                    &self.cohort_requests_per_10_minutes,
                    TEN_MINUTES,
                ));
            }
            RateClass::Privacy => {
                rules.max_in_flight = Some(self.privacy_concurrent.value);
                rules
                    .windows
                    .push(Window::of(&self.privacy_per_second, SECOND));
            }
            RateClass::Taxonomy => {
                rules.weight = cost;
                rules.max_cost_in_flight = Some(self.taxonomy_concurrent_cost.value);
                rules
                    .windows
                    .push(Window::of(&self.taxonomy_cost_per_hour, HOUR));
            }
            _ => {
                rules.weight = cost;
                rules.max_in_flight = Some(self.concurrent_requests.value);
                match self.concurrent_cost_reading {
                    CostLimitReading::FiveMinuteWindow => rules
                        .windows
                        .push(Window::of(&self.concurrent_cost, FIVE_MINUTES)),
                    _ => rules.max_cost_in_flight = Some(self.concurrent_cost.value),
                }
                rules.windows.push(Window::of(&self.cost_per_hour, HOUR));
            }
        }
        rules.windows.sort_by_key(|window| window.span);
        rules
    }
}

impl Limits {
    /// The period of a class's tightest limit, which paces how long a refused class waits: the
    /// profile minute, the lookup hour, the 1,000-cost limit's five minutes (in either reading),
    /// the taxonomy hour.
    pub fn pause_window(&self, class: RateClass) -> Duration {
        let limit = match class {
            RateClass::Profile => &self.profile_per_minute,
            RateClass::UserLookup => &self.user_lookup_per_hour,
            RateClass::CohortRequest => &self.cohort_requests_per_10_minutes,
            RateClass::Privacy => &self.privacy_per_second,
            RateClass::Taxonomy => &self.taxonomy_cost_per_hour,
            _ => &self.concurrent_cost,
        };
        limit.window.unwrap_or(HOUR)
    }
}

impl Rules {
    /// This process's share of the rules when `processes` share the budget and cannot reach
    /// the store that keeps it: each limit divided among them, never below what this one
    /// request needs, so it can still run.
    #[must_use]
    pub fn shared_by(&self, processes: u64) -> Self {
        let share = |limit: u64, least: u64| (limit / processes.max(1)).max(least);
        Self {
            max_in_flight: self.max_in_flight.map(|max| share(max, 1)),
            max_cost_in_flight: self.max_cost_in_flight.map(|max| share(max, self.cost)),
            windows: self
                .windows
                .iter()
                .map(|window| Window {
                    span: window.span,
                    ceiling: share(window.ceiling, self.weight),
                })
                .collect(),
            ..self.clone()
        }
    }

    /// The ceiling the request can never fit under, if any.
    pub fn exceeded_ceiling(&self) -> Option<u64> {
        self.max_cost_in_flight
            .filter(|max| self.cost > *max)
            .into_iter()
            .chain(
                self.windows
                    .iter()
                    .filter(|window| self.weight > window.ceiling)
                    .map(|window| window.ceiling),
            )
            .min()
    }

    /// The span of the class's longest rolling limit: how much history its books need.
    pub fn longest_window(&self) -> Duration {
        self.windows.last().map_or(HOUR, |window| window.span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_divides_every_limit_but_never_below_one_request() {
        let rules = Limits::default().rules(RateClass::Cost, 40);
        let share = rules.shared_by(4);
        assert_eq!(share.max_in_flight, Some(1), "5 / 4");
        assert_eq!(share.max_cost_in_flight, Some(250));
        assert_eq!(share.windows.last().unwrap().ceiling, 27_000);
        let greedy = Limits::default().rules(RateClass::Cost, 900).shared_by(16);
        assert_eq!(
            greedy.max_cost_in_flight,
            Some(900),
            "the request itself still fits"
        );
        assert_eq!(rules.shared_by(0), rules.shared_by(1));
    }

    #[test]
    fn documented_figures_with_their_sources() {
        let limits = Limits::default();
        assert_eq!(limits.concurrent_requests.value, 5);
        assert_eq!(limits.concurrent_cost.value, 1_000);
        assert_eq!(limits.cost_per_hour.value, 108_000);
        assert_eq!(limits.user_lookup_concurrent.value, 10);
        assert_eq!(limits.user_lookup_per_hour.value, 360);
        assert_eq!(limits.profile_per_minute.value, 600);
        assert_eq!(limits.profile_per_minute.window, Some(MINUTE));
        assert!(limits.cost_per_hour.source.contains("Amplitude docs"));
        assert_eq!(limits.max_query_cost(), 1_000);
    }

    #[test]
    fn the_cost_limit_reading_decides_its_window() {
        let mut limits = Limits::default();
        assert_eq!(limits.concurrent_cost_window(), None);
        limits.concurrent_cost_reading = CostLimitReading::FiveMinuteWindow;
        assert_eq!(limits.concurrent_cost_window(), Some(FIVE_MINUTES));
    }

    #[test]
    fn a_user_overrides_one_limit() {
        let limits = Limits {
            concurrent_cost: Limit::custom(5_000, None),
            ..Limits::default()
        };
        assert_eq!(limits.max_query_cost(), 5_000);
        assert_eq!(limits.concurrent_cost.source, "set by the user");
    }
}
