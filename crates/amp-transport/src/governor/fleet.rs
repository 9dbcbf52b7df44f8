//! A budget shared by every process of a fleet that queries one Amplitude project: the seam a
//! store such as Redis plugs into (the `amp-governor-redis` crate is one).
//!
//! The governor asks the shared budget only once its own books admit a request, so the local
//! queue stays first come, first served and the store sees one request per process at a time.
//! A granted lease is renewed every third of its lifetime while its request runs and returned
//! (retried) when it is over; the last governor to go returns what is still on its way back.
//! When the store fails, the governor keeps going on its own books, within its share of what the
//! store last said there was room for, warns once, and tries the store again a second later, and
//! from then on every second until it answers; then it puts back the starts it made alone. A
//! store that lost its books ([`Admission::Reset`]) gets this process's part back.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::Rules;
use crate::RateClass;

/// Why a shared budget could not answer (unreachable, timed out, refused the script).
pub type SharedBudgetError = Box<dyn std::error::Error + Send + Sync>;

/// A store that keeps one budget for many processes. Implementations must make each call
/// atomic across the fleet and let a lease expire on its own, [`SharedBudget::lease_ttl`] after
/// it was granted or last renewed, if its process dies.
#[async_trait]
pub trait SharedBudget: Send + Sync + fmt::Debug {
    /// Admits a request that fits `rules` across the fleet, recording its lease and its
    /// weight in each window, or says how long to wait.
    async fn admit(&self, rules: &Rules) -> Result<Admission, SharedBudgetError>;

    /// Returns a lease: the request's response is in. Its weight stays in the windows,
    /// counted from now, as the server counts it from the request's arrival.
    async fn release(&self, lease: Lease) -> Result<(), SharedBudgetError>;

    /// Keeps `leases` alive for another [`SharedBudget::lease_ttl`]: their requests are still
    /// in flight. The governor calls it every third of the lifetime while it holds any.
    async fn renew(&self, leases: &[Lease]) -> Result<(), SharedBudgetError>;

    /// How long a lease lives unless it is renewed.
    fn lease_ttl(&self) -> Duration;

    /// Waits until a lease of `class` is returned anywhere in the fleet, or `within` has
    /// passed. The default only waits `within`: a store that can tell (Redis pub/sub) wakes the
    /// waiter as soon as a lease comes back.
    async fn returned(&self, class: RateClass, within: Duration) {
        let _ = class;
        tokio::time::sleep(within).await;
    }

    /// Puts back this process's part of a class's books after the store lost them (a restart):
    /// the weight of its requests that started `ago` within the longest window, and its leases
    /// still held. Called when [`SharedBudget::admit`] answers [`Admission::Reset`].
    async fn restore(
        &self,
        class: RateClass,
        recent: &[(Duration, u64)],
        leases: &[Lease],
    ) -> Result<(), SharedBudgetError>;

    /// How many processes shared the budget when the store last said: while it cannot be
    /// reached, each keeps to that share of the limits.
    fn processes(&self) -> u64 {
        1
    }

    /// What each window of `class` (in the order of the rules' windows) could still admit
    /// across the fleet when the store last said; empty when it never did. While the store
    /// cannot be reached, each process keeps to its share of that until a whole window has
    /// passed.
    fn room(&self, class: RateClass) -> Vec<u64> {
        let _ = class;
        Vec::new()
    }

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
    /// which the governor waits for ([`SharedBudget::returned`]).
    Wait(Option<Duration>),
    /// The store lost its books since this process last asked (a restart): put back this
    /// process's part with [`SharedBudget::restore`], then ask again.
    Reset,
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

/// How long a request that waits for room held elsewhere waits for word of a returned lease
/// before asking again anyway.
const POLL: Duration = Duration::from_millis(250);
/// How long the governor works alone after the store failed before trying it again.
const RECHECK: Duration = Duration::from_secs(1);
/// The longest a returned lease is retried between attempts.
const RETRY_MAX: Duration = Duration::from_secs(1);
/// How long dropping the last governor waits for the store to take back its leases.
pub(super) const RETURN_WAIT: Duration = Duration::from_secs(2);

/// A shared budget and whether it is answering.
#[derive(Debug)]
pub(super) struct Fleet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    budget: Arc<dyn SharedBudget>,
    /// Set while the store is failing: when to try it again.
    alone_until: Mutex<Option<Instant>>,
    /// Per rate class, since when this process worked alone, once the store answers again:
    /// the starts it made meanwhile are not in the store's books, and go back there.
    rejoined: Mutex<[Option<Instant>; RateClass::ALL.len()]>,
    /// When this process began to work alone, while it does.
    alone_since: Mutex<Option<Instant>>,
    /// Per rate class, when the store last answered.
    contact: Mutex<[Option<Instant>; RateClass::ALL.len()]>,
    books: Mutex<Books>,
    /// Rung when the last lease being returned has been taken back.
    drained: Notify,
}

/// The leases this process holds in the store.
#[derive(Debug, Default)]
struct Books {
    held: Vec<Held>,
    /// Whether a task renews the held leases.
    renewing: bool,
}

