#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "test-util")]
pub mod test_util;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amp_transport::RateClass;
use amp_transport::governor::{
    Admission, FleetStatus, Lease, Rules, SharedBudget, SharedBudgetError,
};
use async_trait::async_trait;
use futures_util::{FutureExt as _, StreamExt as _};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script, ScriptInvocation};
use tokio::sync::Notify;

/// How long a lease lives unless renewed, by default. The governor renews its leases every
/// third of it while their requests run, so this is how long the slots of a process that died
/// stay taken.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// How long a call to Redis may take before the governor works alone, by default.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// A rate budget kept in Redis and shared by every process that opens it with the same
/// namespace. Give it to [`amp_transport::Governor::with_shared_budget`].
pub struct RedisBudget {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    namespace: String,
    lease_ttl: Duration,
    timeout: Duration,
    scripts: Scripts,
    wakes: Arc<Wakes>,
    /// This process's name among the waiters for a returned lease (its channel's suffix) and
    /// the members of the fleet.
    waiter: String,
    /// Per rate class, the life of the books this process last saw: a new one means Redis
    /// lost them.
    epochs: Mutex<[String; RateClass::ALL.len()]>,
    /// How many processes shared the budget when Redis last said.
    processes: AtomicU64,
    /// Per rate class, what each window could still admit across the fleet when Redis last said.
    room: Mutex<[Vec<u64>; RateClass::ALL.len()]>,
    /// The task that listens for returned leases, once someone waits for one.
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Scripts {
    admit: Script,
    release: Script,
    renew: Script,
    restore: Script,
    pause: Script,
    status: Script,
}

/// One bell per rate class, rung when a lease of the class is returned anywhere in the fleet.
#[derive(Default)]
struct Wakes([Notify; RateClass::ALL.len()]);

impl Wakes {
    fn of(&self, class: RateClass) -> &Notify {
        &self.0[class.index()]
    }
}

fn class_name(class: RateClass) -> &'static str {
    match class {
        RateClass::UserLookup => "user-lookup",
        RateClass::Profile => "profile",
        RateClass::CohortRequest => "cohort-request",
        RateClass::Privacy => "privacy",
        RateClass::Taxonomy => "taxonomy",
        _ => "cost",
    }
}

impl Drop for RedisBudget {
    fn drop(&mut self) {
        if let Some(listener) = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            listener.abort();
        }
    }
}

/// Why a budget could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The Redis URL does not parse.
    #[error("the Redis URL is not valid: {0}")]
    Url(#[source] redis::RedisError),
    /// The namespace is empty or holds a brace (it becomes a Redis Cluster hash tag).
    #[error(
        "the namespace {0:?} cannot be used: give a non-empty name without braces, such as the project's name"
    )]
    Namespace(String),
}

