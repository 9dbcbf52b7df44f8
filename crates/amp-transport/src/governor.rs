//! The rate governor: keeps a client inside Amplitude's per-project limits, so that requests wait
//! their turn here instead of drawing 429s.
//!
//! Each rate class has its own queue, served first come, first served: the request at the head
//! waits until every limit of its class admits it, then takes its share and holds it until its
//! response is in. Limits come from [`Limits`]: for Dashboard requests, requests in flight, the
//! 1,000-cost limit (cost in flight, or cost started within five minutes, as
//! [`CostLimitReading`] says) and cost per hour; for user activity and search, requests in flight
//! and per hour; for profiles, requests per minute. Windows are the table's, so a test can
//! shrink an hour along with an emulator's time scale. A cost that can never fit is refused before
//! anything is sent. A 429 pauses its class for as long as Amplitude asked, or, since Amplitude
//! documents no `Retry-After`, for a pause that doubles with each refusal in a row, up to the
//! class's shortest window, after which whatever the server counted there has rolled off.
//! Dropping a waiting request gives up its place; dropping a [`Permit`] returns its share. A
//! request counts in a window from its response, not its admission, since the server counts it
//! from its arrival.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amp_model::catalogue::RateClass;
use amp_model::limits::Limit;
use amp_model::{CostLimitReading, Limits};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Error;

/// A limit's window, or `fallback` when the table gives none.
fn window(limit: &Limit, fallback: u64) -> Duration {
    limit.window.unwrap_or(Duration::from_secs(fallback))
}

/// Keeps requests within the limits; cheap to clone, shared by every clone of a client.
#[derive(Debug, Clone)]
pub struct Governor {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    limits: Limits,
    classes: [Class; 3],
}

/// One rate class: its queue, its books, and a bell rung when a share comes back.
#[derive(Debug, Default)]
struct Class {
    turnstile: tokio::sync::Mutex<()>,
    ledger: Mutex<Ledger>,
    returned: Notify,
}

/// What a class has in flight and has started recently.
#[derive(Debug, Default)]
struct Ledger {
    in_flight: u64,
    cost_in_flight: u64,
    /// Requests started within the longest window.
    started: Vec<Start>,
    next_id: u64,
    queued: usize,
    paused_until: Option<Instant>,
    /// 429s without `Retry-After` since the last answer, each one arriving outside a pause.
    refusals: u32,
}

/// One request in a window: stamped when admitted, and again when its response arrives, since
/// the server counts it from its arrival there, a little later than its admission here.
#[derive(Debug, Clone, Copy)]
struct Start {
    at: Instant,
    cost: u64,
    id: u64,
}

impl Ledger {
    fn started_since(&self, since: Instant) -> u64 {
        self.started
            .iter()
            .filter(|start| start.at > since)
            .map(|start| start.cost)
            .sum()
    }

    /// When enough of the window's oldest starts expire for `needed` more to fit `ceiling`.
    fn frees_at(&self, window: Duration, ceiling: u64, needed: u64, now: Instant) -> Instant {
        let mut inside: Vec<Start> = self
            .started
            .iter()
            .copied()
            .filter(|start| start.at + window > now)
            .collect();
        inside.sort_by_key(|start| start.at);
        let mut used: u64 = inside.iter().map(|start| start.cost).sum();
        for start in inside {
            if used + needed <= ceiling {
                break;
            }
            used -= start.cost;
            if used + needed <= ceiling {
                return start.at + window;
            }
        }
        now
    }
}

/// A share of the budget, held while a request is in flight.
#[derive(Debug)]
#[must_use = "the share returns when the permit is dropped"]
pub struct Permit {
    shared: Arc<Shared>,
    class: usize,
    cost: u64,
    id: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let class = &self.shared.classes[self.class];
        let mut ledger = class.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        ledger.in_flight -= 1;
        ledger.cost_in_flight -= self.cost;
        let now = Instant::now();
        if let Some(start) = ledger
            .started
            .iter_mut()
            .rev()
            .find(|start| start.id == self.id)
        {
            start.at = start.at.max(now);
        }
        drop(ledger);
        class.returned.notify_one();
    }
}

