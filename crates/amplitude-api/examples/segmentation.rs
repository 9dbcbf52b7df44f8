//! Daily plays of one event by platform, with a filter and a segment, and its cost before it is
//! sent. Against the emulator: set `AMPLITUDE_BASE_URL` and the emulator's keys, then
//! `cargo run -p amplitude-api --example segmentation`.

use amplitude_api::dashboard::{
    Condition, DateRange, Event, Filter, FilterOperator, GetEventSegmentation, Segment,
};
use amplitude_api::transport::{Client, Endpoint};
use chrono::Days;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let today = chrono::Utc::now().date_naive();
    let week = DateRange::new(today - Days::new(6), today)?;
    let plays = Event::new("Play Song or Video").filter(Filter::event(
        "genre",
        FilterOperator::IsNot,
        ["podcast"],
    ));
    let americans = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["United States"],
    )]);
    let query = GetEventSegmentation::new(plays, week)
        .segment(americans)
        .group_by("platform");
    println!("cost: {}", query.cost());
    let answer = client.send(&query).await?;
    for row in answer.data.rows() {
        // A missing value (`null` on the wire) prints blank, never as 0.
        let value = row.value.map(|value| value.to_string()).unwrap_or_default();
        println!("{:<8} {} {value:>6}", row.label, row.x);
    }
    Ok(())
}
