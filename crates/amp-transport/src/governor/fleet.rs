//! A budget shared by every process of a fleet that queries one Amplitude project: the seam a
//! store such as Redis plugs into (the `amp-governor-redis` crate is one).
//!
//! The governor asks the shared budget only once its own books admit a request, so the local
//! queue stays first come, first served and the store sees one request per process at a time.
//! When the store fails, the governor keeps going on its own books, warns once, and tries the
//! store again a second later, and from then on every second until it answers.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::Rules;
use crate::RateClass;

/// Why a shared budget could not answer (unreachable, timed out, refused the script).
pub type SharedBudgetError = Box<dyn std::error::Error + Send + Sync>;

/// A store that keeps one budget for many processes. Implementations must make each call
/// atomic across the fleet and let a lease expire on its own if its process dies.
#[async_trait]
pub trait SharedBudget: Send + Sync + fmt::Debug {
    /// Admits a request that fits `rules` across the fleet, recording its lease and its
    /// weight in each window, or says how long to wait.
    async fn admit(&self, rules: &Rules) -> Result<Admission, SharedBudgetError>;

    /// Returns a lease: the request's response is in. Its weight stays in the windows,
    /// counted from now, as the server counts it from the request's arrival.
    async fn release(&self, lease: Lease) -> Result<(), SharedBudgetError>;

    /// Stops every process from starting requests of `class` for `wait`.
    async fn pause(&self, class: RateClass, wait: Duration) -> Result<(), SharedBudgetError>;

    /// What the whole fleet has in flight in `rules`' class, and what it may still start in
    /// each of `rules`' windows.
    async fn status(&self, rules: &Rules) -> Result<FleetStatus, SharedBudgetError>;
}

/// A rate class across the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetStatus {
    /// Requests in flight in every process.
    pub in_flight: u64,
    /// Their cost.
    pub cost_in_flight: u64,
    /// Weight that may still start in each window of the rules asked about, in their order.
    pub remaining: Vec<u64>,
    /// How long the class stays paused after a 429.
    pub paused_for: Duration,
}

impl FleetStatus {
    /// A status from its parts, for implementations of [`SharedBudget`].
    pub fn new(
        in_flight: u64,
        cost_in_flight: u64,
        remaining: Vec<u64>,
        paused_for: Duration,
    ) -> Self {
        Self {
            in_flight,
            cost_in_flight,
            remaining,
            paused_for,
        }
    }
}

/// A shared budget's answer to [`SharedBudget::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The request may start; return the lease when its response is in.
    Granted(Lease),
    /// Ask again after this long; `None` when only a request in flight elsewhere can free room,
    /// which the governor polls for.
    Wait(Option<Duration>),
}

/// One admitted request's hold on a shared budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Its rate class.
    pub class: RateClass,
    /// The store's identifier for it.
    pub id: u64,
    /// Its cost in flight.
    pub cost: u64,
    /// Its weight in the class's windows.
    pub weight: u64,
}

/// How often a request that waits for room held elsewhere asks again.
const POLL: Duration = Duration::from_millis(10);
/// How long the governor works alone after the store failed before trying it again.
const RECHECK: Duration = Duration::from_secs(1);

/// A shared budget and whether it is answering.
#[derive(Debug)]
pub(super) struct Fleet {
    budget: Arc<dyn SharedBudget>,
    /// Set while the store is failing: when to try it again.
    alone_until: Mutex<Option<Instant>>,
}

/// What the fleet says about a request the local books admit.
pub(super) enum Turn {
    /// Start now, holding this lease (none when working alone).
    Go(Option<Lease>),
    /// Ask again after this long.
    Wait(Duration),
}

impl Fleet {
    pub(super) fn new(budget: Arc<dyn SharedBudget>) -> Self {
        Self {
            budget,
            alone_until: Mutex::new(None),
        }
    }

    /// The store's view of a class.
    pub(super) async fn status(&self, rules: &Rules) -> Result<FleetStatus, SharedBudgetError> {
        self.budget.status(rules).await
    }

    /// Whether the store answered the last time it was asked.
    pub(super) fn is_sharing(&self) -> bool {
        self.alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Asks the store for a turn, unless it failed less than [`RECHECK`] ago. The call runs in
    /// its own task, so a caller that gives up cannot strand a lease the store granted.
    pub(super) async fn turn(&self, rules: &Rules) -> Turn {
        let recheck_at = *self
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if recheck_at.is_some_and(|at| Instant::now() < at) {
            return Turn::Go(None);
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        let (budget, rules) = (Arc::clone(&self.budget), rules.clone());
        tokio::spawn(async move {
            let outcome = budget.admit(&rules).await;
            if let Err(Ok(Admission::Granted(lease))) = answer.send(outcome) {
                let _ = budget.release(lease).await;
            }
        });
        let outcome = answered
            .await
            .unwrap_or_else(|_| Err("the shared budget's task ended without an answer".into()));
        match outcome {
            Ok(admission) => {
                self.answered();
                match admission {
                    Admission::Granted(lease) => Turn::Go(Some(lease)),
                    Admission::Wait(wait) => Turn::Wait(wait.unwrap_or(POLL)),
                }
            }
            Err(error) => {
                self.failed(&error);
                Turn::Go(None)
            }
        }
    }

    /// Returns a lease in the background; if the store cannot take it, it expires there.
    pub(super) fn release(&self, lease: Lease) {
        let budget = Arc::clone(&self.budget);
        spawn(async move {
            if let Err(error) = budget.release(lease).await {
                tracing::debug!(%error, "lease left to expire in the shared budget");
            }
        });
    }

    /// Pauses `class` across the fleet in the background.
    pub(super) fn pause(&self, class: RateClass, wait: Duration) {
        let budget = Arc::clone(&self.budget);
        spawn(async move {
            if let Err(error) = budget.pause(class, wait).await {
                tracing::debug!(%error, "pause not shared");
            }
        });
    }

    fn answered(&self) {
        let mut alone = self
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if alone.take().is_some() {
            tracing::info!("the shared rate budget answers again; sharing resumed");
        }
    }

    fn failed(&self, error: &SharedBudgetError) {
        let mut alone = self
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if alone.is_none() {
            tracing::warn!(
                %error,
                "the shared rate budget is unreachable; this process keeps to its own limits until it answers"
            );
        }
        *alone = Some(Instant::now() + RECHECK);
    }
}

/// Runs `task` on the current runtime; outside one (a permit dropped after its runtime), the
/// store's expiry takes care of it.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
    }
}
