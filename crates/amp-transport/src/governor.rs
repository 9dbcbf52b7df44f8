//! The rate governor: keeps a client inside Amplitude's per-project limits, so that requests wait
//! their turn here instead of drawing 429s.
//!
//! Each rate class has its own queue, served first come, first served: the request at the head
//! waits until every limit of its class admits it, then takes its share and holds it until its
//! response is in. Limits come from [`Limits::rules`]: for Dashboard requests, requests in
//! flight, the 1,000-cost limit (cost in flight, or cost started within five minutes, as
//! [`CostLimitReading`](amp_model::CostLimitReading) says) and cost per hour; for user activity
//! and search, requests in flight and per hour; for profiles, requests per minute. Windows are
//! the table's, so a test can shrink an hour along with an emulator's time scale. A cost that can never fit is refused before
//! anything is sent. A 429 for the rate limit pauses its class for as long as Amplitude asked,
//! or, since Amplitude documents no `Retry-After`, for a pause that doubles with each refusal in
//! a row, up to the class's shortest window, after which whatever the server counted there has
//! rolled off. A 429 for the concurrent limit holds the class until one of its requests in
//! flight has finished (or pauses it as above when none is).
//! Dropping a waiting request gives up its place; dropping a [`Permit`] returns its share. A
//! request counts in a window from its response, not its admission, since the server counts it
//! from its arrival.
//!
//! A fleet of processes shares one budget through a [`SharedBudget`]: this process's books
//! admit a request first, then the shared budget does.

mod fleet;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amp_model::Limits;
use amp_model::catalogue::RateClass;
pub use amp_model::limits::{Rules, Window};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::{Error, Unsupported};
pub use fleet::{Admission, FleetStatus, Lease, SharedBudget, SharedBudgetError};
use fleet::{Fleet, Turn};

/// A limit's window, or `fallback` when the table gives none.
/// Keeps requests within the limits; cheap to clone, shared by every clone of a client.
#[derive(Debug, Clone)]
pub struct Governor {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    limits: Limits,
    /// The longest window of the table: how long a start is remembered.
    longest: Duration,
    classes: [Class; RateClass::ALL.len()],
    fleet: Option<Fleet>,
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
    /// After a concurrent-limit 429: no request starts until fewer than this many are in
    /// flight, that is until one of those in flight then has finished.
    drain_below: Option<u64>,
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
    lease: Option<Lease>,
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
        if let (Some(fleet), Some(lease)) = (&self.shared.fleet, self.lease.take()) {
            fleet.release(lease);
        }
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
    /// the per-minute profile limit, or the cohort requests' 10 minutes.
    pub short_window_remaining: u64,
    /// Cost (or requests) that may still start this hour.
    pub hour_remaining: u64,
    /// How long the class stays paused after a 429.
    pub paused_for: Duration,
}

impl Governor {
    /// A governor for `limits`, for one process.
    pub fn new(limits: Limits) -> Self {
        Self::build(limits, None)
    }

    /// A governor for `limits` that shares its budget with every other process using `budget`'s
    /// store. Its own books still apply, and alone while the store is unreachable.
    pub fn with_shared_budget(limits: Limits, budget: impl SharedBudget + 'static) -> Self {
        Self::build(limits, Some(Fleet::new(Arc::new(budget))))
    }

    fn build(limits: Limits, fleet: Option<Fleet>) -> Self {
        let longest = [
            &limits.cost_per_hour,
            &limits.user_lookup_per_hour,
            &limits.profile_per_minute,
            &limits.cohort_requests_per_10_minutes,
            &limits.concurrent_cost,
        ]
        .iter()
        .filter_map(|limit| limit.window)
        .max()
        .unwrap_or(Duration::from_secs(3600));
        Self {
            shared: Arc::new(Shared {
                limits,
                longest,
                classes: Default::default(),
                fleet,
            }),
        }
    }

    /// Waits, two seconds at the most, until the shared budget has taken back every lease of
    /// the requests that are over: call it before a worker exits. Dropping the last clone does
    /// the same, blocking for that long at the most.
    pub async fn shutdown(&self) {
        if let Some(fleet) = &self.shared.fleet {
            fleet.drain(fleet::RETURN_WAIT).await;
        }
    }

