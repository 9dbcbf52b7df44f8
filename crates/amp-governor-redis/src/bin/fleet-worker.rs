//! One process of a fleet for the fault tests (`tests/redis.rs`; built with the `test-util`
//! feature only): takes `AMP_WORKER_HOLD`
//! permits of the cost class from the budget at `AMP_WORKER_REDIS` (namespace `project`, leases
//! of `AMP_WORKER_TTL_MS`), prints `held`, then holds them until it is killed.

use std::time::Duration;

use amp_governor_redis::RedisBudget;
use amp_transport::amp_model::Limits;
use amp_transport::{Governor, RateClass};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(work());
}

async fn work() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let ttl = Duration::from_millis(var("AMP_WORKER_TTL_MS").parse().unwrap());
    let budget = RedisBudget::open(&var("AMP_WORKER_REDIS"), "project")
        .unwrap()
        .lease_ttl(ttl);
    let governor = Governor::with_shared_budget(Limits::default(), budget);
    let mut permits = Vec::new();
    for _ in 0..var("AMP_WORKER_HOLD").parse::<usize>().unwrap() {
        permits.push(governor.acquire(RateClass::Cost, 1).await.unwrap());
    }
    println!("held");
    std::future::pending::<()>().await;
}
