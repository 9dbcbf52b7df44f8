//! The shared budget against a real `redis-server`, started by each test on a free loopback
//! port. Each governor stands for one process of a fleet: it has its own books and its own
//! connection, and shares only what Redis holds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amp_governor_redis::test_util::RedisServer;
use amp_governor_redis::{OpenError, RedisBudget};
use amp_transport::amp_model::Limits;
use amp_transport::amp_model::limits::Limit;
use amp_transport::{Governor, RateClass};
use tokio::time::timeout;

fn process(redis: &RedisServer, limits: &Limits) -> Governor {
    let budget = RedisBudget::open(&redis.url(), "project")
        .unwrap()
        .timeout(Duration::from_millis(200));
    Governor::with_shared_budget(limits.clone(), budget)
}

fn limits(change: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    change(&mut limits);
    limits
}

/// Whether `governor` admits a request of `cost` within `wait`.
async fn admits_within(governor: &Governor, cost: u64, wait: Duration) -> bool {
    timeout(wait, governor.acquire(RateClass::Cost, cost))
        .await
        .is_ok_and(|permit| permit.is_ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_never_exceed_the_concurrency_cap_together() {
    let redis = RedisServer::start();
    let limits = limits(|limits| limits.concurrent_requests = Limit::custom(3, None));
    let (in_flight, most) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let governor = process(&redis, &limits);
        for _ in 0..4 {
            let (governor, in_flight, most) = (governor.clone(), in_flight.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..5 {
                    let permit = governor.acquire(RateClass::Cost, 1).await.unwrap();
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    drop(permit);
                }
                governor.is_sharing()
            }));
        }
    }
    for task in tasks {
        assert!(task.await.unwrap(), "a process stopped sharing");
    }
    // Each process alone would have let 3 of its own 4 run at once: 12 in all.
    assert_eq!(most.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_cost_window_spent_by_one_process_holds_back_another() {
    let redis = RedisServer::start();
    let limits = limits(|limits| {
        limits.cost_per_hour = Limit::custom(100, Some(Duration::from_secs(1)));
    });
    let (first, second) = (process(&redis, &limits), process(&redis, &limits));
    let held = first.acquire(RateClass::Cost, 60).await.unwrap();
    // Every process sees the fleet's books.
    let fleet = second.fleet_status(RateClass::Cost).await.unwrap().unwrap();
    assert_eq!((fleet.in_flight, fleet.cost_in_flight), (1, 60));
    assert_eq!(fleet.remaining, [40]);
    assert_eq!(second.status(RateClass::Cost).in_flight, 0);
    drop(held);
    // The second process's own books have room; Redis has not.
    assert_eq!(second.status(RateClass::Cost).hour_remaining, 100);
    assert!(!admits_within(&second, 60, Duration::from_millis(300)).await);
    assert!(admits_within(&second, 60, Duration::from_secs(3)).await);
    // And now the other way round.
    assert_eq!(first.status(RateClass::Cost).hour_remaining, 100);
    assert!(!admits_within(&first, 60, Duration::from_millis(300)).await);
}

/// A `fleet-worker` process holding `hold` permits with leases of `ttl`, once it says it holds
/// them.
fn worker(redis: &RedisServer, hold: usize, ttl: Duration) -> std::process::Child {
    let path = env!("CARGO_BIN_EXE_fleet-worker");
    let mut child = std::process::Command::new(path)
        .env("AMP_WORKER_REDIS", redis.url())
        .env("AMP_WORKER_HOLD", hold.to_string())
        .env("AMP_WORKER_TTL_MS", ttl.as_millis().to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held");
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_process_keeps_its_leases_and_a_killed_ones_free_within_their_lifetime() {
    let redis = RedisServer::start();
    let ttl = Duration::from_millis(600);
    let mut child = worker(&redis, 5, ttl);
    let survivor = process(&redis, &Limits::default());
    // The worker's five requests are in flight for more than three lease lifetimes: renewed,
    // their slots stay taken.
    assert!(!admits_within(&survivor, 1, ttl * 3).await);
    let fleet = survivor
        .fleet_status(RateClass::Cost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fleet.in_flight, 5);
    // SIGKILL: nothing is returned, and nothing renews the leases any more.
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = tokio::time::Instant::now();
    assert!(admits_within(&survivor, 1, ttl * 3).await);
    let freed = killed.elapsed();
    assert!(
        freed <= ttl + Duration::from_millis(400),
        "freed after {freed:?}"
    );
}

#[tokio::test]
async fn a_process_whose_runtime_ends_with_requests_in_flight_returns_their_leases() {
    let redis = RedisServer::start();
    let url = redis.url();
    // Leases that would outlive the test: only returning them frees the slots.
    let ended = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let budget = RedisBudget::open(&url, "project")
            .unwrap()
            .lease_ttl(Duration::from_secs(600));
        let governor = Governor::with_shared_budget(Limits::default(), budget);
        runtime.block_on(async {
            for _ in 0..5 {
                let permit = governor.acquire(RateClass::Cost, 1).await.unwrap();
                tokio::spawn(async move {
                    let _held = permit;
                    std::future::pending::<()>().await;
                });
            }
        });
        let started = std::time::Instant::now();
        drop(runtime);
        drop(governor);
        started.elapsed()
    });
    let took = tokio::task::spawn_blocking(move || ended.join().unwrap())
        .await
        .unwrap();
    assert!(took < Duration::from_secs(3), "the end took {took:?}");
    let survivor = process(&redis, &Limits::default());
    let fleet = survivor
        .fleet_status(RateClass::Cost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fleet.in_flight, 0, "every lease came back");
    assert!(admits_within(&survivor, 1, Duration::from_millis(300)).await);
}

#[tokio::test]
async fn shutdown_waits_for_the_leases_on_their_way_back() {
    let redis = RedisServer::start();
    let governor = process(&redis, &Limits::default());
    let permits: Vec<_> =
        futures_util::future::join_all((0..3).map(|_| governor.acquire(RateClass::Cost, 1))).await;
    drop(permits);
    governor.shutdown().await;
    let fleet = governor
        .fleet_status(RateClass::Cost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fleet.in_flight, 0);
}

#[tokio::test]
async fn a_429_in_one_process_pauses_the_class_in_all() {
    let redis = RedisServer::start();
    let limits = Limits::default();
    let (refused, other) = (process(&redis, &limits), process(&redis, &limits));
    drop(refused.acquire(RateClass::Cost, 1).await.unwrap());
    refused.refused(RateClass::Cost, Some(Duration::from_millis(800)));
    // The pause travels to Redis in the background.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!admits_within(&other, 1, Duration::from_millis(300)).await);
    assert!(admits_within(&other, 1, Duration::from_secs(3)).await);
    // Other classes are not paused.
    let profile = timeout(Duration::from_secs(1), other.acquire(RateClass::Profile, 1)).await;
    assert!(profile.is_ok_and(|permit| permit.is_ok()));
}

/// Log lines, captured.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .matches(needle)
            .count()
    }
}

