//! The rate governor against the emulator's limits: a mixed workload (users, segmentation,
//! funnels, retention) worth three hours of cost budget, sent once through the governor and once
//! naively (as fast as five connections go, retrying each 429 after a pause), in one run. Both
//! use the same send loop; only the governor differs. Prints, last, `governor: 429s=N
//! makespan_ratio=X.XX naive_429s=M naive_makespan_ratio=Y.YY`. Run with
//! `cargo xtask bench governor`.
//!
//! The hour is scaled to a few real seconds on both sides (the emulator's time scale, the
//! governor's windows). Theoretical minimum makespan: the first hour's budget may start at once,
//! and each further hour's worth must wait for the window to roll, so with total cost C and a
//! budget B per hour the last request cannot start before (C / B - 1) hours.

use std::time::{Duration, Instant};

use amp_dashboard::{DateRange, Event, GetEventSegmentation, GetFunnel, GetRetention, GetUsers};
use amp_emulator::{Config, Emulator};
use amp_transport::amp_model::Limits;
use amp_transport::amp_model::limits::Limit;
use amp_transport::{Client, Endpoint, Error, Governor, NoRetry};
use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt as _, StreamExt as _};

const HOUR: Duration = Duration::from_secs(4);
const BUDGET: u64 = 900;
const IN_FLIGHT: usize = 5;
const ROUNDS: usize = 61;

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

/// Sends the workload `IN_FLIGHT` at a time.
async fn run(client: &Client) -> Outcome {
    let (costs, sends): (Vec<u64>, Vec<_>) = workload(client).into_iter().unzip();
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
    let mut limits = Limits::default();
    limits.cost_per_hour = Limit::custom(BUDGET, Some(HOUR));
    let client = client(&emulator)
        .governor(Governor::new(limits))
        .build()
        .unwrap();
    run(&client).await
}

async fn naive() -> Outcome {
    let emulator = emulator().await;
    run(&client(&emulator).without_governor().build().unwrap()).await
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let governed = runtime.block_on(governed());
    let naive = runtime.block_on(naive());
    let Outcome { queries, cost, .. } = governed;
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let minimum = HOUR.mul_f64((cost as f64 / BUDGET as f64 - 1.0).max(0.0));
    println!(
        "workload: {queries} queries, {cost} cost; budget {BUDGET} per emulated hour of {HOUR:?}"
    );
    println!(
        "theoretical minimum makespan = (C / B - 1) x hour = ({cost} / {BUDGET} - 1) x {HOUR:?} = {minimum:?}"
    );
    for (name, outcome) in [("governor", &governed), ("naive", &naive)] {
        println!(
            "{name}: {} 429s, makespan {:?}",
            outcome.refused, outcome.makespan
        );
    }
    let ratio = |outcome: &Outcome| outcome.makespan.as_secs_f64() / minimum.as_secs_f64();
    println!(
        "governor: 429s={} makespan_ratio={:.2} naive_429s={} naive_makespan_ratio={:.2}",
        governed.refused,
        ratio(&governed),
        naive.refused,
        ratio(&naive)
    );
}
