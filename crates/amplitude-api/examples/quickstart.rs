//! The SDK end to end with no Amplitude account: starts the emulator in this process with a
//! demo music app, then asks it what a product team would ask Amplitude, through the real
//! client and HTTP transport.
//!
//! Run it with `cargo run -p amplitude-api --example quickstart`.

use amp_emulator::{Config, DemoOptions, Emulator};
use amplitude_api::dashboard::{
    Condition, DateRange, Event, Filter, FilterOperator, GetAverageSessionLength,
    GetEventSegmentation, GetFunnel, GetUserActivity, GetUserComposition, GetUsers, SearchUsers,
    Segment,
};
use amplitude_api::profile::{GetUserProfile, UserProfileQuery};
use amplitude_api::transport::{Client, Endpoint};
use chrono::Days;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let today = chrono::Utc::now().date_naive();
    let emulator = Emulator::builder()
        .config(Config::from_toml(amp_emulator::demo::PROJECT)?)
        .demo(DemoOptions::new(2_000, 30, today))
        .start()
        .await?;
    println!(
        "emulator: {} demo events at {}",
        emulator.loaded_events(),
        emulator.base_url()
    );
    let client = Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(emulator.base_url())
        .profile_base_url(emulator.base_url())
        .build()?;
    let week = DateRange::new(today - Days::new(6), today)?;
    numbers(&client, week).await?;
    one_user(&client).await?;
    costs(&client, week).await;
    emulator.stop().await?;
    Ok(())
}

/// Counts a dashboard shows.
async fn numbers(client: &Client, week: DateRange) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n== daily active users of the last 7 days, by platform (GET /api/2/users)");
    let users = client
        .send(&GetUsers::new(week).group_by("platform"))
        .await?;
    for (index, label) in (0..users.data.series.len()).map(|index| (index, users.data.label(index)))
    {
        let counts: Vec<String> = users.data.series[index]
            .iter()
            .map(|value| value.map_or_else(|| format!("{:>4}", ""), |value| format!("{value:>4}")))
            .collect();
        println!("   {label:<8} {}", counts.join(" "));
    }

    println!("\n== users by country, active in the last 7 days (GET /api/2/composition)");
    let countries = client
        .send(&GetUserComposition::new(week, "country"))
        .await?;
    for row in countries.data.rows().take(5) {
        println!("   {:<16} {:>5}", row.x, row.value.unwrap_or_default());
    }

    let lengths = client.send(&GetAverageSessionLength::new(week)).await?;
    let days: Vec<f64> = lengths.data.series[0].iter().flatten().copied().collect();
    let average = days.iter().sum::<f64>() / f64::from(u32::try_from(days.len().max(1))?);
    println!("\n== average session length this week: {average:.0} s (GET /api/2/sessions/average)");
    Ok(())
}

/// One user: found by search, their events, and what to show them.
async fn one_user(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n== one user, found by search, and their latest events");
    let found = client.send(&SearchUsers::new("user-00042")).await?;
    if let Some(user) = found.matches.first() {
        let activity = client.send(&GetUserActivity::from(user).limit(5)).await?;
        println!(
            "   {} (Amplitude ID {}): {} events in all",
            user.user_id.as_deref().unwrap_or("?"),
            user.amplitude_id,
            activity.user_data.num_events.unwrap_or(0)
        );
        for event in &activity.events {
            println!(
                "   {}  {}",
                event
                    .event_time
                    .map(|time| time.to_rfc3339())
                    .unwrap_or_default(),
                event.event_type
            );
        }
    }

    println!("\n== personalisation for that user (GET /v1/userprofile)");
    let query = UserProfileQuery::for_user("user-00042")
        .recommendations(["home-feed"])
        .cohort_ids()
        .computations(["plays"]);
    let profile = client.send(&GetUserProfile::new(query)).await?.user_data;
    if let Some(feed) = profile.recommendation("home-feed") {
        println!(
            "   home feed ({}): {}",
            if feed.is_control {
                "control group"
            } else {
                "modelled"
            },
            feed.items.join(", ")
        );
    }
    let plays = profile
        .property("songs-played")
        .and_then(|value| value.as_str())
        .unwrap_or("0");
    println!(
        "   premium listener: {}; songs played: {plays}",
        profile.in_cohort("premium")
    );
    Ok(())
}

/// What queries cost, and one refused, before anything is sent.
async fn costs(client: &Client, week: DateRange) {
    println!("\n== what queries cost against the project's limits, before anything is sent");
    let jazz = Event::new("Play Song or Video").filter(Filter::event(
        "genre",
        FilterOperator::Is,
        ["jazz"],
    ));
    let france = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["France"],
    )]);
    let segmentation = GetEventSegmentation::new(jazz, week)
        .segment(france.clone())
        .group_by("platform");
    let steps = vec![
        Event::new("Search Song or Video"),
        Event::new("Select Song or Video"),
        Event::new("Play Song or Video"),
    ];
    for (name, request) in [
        ("segmentation", segmentation.to_request()),
        (
            "funnel",
            GetFunnel::new(steps, week).segment(france).to_request(),
        ),
    ] {
        println!("   {name}: {}", request.cost);
    }
    let refused = client
        .send(&GetEventSegmentation::new(Event::new("Play Song or Video"), week).limit(5_000))
        .await;
    println!(
        "   and one refused before sending: {}",
        refused
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    );
}