#[derive(Debug)]
struct Held {
    lease: Lease,
    /// When the store last extended its life: it expires there a lifetime later.
    renewed: Instant,
    /// Its request is over and it is on its way back.
    returning: bool,
}

/// What the fleet says about a request the local books admit.
pub(super) enum Turn {
    /// Start now, holding this lease (none when working alone).
    Go(Option<Lease>),
    /// Ask again after this long.
    Wait(Duration),
    /// Ask again when a lease comes back somewhere in the fleet.
    WaitForReturn,
    /// The store lost its books: put this process's part back, then ask again.
    Reset,
    /// The store did not answer: ask again, now on this process's share of the limits.
    Alone,
}

impl Fleet {
    pub(super) fn new(budget: Arc<dyn SharedBudget>) -> Self {
        Self {
            inner: Arc::new(Inner {
                budget,
                alone_until: Mutex::new(None),
                rejoined: Mutex::new([None; RateClass::ALL.len()]),
                alone_since: Mutex::new(None),
                contact: Mutex::new([None; RateClass::ALL.len()]),
                books: Mutex::new(Books::default()),
                drained: Notify::new(),
            }),
        }
    }

    /// The store's view of a class.
    pub(super) async fn status(&self, rules: &Rules) -> Result<FleetStatus, SharedBudgetError> {
        self.inner.budget.status(rules).await
    }

    /// Whether the store answered the last time it was asked.
    pub(super) fn is_sharing(&self) -> bool {
        self.inner
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Asks the store for a turn, unless it failed less than [`RECHECK`] ago. The call runs in
    /// its own task, so a caller that gives up cannot strand a lease the store granted.
    pub(super) async fn turn(&self, rules: &Rules) -> Turn {
        let recheck_at = *self
            .inner
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if recheck_at.is_some_and(|at| Instant::now() < at) {
            return Turn::Go(None);
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        let class = rules.class.index();
        let (budget, rules) = (Arc::clone(&self.inner.budget), rules.clone());
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
                self.inner
                    .contact
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)[class] = Some(Instant::now());
                match admission {
                    Admission::Granted(lease) => {
                        self.hold(lease.clone());
                        Turn::Go(Some(lease))
                    }
                    Admission::Wait(Some(wait)) => Turn::Wait(wait),
                    Admission::Wait(None) => Turn::WaitForReturn,
                    Admission::Reset => Turn::Reset,
                }
            }
            Err(error) => {
                self.failed(&error);
                Turn::Alone
            }
        }
    }

    /// This process's share of `rules` while the store cannot be reached; `rules` while it can.
    /// Alone, a window that has not passed since the store last answered admits this process's
    /// share of the room the store then had, counted from then; a window that has passed, its
    /// share of the window. So the fleet, each process alone, stays within what the store
    /// would have admitted.
    pub(super) fn local_rules<'a>(&self, rules: &'a Rules) -> Cow<'a, Rules> {
        if self.is_sharing() {
            return Cow::Borrowed(rules);
        }
        let processes = self.inner.budget.processes().max(1);
        let mut share = rules.shared_by(processes);
        let contact = self
            .inner
            .contact
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[rules.class.index()];
        let room = self.inner.budget.room(rules.class);
        if let Some(contact) = contact
            && room.len() == share.windows.len()
        {
            let since = contact.elapsed();
            for (window, room) in share.windows.iter_mut().zip(room) {
                if since < window.span {
                    *window = super::Window {
                        span: since,
                        ceiling: room / processes,
                    };
                }
            }
        }
        Cow::Owned(share)
    }

    /// Puts back this process's part of `class`'s books in a store that lost them: `recent`
    /// starts and every lease it holds.
    pub(super) async fn restore(&self, class: RateClass, recent: &[(Duration, u64)]) {
        let leases: Vec<Lease> = self
            .inner
            .books()
            .held
            .iter()
            .filter(|held| held.lease.class == class)
            .map(|held| held.lease.clone())
            .collect();
        match self.inner.budget.restore(class, recent, &leases).await {
            Ok(()) => tracing::info!(
                leases = leases.len(),
                starts = recent.len(),
                "the shared rate budget lost its books; this process's part is back"
            ),
            Err(error) => self.failed(&error),
        }
    }

    /// Waits for a lease of `class` to come back somewhere, [`POLL`] at the most.
    pub(super) async fn returned(&self, class: RateClass) {
        self.inner.budget.returned(class, POLL).await;
    }

    /// Books a granted lease and makes sure a task renews it while its request runs.
    fn hold(&self, lease: Lease) {
        let mut books = self.inner.books();
        books.held.push(Held {
            lease,
            renewed: Instant::now(),
            returning: false,
        });
        if !std::mem::replace(&mut books.renewing, true) {
            drop(books);
            spawn(renew(Arc::downgrade(&self.inner)));
        }
    }

    /// Returns a lease: retried until the store takes it or it has expired there anyway. Without
    /// a runtime to run on (a permit dropped after its runtime), it is returned at once, with a
    /// bounded wait.
    pub(super) fn release(&self, lease: Lease) {
        let inner = Arc::clone(&self.inner);
        {
            let mut books = inner.books();
            if let Some(held) = books.held.iter_mut().find(|held| held.lease == lease) {
                held.returning = true;
            }
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return_blocking(&inner.budget, vec![lease.clone()]);
            inner.forget(&lease);
            return;
        }
        spawn(async move {
            let mut wait = Duration::from_millis(50);
            loop {
                match inner.budget.release(lease.clone()).await {
                    Ok(()) => break,
                    Err(error) if inner.expired(&lease) => {
                        tracing::debug!(%error, "a lease the store would not take has expired there");
                        break;
                    }
                    Err(error) => {
                        tracing::debug!(%error, "returning a lease again shortly");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(RETRY_MAX);
                    }
                }
            }
            inner.forget(&lease);
        });
    }

    /// Waits, `within` at the most, until every lease on its way back is taken back.
    pub(super) async fn drain(&self, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            loop {
                let drained = self.inner.drained.notified();
                if !self.inner.books().held.iter().any(|held| held.returning) {
                    return;
                }
                drained.await;
            }
        })
        .await;
    }

    /// Pauses `class` across the fleet in the background.
    pub(super) fn pause(&self, class: RateClass, wait: Duration) {
        let budget = Arc::clone(&self.inner.budget);
        spawn(async move {
            if let Err(error) = budget.pause(class, wait).await {
                tracing::debug!(%error, "pause not shared");
            }
        });
    }

    fn answered(&self) {
        let mut alone = self
            .inner
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if alone.take().is_some() {
            tracing::info!("the shared rate budget answers again; sharing resumed");
            let since = self
                .inner
                .alone_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            *self
                .inner
                .rejoined
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = [since; RateClass::ALL.len()];
        }
    }

    /// Since when the store did not hear of this process's starts of class `slot`, if it
    /// answers again after a time alone; asked once.
    pub(super) fn take_rejoined(&self, slot: usize) -> Option<Instant> {
        self.inner
            .rejoined
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[slot]
            .take()
    }

    fn failed(&self, error: &SharedBudgetError) {
        let mut alone = self
            .inner
            .alone_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if alone.is_none() {
            tracing::warn!(
                %error,
                "the shared rate budget is unreachable; this process keeps to its share of the limits until it answers"
            );
            self.inner
                .alone_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(Instant::now);
        }
        *alone = Some(Instant::now() + RECHECK);
    }
}