#[tokio::test]
async fn without_redis_a_process_works_alone_warns_once_and_shares_again_when_it_returns() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let mut redis = RedisServer::start();
    let limits = limits(|limits| limits.concurrent_requests = Limit::custom(1, None));
    let governor = process(&redis, &limits);
    drop(governor.acquire(RateClass::Cost, 1).await.unwrap());
    assert!(governor.is_sharing());

    redis.stop();
    for _ in 0..5 {
        assert!(admits_within(&governor, 1, Duration::from_secs(2)).await);
    }
    assert!(!governor.is_sharing());
    assert_eq!(logs.count("shared rate budget is unreachable"), 1);

    redis.restart();
    // The governor tries Redis again a second after it failed.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let held = governor.acquire(RateClass::Cost, 1).await.unwrap();
    assert!(governor.is_sharing());
    assert_eq!(logs.count("sharing resumed"), 1);
    // Shared again: another process sees the lease.
    let other = process(&redis, &limits);
    assert!(!admits_within(&other, 1, Duration::from_millis(300)).await);
    drop(held);
    assert!(admits_within(&other, 1, Duration::from_secs(2)).await);
    assert_eq!(logs.count("shared rate budget is unreachable"), 1);
}

#[test]
fn a_password_in_the_url_never_shows_and_a_bad_namespace_is_refused() {
    let budget = RedisBudget::open("redis://:hunter2@127.0.0.1:6379/", "project").unwrap();
    let debug = format!("{budget:?}");
    assert!(
        debug.contains("project") && !debug.contains("hunter2"),
        "{debug}"
    );
    for namespace in ["", "a{b}"] {
        let error = RedisBudget::open("redis://127.0.0.1/", namespace).unwrap_err();
        assert!(matches!(error, OpenError::Namespace(_)));
        assert!(error.to_string().contains("without braces"), "{error}");
    }
    let error = RedisBudget::open("http://nowhere", "project").unwrap_err();
    assert!(matches!(error, OpenError::Url(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_process_puts_its_part_of_the_books_back() {
    let mut redis = RedisServer::start();
    let limits = limits(|limits| {
        limits.cost_per_hour = Limit::custom(100, Some(Duration::from_secs(30)));
    });
    let (spender, other) = (process(&redis, &limits), process(&redis, &limits));
    drop(spender.acquire(RateClass::Cost, 60).await.unwrap());
    tokio::task::block_in_place(|| redis.restart());
    // The spender's next request finds the books gone, puts its 60 back, and waits out the
    // second in which every busy process does the same.
    let asked = tokio::time::Instant::now();
    drop(spender.acquire(RateClass::Cost, 1).await.unwrap());
    assert!(
        asked.elapsed() >= Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );
    let fleet = other.fleet_status(RateClass::Cost).await.unwrap().unwrap();
    assert_eq!(fleet.remaining, [39], "100 - 60 put back - 1");
    assert!(!admits_within(&other, 60, Duration::from_millis(300)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_is_woken_by_the_returned_lease_without_polling_for_it() {
    let redis = RedisServer::start();
    let one = limits(|limits| limits.concurrent_requests = Limit::custom(1, None));
    let (holder, waiter) = (process(&redis, &one), process(&redis, &one));
    let held = holder.acquire(RateClass::Cost, 1).await.unwrap();
    let before = redis.calls();
    let waiting = tokio::spawn(async move {
        let permit = waiter.acquire(RateClass::Cost, 1).await.unwrap();
        (tokio::time::Instant::now(), permit)
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let returned = tokio::time::Instant::now();
    drop(held);
    let (admitted, _permit) = waiting.await.unwrap();
    let woken_after = admitted - returned;
    assert!(
        woken_after < Duration::from_millis(150),
        "woken after {woken_after:?}"
    );
    // Two seconds of waiting: a few asks (the 250 ms fallback), not a poll every 10 ms.
    let calls = redis.calls() - before;
    assert!(calls <= 16, "{calls} calls to Redis while waiting 2 s");
}

/// What Redis does while a fleet spends its budget.
#[derive(Clone, Copy)]
enum Trouble {
    /// Slower than the governors' timeout for a second and a half (`CLIENT PAUSE`).
    Slow,
    /// Restarted, empty.
    Restarted,
}

/// Four processes spend 2.67 emulated hours of budget against the emulator, Redis having
/// `trouble` (if any) a second in: never a 429, and the run ends within `most`.
async fn four_processes_through(trouble: Option<Trouble>, most: Duration) {
    use amp_dashboard::{DateRange, GetUsers};
    use amp_emulator::{Config, DemoOptions, Emulator};
    use amp_transport::{Client, NoRetry};
    use futures_util::StreamExt as _;

    let (hour, budget) = (Duration::from_secs(2), 300);
    let mut config = Config::default();
    config.limits.cost_per_hour = budget;
    config.limits.time_scale = 3_600.0 / hour.as_secs_f64();
    let last = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    let emulator = Emulator::builder()
        .config(config)
        .demo(DemoOptions::new(50, 7, last))
        .start()
        .await
        .unwrap();
    let mut redis = RedisServer::start();
    let limits = limits(|limits| limits.cost_per_hour = Limit::custom(budget, Some(hour)));
    let started = std::time::Instant::now();
    let fleet: Vec<_> = (0..4)
        .map(|_| {
            let client = Client::builder()
                .api_key(amp_emulator::config::DEFAULT_API_KEY)
                .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
                .base_url(emulator.base_url())
                .governor(process(&redis, &limits))
                .retry_policy(NoRetry)
                .build()
                .unwrap();
            tokio::spawn(async move {
                let range = DateRange::parse("20240325", "20240328").unwrap();
                let queries = (0..50).map(|_| GetUsers::new(range)).collect();
                let results: Vec<_> = client.send_all(queries, 5, |_| {}).collect().await;
                (results, client.governor().unwrap().clone())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    match trouble {
        None => {}
        Some(Trouble::Slow) => {
            let client = redis::Client::open(redis.url()).unwrap();
            let mut connection = client.get_multiplexed_async_connection().await.unwrap();
            let _: () = redis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(1_500)
                .arg("ALL")
                .query_async(&mut connection)
                .await
                .unwrap();
        }
        Some(Trouble::Restarted) => tokio::task::block_in_place(|| redis.restart()),
    }
    let mut governors = Vec::new();
    for process in fleet {
        let (results, governor) = process.await.unwrap();
        // Without retries, a 429 would be a failed result.
        for (_, result) in results {
            result.unwrap();
        }
        governors.push(governor);
    }
    // The first hour's 300 may start at once; the other 500 wait for the window to roll.
    let took = started.elapsed();
    assert!(took >= hour * 5 / 3 && took <= most, "{took:?}");
    // Each process asks Redis again within a second of its last failure, and shares again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for governor in governors {
        drop(governor.acquire(RateClass::Cost, 1).await.unwrap());
        assert!(governor.is_sharing(), "sharing again once Redis answers");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_spend_two_hours_of_budget_against_the_emulator_without_a_429() {
    four_processes_through(None, Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_slower_than_the_timeout_draws_no_429_from_the_fleet() {
    four_processes_through(Some(Trouble::Slow), Duration::from_secs(7)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_mid_run_draws_no_429_from_the_fleet() {
    four_processes_through(Some(Trouble::Restarted), Duration::from_secs(7)).await;
}