// The URL may carry a password: it is never printed.
impl fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudget")
            .field("namespace", &self.namespace)
            .field("lease_ttl", &self.lease_ttl)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisBudget {
    /// A budget at `url` (`redis://host:port/db`) for every process using `namespace`: one per
    /// Amplitude project. Nothing is sent until the first request, so a process starts even
    /// while Redis is down.
    pub fn open(url: &str, namespace: &str) -> Result<Self, OpenError> {
        if namespace.is_empty() || namespace.contains(['{', '}']) {
            return Err(OpenError::Namespace(namespace.to_owned()));
        }
        Ok(Self {
            client: redis::Client::open(url).map_err(OpenError::Url)?,
            connection: tokio::sync::Mutex::new(None),
            namespace: namespace.to_owned(),
            lease_ttl: DEFAULT_LEASE_TTL,
            timeout: DEFAULT_REDIS_TIMEOUT,
            scripts: Scripts {
                admit: Script::new(include_str!("lua/admit.lua")),
                release: Script::new(include_str!("lua/release.lua")),
                renew: Script::new(include_str!("lua/renew.lua")),
                restore: Script::new(include_str!("lua/restore.lua")),
                pause: Script::new(include_str!("lua/pause.lua")),
                status: Script::new(include_str!("lua/status.lua")),
            },
            wakes: Arc::default(),
            waiter: waiter_name(),
            epochs: Mutex::default(),
            processes: AtomicU64::new(1),
            room: Mutex::default(),
            listener: Mutex::new(None),
        })
    }

    /// How long a lease lives unless renewed: how long a process that died holds its slots.
    /// The governor renews every third of it, so keep it well above Redis's `timeout`.
    #[must_use]
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// How long to wait for Redis to connect or answer before the governor works alone.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A rate class's key; the namespace is a hash tag, so a cluster keeps a project's keys
    /// on one node, where one script can reach them all.
    fn key(&self, class: RateClass, what: &str) -> String {
        format!(
            "amp-governor:{{{}}}:{}:{what}",
            self.namespace,
            class_name(class)
        )
    }

    fn epochs(&self) -> std::sync::MutexGuard<'_, [String; RateClass::ALL.len()]> {
        self.epochs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The prefix of the channels a returned lease wakes a waiter on: one per process.
    fn channels(&self) -> String {
        format!("amp-governor:{{{}}}:wake:", self.namespace)
    }

    /// Starts the task that listens for returned leases, unless it runs.
    fn listen(&self) {
        let mut listener = self.listener.lock().unwrap_or_else(PoisonError::into_inner);
        if listener.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (client, channel, wakes, timeout) = (
            self.client.clone(),
            self.channels() + &self.waiter,
            Arc::clone(&self.wakes),
            self.timeout,
        );
        *listener = Some(runtime.spawn(async move {
            loop {
                let subscribed = tokio::time::timeout(timeout, async {
                    let mut pubsub = client.get_async_pubsub().await?;
                    pubsub.subscribe(&channel).await?;
                    Ok::<_, redis::RedisError>(pubsub)
                })
                .await;
                if let Ok(Ok(mut pubsub)) = subscribed {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let name: String = message.get_payload().unwrap_or_default();
                        if let Some(class) =
                            RateClass::ALL.into_iter().find(|c| class_name(*c) == name)
                        {
                            wakes.of(class).notify_one();
                        }
                    }
                }
                // Redis went away or would not subscribe: the waiters' poll covers the gap.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }

    /// Runs a script on the shared connection, reconnecting first if the last call failed. A
    /// connection that broke (Redis restarted, or the connection was cut) is replaced and the
    /// script tried once more at once, so one restart costs no failed call.
    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, SharedBudgetError> {
        let mut outcome = self.run_once(invocation).await;
        if let Err(error) = &outcome
            && (error.is_io_error() || error.is_connection_dropped())
        {
            outcome = self.run_once(invocation).await;
        }
        Ok(outcome?)
    }

    async fn run_once<T: redis::FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> redis::RedisResult<T> {
        let mut slot = self.connection.lock().await;
        let mut connection = if let Some(connection) = &*slot {
            connection.clone()
        } else {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(self.timeout))
                .set_response_timeout(Some(self.timeout));
            let connection = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            slot.insert(connection).clone()
        };
        drop(slot);
        let outcome = invocation.invoke_async(&mut connection).await;
        if outcome.is_err() {
            *self.connection.lock().await = None;
        }
        outcome
    }
}

/// A name no other process of the fleet has: random, from the standard library's hasher keys.
fn waiter_name() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

#[async_trait]
impl SharedBudget for RedisBudget {
    async fn admit(&self, rules: &Rules) -> Result<Admission, SharedBudgetError> {
        // A wake stored before this call is stale: this call sees what it announced. One that
        // arrives during the call stays, for the wait that may follow.
        let _ = self.wakes.of(rules.class).notified().now_or_never();
        let cap =
            |limit: Option<u64>| limit.map_or(-1, |value| i64::try_from(value).unwrap_or(i64::MAX));
        let mut invocation = self.scripts.admit.prepare_invoke();
        invocation
            .key(self.key(rules.class, "window"))
            .key(self.key(rules.class, "leases"))
            .key(self.key(rules.class, "pause"))
            .key(self.key(rules.class, "ids"))
            .key(self.key(rules.class, "waiters"))
            .key(self.key(rules.class, "epoch"))
            .key(self.key(rules.class, "members"))
            .arg(rules.cost)
            .arg(rules.weight)
            .arg(cap(rules.max_in_flight))
            .arg(cap(rules.max_cost_in_flight))
            .arg(millis(self.lease_ttl))
            .arg(&self.waiter)
            .arg(&self.epochs()[rules.class.index()]);
        for window in &rules.windows {
            invocation.arg(millis(window.span)).arg(window.ceiling);
        }
        let (admitted, value, epoch, processes, room): (u8, u64, String, u64, Vec<u64>) =
            self.run(&invocation).await?;
        self.processes.store(processes.max(1), Ordering::Relaxed);
        self.epochs()[rules.class.index()] = epoch;
        if !room.is_empty() {
            self.room.lock().unwrap_or_else(PoisonError::into_inner)[rules.class.index()] = room;
        }
        Ok(match (admitted, value) {
            (2, _) => Admission::Reset,
            (1, id) => Admission::Granted(Lease {
                class: rules.class,
                id,
                cost: rules.cost,
                weight: rules.weight,
            }),
            (_, 0) => Admission::Wait(None),
            (_, wait) => Admission::Wait(Some(Duration::from_millis(wait))),
        })
    }

    async fn release(&self, lease: Lease) -> Result<(), SharedBudgetError> {
        let mut invocation = self.scripts.release.prepare_invoke();
        invocation
            .key(self.key(lease.class, "window"))
            .key(self.key(lease.class, "leases"))
            .key(self.key(lease.class, "waiters"))
            .arg(lease.id)
            .arg(lease.cost)
            .arg(lease.weight)
            .arg(self.channels())
            .arg(class_name(lease.class))
            .arg(&self.waiter);
        self.run::<()>(&invocation).await
    }

    async fn renew(&self, leases: &[Lease]) -> Result<(), SharedBudgetError> {
        for class in RateClass::ALL {
            let mine: Vec<&Lease> = leases.iter().filter(|lease| lease.class == class).collect();
            if mine.is_empty() {
                continue;
            }
            let mut invocation = self.scripts.renew.prepare_invoke();
            invocation
                .key(self.key(class, "leases"))
                .arg(millis(self.lease_ttl));
            for lease in mine {
                // Renewed in both the forms a lease takes: as granted, and as put back after a
                // restart.
                invocation
                    .arg(format!("{}:{}", lease.id, lease.cost))
                    .arg(format!("{}/{}:{}", self.waiter, lease.id, lease.cost));
            }
            self.run::<()>(&invocation).await?;
        }
        Ok(())
    }

    fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    async fn restore(
        &self,
        class: RateClass,
        recent: &[(Duration, u64)],
        leases: &[Lease],
    ) -> Result<(), SharedBudgetError> {
        let mut invocation = self.scripts.restore.prepare_invoke();
        invocation
            .key(self.key(class, "window"))
            .key(self.key(class, "leases"))
            .arg(millis(self.lease_ttl))
            .arg(&self.waiter)
            .arg(recent.len());
        for (ago, weight) in recent {
            invocation
                .arg(u64::try_from(ago.as_millis()).unwrap_or(u64::MAX))
                .arg(weight);
        }
        for lease in leases {
            invocation.arg(format!("{}:{}", lease.id, lease.cost));
        }
        self.run::<()>(&invocation).await
    }

    fn processes(&self) -> u64 {
        self.processes.load(Ordering::Relaxed)
    }

    fn room(&self, class: RateClass) -> Vec<u64> {
        self.room.lock().unwrap_or_else(PoisonError::into_inner)[class.index()].clone()
    }

    async fn returned(&self, class: RateClass, within: Duration) {
        self.listen();
        let _ = tokio::time::timeout(within, self.wakes.of(class).notified()).await;
    }

    async fn pause(&self, class: RateClass, wait: Duration) -> Result<(), SharedBudgetError> {
        let mut invocation = self.scripts.pause.prepare_invoke();
        invocation.key(self.key(class, "pause")).arg(millis(wait));
        self.run::<()>(&invocation).await
    }

    async fn status(&self, rules: &Rules) -> Result<FleetStatus, SharedBudgetError> {
        let mut invocation = self.scripts.status.prepare_invoke();
        invocation
            .key(self.key(rules.class, "window"))
            .key(self.key(rules.class, "leases"))
            .key(self.key(rules.class, "pause"));
        for window in &rules.windows {
            invocation.arg(millis(window.span)).arg(window.ceiling);
        }
        let answer: Vec<u64> = self.run(&invocation).await?;
        let [in_flight, cost_in_flight, paused_ms, remaining @ ..] = answer.as_slice() else {
            return Err(format!("the status script answered {answer:?}").into());
        };
        Ok(FleetStatus::new(
            *in_flight,
            *cost_in_flight,
            remaining.to_vec(),
            Duration::from_millis(*paused_ms),
        ))
    }
}
