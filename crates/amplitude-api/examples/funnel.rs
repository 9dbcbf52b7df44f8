//! How many users go from search to play within a day, step by step. Against the emulator: set
//! `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example funnel`.

use amplitude_api::dashboard::{DateRange, Event, FunnelMode, GetFunnel};
use amplitude_api::transport::Client;
use chrono::Days;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let today = chrono::Utc::now().date_naive();
    let steps = [
        "Search Song or Video",
        "Select Song or Video",
        "Play Song or Video",
    ]
    .map(Event::new)
    .to_vec();
    let query = GetFunnel::new(steps, DateRange::new(today - Days::new(29), today)?)
        .mode(FunnelMode::Ordered)
        .conversion_window_secs(86_400);
    for step in client.send(&query).await?.steps() {
        println!(
            "{:<22} {:>6} users  {:>5.1}% of the first step",
            step.event,
            step.users.unwrap_or(0.0),
            100.0 * step.cumulative.unwrap_or(0.0)
        );
    }
    Ok(())
}