    /// Whether the governor shares a fleet's budget right now: it has a shared budget and the
    /// store answered when last asked.
    pub fn is_sharing(&self) -> bool {
        self.shared.fleet.as_ref().is_some_and(Fleet::is_sharing)
    }

    /// What a request of `class` costing `cost` must fit ([`Limits::rules`]).
    pub fn rules(&self, class: RateClass, cost: u64) -> Rules {
        self.shared.limits.rules(class, cost)
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Waits for the turn of a request of `class` costing `cost`, and takes its share.
    pub async fn acquire(&self, class: RateClass, cost: u64) -> Result<Permit, Error> {
        let rules = self.rules(class, cost);
        if let Some(ceiling) = rules.exceeded_ceiling() {
            return Err(if class == RateClass::Cost {
                Unsupported::CostAboveLimit { cost, ceiling }
            } else {
                Unsupported::ClassClosed { class, ceiling }
            }
            .into());
        }
        let index = class.index();
        let state = &self.shared.classes[index];
        let _place = Queued::enter(state);
        let _turn = state.turnstile.lock().await;
        loop {
            let returned = state.returned.notified();
            let now = Instant::now();
            let blocked = {
                let local = match &self.shared.fleet {
                    Some(fleet) => fleet.local_rules(&rules),
                    None => std::borrow::Cow::Borrowed(&rules),
                };
                let mut ledger = state.ledger.lock().unwrap_or_else(PoisonError::into_inner);
                self.blocked(&local, &mut ledger, now)
            };
            // Back from working alone: the store has not heard of the starts made meanwhile.
            if let Some(fleet) = &self.shared.fleet
                && let Some(since) = fleet.take_rejoined(index)
            {
                let ago = since.elapsed();
                let alone: Vec<(Duration, u64)> = self
                    .recent(index)
                    .into_iter()
                    .filter(|(started, _)| *started <= ago)
                    .collect();
                fleet.restore(class, &alone).await;
            }
            let until = match blocked {
                Blocked::No => match self.fleet_turn(&rules).await {
                    Turn::Go(lease) => return Ok(self.admit(index, &rules, lease)),
                    Turn::Wait(wait) => Some(Instant::now() + wait),
                    Turn::WaitForReturn => {
                        if let Some(fleet) = &self.shared.fleet {
                            tokio::select! {
                                () = fleet.returned(class) => {}
                                () = returned => {}
                            }
                        }
                        continue;
                    }
                    Turn::Reset => {
                        if let Some(fleet) = &self.shared.fleet {
                            fleet.restore(class, &self.recent(index)).await;
                        }
                        continue;
                    }
                    Turn::Alone => continue,
                },
                Blocked::Until(at) => Some(at),
                Blocked::InFlight => None,
            };
            match until {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = returned => {}
                    }
                }
                None => returned.await,
            }
        }
    }

    /// This process's starts of class `index` within the longest window: how long ago, and their
    /// weight.
    fn recent(&self, index: usize) -> Vec<(Duration, u64)> {
        let now = Instant::now();
        let longest = self.shared.longest;
        let ledger = self.shared.classes[index]
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        ledger
            .started
            .iter()
            .map(|start| (now.saturating_duration_since(start.at), start.cost))
            .filter(|(ago, _)| *ago < longest)
            .collect()
    }

    /// The fleet's say on a request this process's books admit.
    async fn fleet_turn(&self, rules: &Rules) -> Turn {
        match &self.shared.fleet {
            Some(fleet) => fleet.turn(rules).await,
            None => Turn::Go(None),
        }
    }

    /// Enters an admitted request in the books.
    fn admit(&self, index: usize, rules: &Rules, lease: Option<Lease>) -> Permit {
        let mut ledger = self.shared.classes[index]
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        ledger.in_flight += 1;
        ledger.cost_in_flight += rules.cost;
        let id = ledger.next_id;
        ledger.next_id += 1;
        ledger.started.push(Start {
            at: Instant::now(),
            cost: rules.weight,
            id,
        });
        Permit {
            shared: Arc::clone(&self.shared),
            class: index,
            cost: rules.cost,
            id,
            lease,
        }
    }

    /// Why a request cannot start now, and until when.
    fn blocked(&self, rules: &Rules, ledger: &mut Ledger, now: Instant) -> Blocked {
        let longest = self.shared.longest;
        ledger.started.retain(|start| start.at + longest > now);
        if let Some(until) = ledger.paused_until.filter(|until| *until > now) {
            return Blocked::Until(until);
        }
        match ledger.drain_below {
            Some(mark) if ledger.in_flight >= mark => return Blocked::InFlight,
            Some(_) => ledger.drain_below = None,
            None => {}
        }
        if rules
            .max_in_flight
            .is_some_and(|max| ledger.in_flight >= max)
            || rules
                .max_cost_in_flight
                .is_some_and(|max| ledger.cost_in_flight + rules.cost > max)
        {
            return Blocked::InFlight;
        }
        // Alone, a window may have less room than the request needs: wait for the store, or
        // for the window to pass.
        if rules
            .windows
            .iter()
            .any(|window| rules.weight > window.ceiling)
        {
            return Blocked::Until(now + Duration::from_millis(100));
        }
        let mut until = now;
        for window in &rules.windows {
            let since = now.checked_sub(window.span).unwrap_or(now);
            if ledger.started_since(since) + rules.weight > window.ceiling {
                until = until.max(ledger.frees_at(window.span, window.ceiling, rules.weight, now));
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
            let window = self.shared.limits.pause_window(class);
            let doublings = ledger.refusals.saturating_sub(1).min(8);
            (window / 256 * (1 << doublings)).min(window)
        });
        self.pause(class, wait);
        if let Some(fleet) = self
            .shared
            .fleet
            .as_ref()
            .filter(|fleet| fleet.is_sharing())
        {
            fleet.pause(class, wait);
        }
        wait
    }

    /// Amplitude refused a request of `class` for its concurrent limit ("Exceeded concurrent
    /// limit"): the cost window is not spent, too much is in flight. No request starts until
    /// one of those in flight here finishes; with none in flight (the project's other clients
    /// hold the slots) the class pauses as [`Governor::refused`] does. Returns the pause, if
    /// any.
    pub fn refused_concurrent(&self, class: RateClass) -> Option<Duration> {
        {
            let mut ledger = self.ledger(class);
            if ledger.in_flight > 0 {
                ledger.drain_below = Some(ledger.in_flight);
                return None;
            }
        }
        Some(self.refused(class, None))
    }

    /// Amplitude answered a request of `class`: the run of refusals is over.
    pub fn answered(&self, class: RateClass) {
        self.ledger(class).refusals = 0;
    }

    fn ledger(&self, class: RateClass) -> std::sync::MutexGuard<'_, Ledger> {
        self.shared.classes[class.index()]
            .ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// What the whole fleet has in flight in `class` and may still start in each of its
    /// windows (in the order of [`Governor::rules`]), as the shared budget sees it; `None`
    /// without one. [`Governor::status`] is this process's own view.
    pub async fn fleet_status(
        &self,
        class: RateClass,
    ) -> Option<Result<FleetStatus, SharedBudgetError>> {
        let fleet = self.shared.fleet.as_ref()?;
        Some(fleet.status(&self.rules(class, 0)).await)
    }

    /// What `class` may still do now, by this process's books.
    pub fn status(&self, class: RateClass) -> ClassStatus {
        let limits = &self.shared.limits;
        let ledger = self.ledger(class);
        let now = Instant::now();
        let since = |window: Duration| ledger.started_since(now.checked_sub(window).unwrap_or(now));
        let rules = limits.rules(class, 0);
        let remaining = |window: &Window| window.ceiling.saturating_sub(since(window.span));
        let first = rules.windows.first().map_or(0, remaining);
        let last = rules.windows.last().map_or(0, remaining);
        let (short, hour) = match class {
            RateClass::Profile | RateClass::CohortRequest | RateClass::Privacy => (first, 0),
            RateClass::UserLookup => (0, last),
            _ => (
                rules
                    .max_cost_in_flight
                    .map_or(first, |max| max.saturating_sub(ledger.cost_in_flight)),
                last,
            ),
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
