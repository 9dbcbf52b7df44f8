//! The rate governor against the emulator's limits: a mixed workload (users, segmentation,
//! funnels, retention) worth three hours of cost budget, sent in one run: through one process's
//! governor; split over fleets of 4 and 16 processes (and more with `AMP_BENCH_FLEETS=4,16,64`)
//! whose governors share the budget through Redis (a `redis-server` the bench starts for each
//! fleet); and naively (as fast as five connections go, retrying each 429 after a pause). All
//! use the same send loop; only the governor differs. Prints one `fleet: processes=N 429s=...
//! makespan_ratio=... redis_calls_per_request=...` line per fleet (scripts run and
//! subscriptions, per query sent) and, last, `governor:
//! 429s=N makespan_ratio=X.XX naive_429s=M naive_makespan_ratio=Y.YY`. Run with
//! `cargo xtask bench governor`.
//!
//! The processes of a fleet are this program again, told by `AMP_FLEET_*` variables which share
//! of the workload is theirs, where the emulator and Redis are, and when to start; each prints
//! its 429s and when it finished.
//!
//! The hour is scaled to a few real seconds on both sides (the emulator's time scale, the
//! governor's windows). Theoretical minimum makespan: the first hour's budget may start at once,
//! and each further hour's worth must wait for the window to roll, so with total cost C and a
//! budget B per hour the last request cannot start before (C / B - 1) hours.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use amp_dashboard::{DateRange, Event, GetEventSegmentation, GetFunnel, GetRetention, GetUsers};
use amp_emulator::{Config, Emulator};
use amp_governor_redis::RedisBudget;
use amp_governor_redis::test_util::RedisServer;
use amp_transport::amp_model::Limits;
use amp_transport::amp_model::limits::Limit;
use amp_transport::{Client, Endpoint, Error, Governor, NoRetry};
use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt as _, StreamExt as _};

const HOUR: Duration = Duration::from_secs(4);
const BUDGET: u64 = 900;
const IN_FLIGHT: usize = 5;
const ROUNDS: usize = 61;
/// The fleet sizes run unless `AMP_BENCH_FLEETS` names others.
const FLEETS: [usize; 2] = [4, 16];

async fn emulator() -> Emulator {
    let mut config = Config::default();
    config.limits.cost_per_hour = BUDGET;
    config.limits.time_scale = 3_600.0 / HOUR.as_secs_f64();
    let demo = amp_emulator::DemoOptions::new(
        200,
        7,
        chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
    );
    Emulator::builder()
        .config(config)
        .demo(demo)
        .start()
        .await
        .unwrap()
}

fn client(base_url: &str) -> amp_transport::ClientBuilder {
    Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(base_url)
        .retry_policy(NoRetry)
}

/// The emulator's limits, on the governor's side.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.cost_per_hour = Limit::custom(BUDGET, Some(HOUR));
    limits
}

fn days(from: &str, to: &str) -> DateRange {
    DateRange::parse(from, to).unwrap()
}

/// A query's cost, and the future that sends it until it is answered and counts its 429s, each
/// retried after a pause of a twentieth of the hour.
fn sending<'a, E: Endpoint + 'a>(client: &'a Client, query: E) -> (u64, LocalBoxFuture<'a, u64>) {
    let cost = query.cost().total();
    let send = async move {
        let mut refused = 0;
        loop {
            match client.send(&query).await {
                Err(Error::RateLimited { .. }) => {
                    refused += 1;
                    tokio::time::sleep(HOUR / 20).await;
                }
                Err(error) => panic!("{error}"),
                Ok(_) => return refused,
            }
        }
    };
    (cost, send.boxed_local())
}

/// Rounds of three users queries (cost 4 each), a funnel (12), a retention (16) and a
/// segmentation (4): 44 cost a round, interleaved so each kind spreads over the run.
fn workload(client: &Client) -> Vec<(u64, LocalBoxFuture<'_, u64>)> {
    let (open, play) = (|| Event::new("Open App"), || Event::new("Play Song"));
    let mut sends = Vec::new();
    for _ in 0..ROUNDS {
        for _ in 0..3 {
            sends.push(sending(client, GetUsers::new(days("20240325", "20240328"))));
        }
        let funnel = GetFunnel::new(vec![open(), play()], days("20240326", "20240328"));
        sends.push(sending(client, funnel));
        let retention = GetRetention::new(open(), play(), days("20240327", "20240328"));
        sends.push(sending(client, retention));
        let segmentation = GetEventSegmentation::new(play(), days("20240325", "20240328"));
        sends.push(sending(client, segmentation));
    }
    sends
}

/// What one strategy's run drew and took.
struct Outcome {
    queries: usize,
    cost: u64,
    refused: u64,
    makespan: Duration,
}

/// Sends the `part`-th of `parts` shares of the workload, `IN_FLIGHT` at a time.
async fn run(client: &Client, part: usize, parts: usize) -> Outcome {
    let (costs, sends): (Vec<u64>, Vec<_>) = workload(client)
        .into_iter()
        .skip(part)
        .step_by(parts)
        .unzip();
    let started = Instant::now();
    let refused: Vec<u64> = futures_util::stream::iter(sends)
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    Outcome {
        queries: costs.len(),
        cost: costs.iter().sum(),
        refused: refused.iter().sum(),
        makespan: started.elapsed(),
    }
}

async fn governed() -> Outcome {
    let emulator = emulator().await;
    let governor = Governor::new(limits());
    let client = client(&emulator.base_url())
        .governor(governor)
        .build()
        .unwrap();
    run(&client, 0, 1).await
}

