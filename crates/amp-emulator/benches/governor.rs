//! The rate governor against the emulator's limits: a workload worth three hours of cost budget,
//! sent once through the governor and once naively (5 at a time, retrying each 429 after a
//! pause), in one run. Prints, last, `governor: 429s=N makespan_ratio=X.XX naive_429s=M
//! naive_makespan_ratio=Y.YY`. Run with `cargo xtask bench governor`.
//!
//! The hour is scaled to a few real seconds on both sides (the emulator's time scale, the
//! governor's windows). Theoretical minimum makespan: the first hour's budget may start at once,
//! and each further hour's worth must wait for the window to roll, so with total cost C and a
//! budget B per hour the last request cannot start before (C / B - 1) hours.

use std::time::{Duration, Instant};

use amp_dashboard::{DateRange, GetUsers};
use amp_emulator::{Config, Emulator};
use amp_transport::amp_model::Limits;
use amp_transport::amp_model::limits::Limit;
use amp_transport::{Client, Endpoint, Error, Governor, NoRetry};
use futures_util::StreamExt as _;

const HOUR: Duration = Duration::from_secs(4);
const BUDGET: u64 = 900;
const QUERIES: usize = 675;
const IN_FLIGHT: usize = 5;

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

fn client(emulator: &Emulator) -> amp_transport::ClientBuilder {
    Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(emulator.base_url())
        .retry_policy(NoRetry)
}

fn workload() -> Vec<GetUsers> {
    let range = DateRange::parse("20240325", "20240328").unwrap();
    (0..QUERIES).map(|_| GetUsers::new(range)).collect()
}

/// Through the governor, no retries: every 429 would be a failed result.
async fn governed() -> (u64, Duration) {
    let emulator = emulator().await;
    let mut limits = Limits::default();
    limits.cost_per_hour = Limit::custom(BUDGET, Some(HOUR));
    let client = client(&emulator)
        .governor(Governor::new(limits))
        .build()
        .unwrap();
    let started = Instant::now();
    let results: Vec<_> = client
        .send_all(workload(), IN_FLIGHT, |_| {})
        .collect()
        .await;
    let refused = results
        .iter()
        .filter(|(_, result)| matches!(result, Err(Error::RateLimited { .. })))
        .count();
    (refused as u64, started.elapsed())
}

/// As fast as possible, each 429 retried after a pause of a twentieth of the hour.
async fn naive() -> (u64, Duration) {
    let emulator = emulator().await;
    let client = client(&emulator).without_governor().build().unwrap();
    let started = Instant::now();
    let refused: Vec<u64> = futures_util::stream::iter(workload())
        .map(|query| {
            let client = &client;
            async move {
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
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    (refused.iter().sum(), started.elapsed())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cost: u64 = workload().iter().map(|query| query.cost().total()).sum();
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let minimum = HOUR.mul_f64((cost as f64 / BUDGET as f64 - 1.0).max(0.0));
    println!(
        "workload: {QUERIES} queries, {cost} cost; budget {BUDGET} per emulated hour of {HOUR:?}"
    );
    println!(
        "theoretical minimum makespan = (C / B - 1) x hour = ({cost} / {BUDGET} - 1) x {HOUR:?} = {minimum:?}"
    );
    let (governed_429s, governed_time) = runtime.block_on(governed());
    println!("governor: {governed_429s} 429s, makespan {governed_time:?}");
    let (naive_429s, naive_time) = runtime.block_on(naive());
    println!("naive: {naive_429s} 429s, makespan {naive_time:?}");
    let ratio = |time: Duration| time.as_secs_f64() / minimum.as_secs_f64();
    println!(
        "governor: 429s={governed_429s} makespan_ratio={:.2} naive_429s={naive_429s} naive_makespan_ratio={:.2}",
        ratio(governed_time),
        ratio(naive_time)
    );
}
