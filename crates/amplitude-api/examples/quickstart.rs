//! A tour of the SDK that needs no Amplitude account: build endpoints, check them, see exactly
//! what they put on the wire and what they cost, and decode Amplitude's documented responses.
//!
//! Run it with `cargo run -p amplitude-api --example quickstart`.

use amplitude_api::dashboard::{
    Condition, DateRange, Event, Filter, FilterOperator, FunnelResponse, GetEventSegmentation,
    GetFunnel, GroupBy, Segment, UsersResponse,
};
use amplitude_api::model::Limits;
use amplitude_api::profile::{GetUserProfile, UserProfileQuery, UserProfileResponse};
use amplitude_api::transport::Endpoint;

/// Documented responses, as they are checked in under `fixtures/`.
const USERS: &str = include_str!("../../../fixtures/dashboard/users.documented.json");
const FUNNEL: &str = include_str!("../../../fixtures/dashboard/funnel.documented.json");
const PROFILE: &str = include_str!("../../../fixtures/profile/recommendations-two.documented.json");

fn show(title: &str, endpoint: &impl Endpoint) {
    let request = endpoint.to_request();
    println!(
        "\n== {title}\n   {} {}",
        request.method,
        request.path_and_query()
    );
    match endpoint.validate() {
        Ok(()) => println!("   valid; cost {}", request.cost),
        Err(error) => println!("   refused before sending: {error}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let march = DateRange::parse("20240301", "20240330")?;
    let france = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["France"],
    )]);

    let jazz = Event::new("Play Song").filter(Filter::event("genre", FilterOperator::Is, ["jazz"]));
    let segmentation = GetEventSegmentation::new(jazz, march)
        .segment(france.clone())
        .group_by("platform");
    show(
        "event segmentation: 30 days, one segment condition, one group-by",
        &segmentation,
    );

    let steps = vec![
        Event::new("Search Song or Video"),
        Event::new("Select Song or Video"),
        Event::new("Play Song or Video"),
    ];
    show(
        "a funnel of three steps",
        &GetFunnel::new(steps, march).segment(france),
    );

    let too_wide = GetEventSegmentation::new(
        Event::new("Play Song").group_by(GroupBy::user("plan")),
        march,
    )
    .limit(5_000);
    show("a query Amplitude would reject", &too_wide);

    let profile = GetUserProfile::new(
        UserProfileQuery::for_user("testUser")
            .recommendations(["testRecId"])
            .cohort_ids(),
    );
    show("a user profile", &profile);

    let limits = Limits::default();
    println!(
        "\n== limits: {} cost per hour, at most {} per query ({})",
        limits.cost_per_hour.value,
        limits.max_query_cost(),
        limits.cost_per_hour.source
    );

    println!("\n== Amplitude's documented /api/2/users response, as tidy rows");
    let users: UsersResponse = serde_json::from_str(USERS)?;
    for row in users.data.rows() {
        println!("   {:<14} {}  {:>8}", row.label, row.x, row.value);
    }

    println!("\n== the documented funnel, step by step");
    let funnels: FunnelResponse = serde_json::from_str(FUNNEL)?;
    for step in funnels.steps() {
        let users = step.users.unwrap_or(0.0);
        let share = step.cumulative.unwrap_or(0.0) * 100.0;
        println!(
            "   {:<22} {users:>8} users  {share:>6.1}% of entrants",
            step.event
        );
    }

    println!("\n== a documented profile");
    let profile: UserProfileResponse = serde_json::from_str(PROFILE)?;
    if let Some(rec) = profile.user_data.recommendation("testRecId2") {
        println!(
            "   {} ({}): {}",
            rec.rec_id,
            rec.recommendation_source.as_deref().unwrap_or("?"),
            rec.items.join(", ")
        );
    }
    Ok(())
}