async fn naive() -> Outcome {
    let emulator = emulator().await;
    let client = client(&emulator.base_url())
        .without_governor()
        .build()
        .unwrap();
    run(&client, 0, 1).await
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// `processes` processes, each with its share of the workload and a governor on one Redis
/// budget; also the calls they made to Redis.
async fn fleet(processes: usize) -> (Outcome, u64) {
    let emulator = emulator().await;
    let redis = RedisServer::start();
    // Time for every process to start and connect before the common start.
    let start_at = unix_millis() + 1_500 + 50 * u128::try_from(processes).unwrap();
    let workers: Vec<_> = (0..processes)
        .map(|part| {
            Command::new(std::env::current_exe().unwrap())
                .env("AMP_FLEET_PART", part.to_string())
                .env("AMP_FLEET_PARTS", processes.to_string())
                .env("AMP_FLEET_BASE_URL", emulator.base_url())
                .env("AMP_FLEET_REDIS", redis.url())
                .env("AMP_FLEET_START_AT", start_at.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut refused, mut finished, mut queries, mut cost) = (0, start_at, 0, 0);
    for worker in workers {
        let output = tokio::task::spawn_blocking(move || worker.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(output.status.success(), "a fleet process failed");
        let report = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<u128> = report
            .split_whitespace()
            .map(|field| field.split_once('=').unwrap().1.parse().unwrap())
            .collect();
        let [worker_queries, worker_cost, worker_refused, worker_finished] = fields[..] else {
            panic!("unexpected report: {report}");
        };
        queries += worker_queries;
        cost += worker_cost;
        refused += worker_refused;
        finished = finished.max(worker_finished);
    }
    let commands = redis.calls();
    let outcome = Outcome {
        queries: usize::try_from(queries).unwrap(),
        cost: u64::try_from(cost).unwrap(),
        refused: u64::try_from(refused).unwrap(),
        makespan: Duration::from_millis(u64::try_from(finished - start_at).unwrap()),
    };
    (outcome, commands)
}

/// One process of the fleet: waits for the common start, sends its share, returns its leases,
/// reports.
async fn fleet_process(part: usize, parts: usize) {
    let var = |name: &str| std::env::var(name).unwrap();
    let budget = RedisBudget::open(&var("AMP_FLEET_REDIS"), "bench").unwrap();
    let governor = Governor::with_shared_budget(limits(), budget);
    let client = client(&var("AMP_FLEET_BASE_URL"))
        .governor(governor)
        .build()
        .unwrap();
    let start_at: u128 = var("AMP_FLEET_START_AT").parse().unwrap();
    let wait = start_at.saturating_sub(unix_millis());
    tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap())).await;
    let outcome = run(&client, part, parts).await;
    let governor = client.governor().unwrap();
    assert!(governor.is_sharing());
    governor.shutdown().await;
    println!(
        "queries={} cost={} refused={} finished={}",
        outcome.queries,
        outcome.cost,
        outcome.refused,
        unix_millis()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Ok(part) = std::env::var("AMP_FLEET_PART") {
        let parts = std::env::var("AMP_FLEET_PARTS").unwrap().parse().unwrap();
        runtime.block_on(fleet_process(part.parse().unwrap(), parts));
        return;
    }
    let sizes: Vec<usize> = std::env::var("AMP_BENCH_FLEETS").map_or_else(
        |_| FLEETS.to_vec(),
        |sizes| {
            sizes
                .split(',')
                .map(|size| {
                    size.trim()
                        .parse()
                        .expect("AMP_BENCH_FLEETS: sizes such as 4,16,64")
                })
                .collect()
        },
    );
    let governed = runtime.block_on(governed());
    let fleets: Vec<(usize, Outcome, u64)> = sizes
        .iter()
        .map(|&processes| {
            let (outcome, commands) = runtime.block_on(fleet(processes));
            (processes, outcome, commands)
        })
        .collect();
    let naive = runtime.block_on(naive());
    for (_, fleet, _) in &fleets {
        assert_eq!(
            (fleet.queries, fleet.cost),
            (governed.queries, governed.cost),
            "a fleet sent another workload"
        );
    }
    let Outcome { queries, cost, .. } = governed;
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let minimum = HOUR.mul_f64((cost as f64 / BUDGET as f64 - 1.0).max(0.0));
    println!(
        "workload: {queries} queries, {cost} cost; budget {BUDGET} per emulated hour of {HOUR:?}"
    );
    println!(
        "theoretical minimum makespan = (C / B - 1) x hour = ({cost} / {BUDGET} - 1) x {HOUR:?} = {minimum:?}"
    );
    for (name, outcome) in [("governor, one process", &governed), ("naive", &naive)] {
        println!(
            "{name}: {} 429s, makespan {:?}",
            outcome.refused, outcome.makespan
        );
    }
    let ratio = |outcome: &Outcome| outcome.makespan.as_secs_f64() / minimum.as_secs_f64();
    for (processes, fleet, commands) in &fleets {
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let per_request = *commands as f64 / fleet.queries as f64;
        println!(
            "fleet: processes={processes} 429s={} makespan_ratio={:.2} redis_calls_per_request={per_request:.2}",
            fleet.refused,
            ratio(fleet)
        );
    }
    println!(
        "governor: 429s={} makespan_ratio={:.2} naive_429s={} naive_makespan_ratio={:.2}",
        governed.refused,
        ratio(&governed),
        naive.refused,
        ratio(&naive)
    );
}
