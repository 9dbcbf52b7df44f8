//! Yesterday's raw events, hour by hour, counted by event type, resumable from a checkpoint.
//! Against the emulator: set `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example export`.

use std::collections::BTreeMap;

use amplitude_api::export::{ExportRange, Exported, Hour, HourRange};
use amplitude_api::transport::Client;
use chrono::Days;
use futures_util::StreamExt as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let yesterday = chrono::Utc::now().date_naive() - Days::new(1);
    let range = HourRange::new(
        Hour::new(yesterday, 0).ok_or("hour 0")?,
        Hour::new(yesterday, 23).ok_or("hour 23")?,
    )?;
    // Windows of six hours; a window Amplitude finds too large is halved.
    let mut stream = std::pin::pin!(ExportRange::new(range).window_hours(6).events(&client));
    let mut by_type = BTreeMap::<String, u64>::new();
    while let Some(item) = stream.next().await {
        match item? {
            Exported::Events(events) => {
                for event in events {
                    *by_type
                        .entry(event.event_type.unwrap_or_default())
                        .or_default() += 1;
                }
            }
            // Keep the checkpoint (it is serde) to resume with `ExportRange::resume`.
            Exported::Window(done) => {
                eprintln!("{} events through {}", done.events, done.checkpoint.through);
            }
            _ => {}
        }
    }
    for (event_type, count) in by_type {
        println!("{count:>8} {event_type}");
    }
    Ok(())
}
