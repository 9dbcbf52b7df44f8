//! One rate budget for every process of a fleet, kept in Redis: run this program in several
//! terminals at once and together they stay inside the project's limits. Needs a Redis
//! (`REDIS_URL`, default `redis://127.0.0.1:6379/`). Against the emulator: set
//! `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example shared_budget`.

use amp_governor_redis::RedisBudget;
use amplitude_api::dashboard::{DateRange, GetUsers};
use amplitude_api::model::Limits;
use amplitude_api::transport::{ClientBuilder, Governor, RateClass};
use chrono::Days;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let budget = RedisBudget::open(&url, "my-project")?;
    let client = ClientBuilder::from_env()?
        .governor(Governor::with_shared_budget(Limits::default(), budget))
        .build()?;
    let today = chrono::Utc::now().date_naive();
    let queries: Vec<GetUsers> = (0..20)
        .map(|back| {
            let day = today - Days::new(back);
            DateRange::new(day, day).map(GetUsers::new)
        })
        .collect::<Result<_, _>>()?;
    let answers = client.send_all(queries, 5, |progress| {
        eprint!("\r{}/{} done", progress.done, progress.total);
    });
    futures_util::pin_mut!(answers);
    let mut active = 0.0;
    while let Some((_, answer)) = futures_util::StreamExt::next(&mut answers).await {
        active += answer?
            .data
            .series
            .first()
            .and_then(|days| days.first())
            .copied()
            .flatten()
            .unwrap_or(0.0);
    }
    let governor = client.governor().expect("the client has a governor");
    eprintln!();
    println!(
        "sum of daily active users over 20 days: {active}; sharing through Redis: {}; cost left this hour: {}",
        governor.is_sharing(),
        governor.status(RateClass::Cost).hour_remaining
    );
    Ok(())
}
