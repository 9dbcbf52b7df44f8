//! An endpoint the SDK does not define, with the client's auth, governor, retries and errors:
//! implement `Endpoint` and send it. Here, the events list decoded into only the fields this
//! program needs. Against the emulator: set `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example own_endpoint`.

use std::borrow::Cow;

use amplitude_api::model::catalogue::ApiFamily;
use amplitude_api::transport::{Client, Endpoint};
use serde::Deserialize;

/// `GET /api/2/events/list`, reading names and weekly totals only.
struct EventTotals;

#[derive(Debug, Deserialize)]
struct Totals {
    data: Vec<EventTotal>,
}

#[derive(Debug, Deserialize)]
struct EventTotal {
    value: String,
    #[serde(default)]
    totals: f64,
}

impl Endpoint for EventTotals {
    type Response = Totals;

    fn name(&self) -> Cow<'static, str> {
        "EventTotals".into()
    }

    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }

    fn path(&self) -> Cow<'_, str> {
        "/api/2/events/list".into()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let mut events = client.send(&EventTotals).await?.data;
    events.sort_by(|a, b| b.totals.total_cmp(&a.totals));
    for event in events {
        println!("{:>8}  {}", event.totals, event.value);
    }
    Ok(())
}