/// What a class may still do, for a caller that plans or displays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClassStatus {
    /// Requests in flight.
    pub in_flight: u64,
    /// Requests waiting for their turn.
    pub queued: usize,
    /// Cost (or requests) that may still start in the shortest window: the 1,000-cost limit,
    /// or the per-minute profile limit.
    pub short_window_remaining: u64,
    /// Cost (or requests) that may still start this hour.
    pub hour_remaining: u64,
    /// How long the class stays paused after a 429.
    pub paused_for: Duration,
}

/// Where a rate class's books are kept.
fn slot(class: RateClass) -> usize {
    match class {
        RateClass::UserLookup => 1,
        RateClass::Profile => 2,
        _ => 0,
    }
}

impl Governor {
    /// A governor for `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            shared: Arc::new(Shared {
                limits,
                classes: Default::default(),
            }),
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Waits for the turn of a request of `class` costing `cost`, and takes its share.
    pub async fn acquire(&self, class: RateClass, cost: u64) -> Result<Permit, Error> {
        let limits = &self.shared.limits;
        if class == RateClass::Cost && cost > limits.max_query_cost() {
            return Err(Error::Unsupported(format!(
                "the query costs {cost}, more than the project's limit of {} per query; shorten the range or drop conditions",
                limits.max_query_cost()
            )));
        }
        let index = slot(class);
        let state = &self.shared.classes[index];
        let _place = Queued::enter(state);
        let _turn = state.turnstile.lock().await;
        loop {
            let returned = state.returned.notified();
            let now = Instant::now();
            let wait = {
                let mut ledger = state.ledger.lock().unwrap_or_else(PoisonError::into_inner);
                match self.blocked(class, &mut ledger, cost, now) {
                    Blocked::No => {
                        ledger.in_flight += 1;
                        ledger.cost_in_flight += cost;
                        let id = ledger.next_id;
                        ledger.next_id += 1;
                        ledger.started.push(Start {
                            at: now,
                            cost: if class == RateClass::Cost { cost } else { 1 },
                            id,
                        });
                        return Ok(Permit {
                            shared: Arc::clone(&self.shared),
                            class: index,
                            cost,
                            id,
                        });
                    }
                    blocked => blocked,
                }
            };
            match wait {
                Blocked::Until(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = returned => {}
                    }
                }
                _ => returned.await,
            }
        }
    }

    /// Why a request cannot start now, and until when.
    fn blocked(&self, class: RateClass, ledger: &mut Ledger, cost: u64, now: Instant) -> Blocked {
        let limits = &self.shared.limits;
        let longest = [
            &limits.cost_per_hour,
            &limits.user_lookup_per_hour,
            &limits.profile_per_minute,
            &limits.concurrent_cost,
        ]
        .iter()
        .filter_map(|limit| limit.window)
        .max()
        .unwrap_or(Duration::from_secs(3600));
        ledger.started.retain(|start| start.at + longest > now);
        if let Some(until) = ledger.paused_until.filter(|until| *until > now) {
            return Blocked::Until(until);
        }
        let mut until = now;
        match class {
            RateClass::Profile => {
                let (ceiling, span) = (
                    limits.profile_per_minute.value,
                    window(&limits.profile_per_minute, 60),
                );
                if ledger.started_since(now.checked_sub(span).unwrap_or(now)) + 1 > ceiling {
                    until = until.max(ledger.frees_at(span, ceiling, 1, now));
                }
            }
            RateClass::UserLookup => {
                if ledger.in_flight >= limits.user_lookup_concurrent.value {
                    return Blocked::InFlight;
                }
                let (ceiling, span) = (
                    limits.user_lookup_per_hour.value,
                    window(&limits.user_lookup_per_hour, 3600),
                );
                if ledger.started_since(now.checked_sub(span).unwrap_or(now)) + 1 > ceiling {
                    until = until.max(ledger.frees_at(span, ceiling, 1, now));
                }
            }
            _ => {
                if ledger.in_flight >= limits.concurrent_requests.value {
                    return Blocked::InFlight;
                }
                let ceiling = limits.concurrent_cost.value;
                match limits.concurrent_cost_reading {
                    CostLimitReading::FiveMinuteWindow => {
                        let span = window(&limits.concurrent_cost, 300);
                        if ledger.started_since(now.checked_sub(span).unwrap_or(now)) + cost
                            > ceiling
                        {
                            until = until.max(ledger.frees_at(span, ceiling, cost, now));
                        }
                    }
                    _ => {
                        if ledger.cost_in_flight + cost > ceiling {
                            return Blocked::InFlight;
                        }
                    }
                }
                let (hourly, span) = (
                    limits.cost_per_hour.value,
                    window(&limits.cost_per_hour, 3600),
                );
                if ledger.started_since(now.checked_sub(span).unwrap_or(now)) + cost > hourly {
                    until = until.max(ledger.frees_at(span, hourly, cost, now));
                }
            }
        }
        if until > now {
            Blocked::Until(until)
        } else {
            Blocked::No
        }
    }

    /// Stops `class` from starting requests for `wait`: Amplitude said it was over a limit.
    pub fn pause(&self, class: RateClass, wait: Duration) {
        let mut ledger = self.ledger(class);
        let until = Instant::now() + wait;
        ledger.paused_until = Some(
            ledger
                .paused_until
                .map_or(until, |current| current.max(until)),
        );
    }

    /// Amplitude refused a request of `class` with a 429: pauses the class for `retry_after`, or
    /// without it, for 1/256 of the class's shortest window, doubled for each earlier refusal
    /// in a row, up to the whole window. A 429 that arrives during a pause was sent before it
    /// and does not count again. Returns the pause.
    pub fn refused(&self, class: RateClass, retry_after: Option<Duration>) -> Duration {
        let wait = retry_after.unwrap_or_else(|| {
            let mut ledger = self.ledger(class);
            let now = Instant::now();
            if ledger.paused_until.is_none_or(|until| until <= now) {
                ledger.refusals = ledger.refusals.saturating_add(1);
            }
            let window = self.shortest_window(class);
            let doublings = ledger.refusals.saturating_sub(1).min(8);
            (window / 256 * (1 << doublings)).min(window)
        });
        self.pause(class, wait);
        wait
    }

    /// Amplitude answered a request of `class`: the run of refusals is over.
    pub fn answered(&self, class: RateClass) {
        self.ledger(class).refusals = 0;
    }

    fn ledger(&self, class: RateClass) -> std::sync::MutexGuard<'_, Ledger> {
        self.shared.classes[slot(class)]
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The window of a class's tightest rolling limit.
    fn shortest_window(&self, class: RateClass) -> Duration {
        let limits = &self.shared.limits;
        match class {
            RateClass::Profile => window(&limits.profile_per_minute, 60),
            RateClass::UserLookup => window(&limits.user_lookup_per_hour, 3600),
            _ => window(&limits.concurrent_cost, 300),
        }
    }

    /// What `class` may still do now.
    pub fn status(&self, class: RateClass) -> ClassStatus {
        let limits = &self.shared.limits;
        let ledger = self.ledger(class);
        let now = Instant::now();
        let since = |window: Duration| ledger.started_since(now.checked_sub(window).unwrap_or(now));
        let (short, hour) = match class {
            RateClass::Profile => (
                limits
                    .profile_per_minute
                    .value
                    .saturating_sub(since(window(&limits.profile_per_minute, 60))),
                0,
            ),
            RateClass::UserLookup => (
                0,
                limits
                    .user_lookup_per_hour
                    .value
                    .saturating_sub(since(window(&limits.user_lookup_per_hour, 3600))),
            ),
            _ => {
                let used = match limits.concurrent_cost_reading {
                    CostLimitReading::FiveMinuteWindow => {
                        since(window(&limits.concurrent_cost, 300))
                    }
                    _ => ledger.cost_in_flight,
                };
                (
                    limits.concurrent_cost.value.saturating_sub(used),
                    limits
                        .cost_per_hour
                        .value
                        .saturating_sub(since(window(&limits.cost_per_hour, 3600))),
                )
            }
        };
        ClassStatus {
            in_flight: ledger.in_flight,
            queued: ledger.queued,
            short_window_remaining: short,
            hour_remaining: hour,
            paused_for: ledger
                .paused_until
                .map_or(Duration::ZERO, |until| until.saturating_duration_since(now)),
        }
    }
}

/// Why a request waits.
enum Blocked {
    /// It may start.
    No,
    /// Until a request in flight returns its share.
    InFlight,
    /// Until then (or until a share returns, whichever is first).
    Until(Instant),
}

/// Counts a request in its class's queue until it is admitted or dropped.
struct Queued<'a>(&'a Class);

impl<'a> Queued<'a> {
    fn enter(class: &'a Class) -> Self {
        class
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queued += 1;
        Self(class)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queued -= 1;
    }
}