impl Inner {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the store has let `lease` expire by now.
    fn expired(&self, lease: &Lease) -> bool {
        let ttl = self.budget.lease_ttl();
        self.books()
            .held
            .iter()
            .find(|held| held.lease == *lease)
            .is_none_or(|held| held.renewed + ttl <= Instant::now())
    }

    /// Takes `lease` off the books, ringing `drained` when nothing is on its way back.
    fn forget(&self, lease: &Lease) {
        let mut books = self.books();
        books.held.retain(|held| held.lease != *lease);
        let returning = books.held.iter().any(|held| held.returning);
        drop(books);
        if !returning {
            self.drained.notify_waiters();
        }
    }
}

/// The last governor is gone: the leases still on their way back (their tasks ended with the
/// runtime) are returned now, with a bounded wait, rather than left to expire.
impl Drop for Inner {
    fn drop(&mut self) {
        let leases: Vec<Lease> = self.books().held.drain(..).map(|held| held.lease).collect();
        if !leases.is_empty() {
            return_blocking(&self.budget, leases);
        }
    }
}

/// Renews the leases of `inner` every third of their lifetime, while there are any and a
/// governor is left.
async fn renew(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(ttl) = inner.upgrade().map(|inner| inner.budget.lease_ttl()) else {
            return;
        };
        tokio::time::sleep(ttl / 3).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let leases: Vec<Lease> = {
            let mut books = inner.books();
            if books.held.is_empty() {
                books.renewing = false;
                return;
            }
            books
                .held
                .iter()
                .filter(|held| !held.returning)
                .map(|held| held.lease.clone())
                .collect()
        };
        if leases.is_empty() {
            continue;
        }
        let asked = Instant::now();
        match inner.budget.renew(&leases).await {
            Ok(()) => {
                for held in &mut inner.books().held {
                    if leases.contains(&held.lease) {
                        held.renewed = asked;
                    }
                }
            }
            Err(error) => tracing::debug!(%error, "leases not renewed; trying again"),
        }
    }
}

/// Returns `leases` from a thread of its own, [`RETURN_WAIT`] at the most: for when no runtime
/// is left to run a task on.
fn return_blocking(budget: &Arc<dyn SharedBudget>, leases: Vec<Lease>) {
    let budget = Arc::clone(budget);
    let returning = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            let _ = tokio::time::timeout(RETURN_WAIT, async {
                for lease in leases {
                    // A connection made on a runtime that is gone fails; the second try makes
                    // a new one here.
                    for _ in 0..2 {
                        let attempt = budget.release(lease.clone());
                        if let Ok(Ok(())) = tokio::time::timeout(RETURN_WAIT / 4, attempt).await {
                            break;
                        }
                    }
                }
            })
            .await;
        });
    });
    let _ = returning.join();
}

/// Runs `task` on the current runtime, if there is one.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
    }
}
