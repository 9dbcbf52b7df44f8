//! A tour of the SDK that needs no Amplitude account: build queries, check them, see their
//! wire parameters and cost, and decode Amplitude's documented responses into typed values.
//!
//! Run it with `cargo run -p amplitude-api --example quickstart`.

use amplitude_api::dashboard::{
    Condition, DateRange, Event, Filter, FunnelQuery, FunnelResponse, GroupBy, Segment,
    SegmentationQuery, UsersResponse,
};
use amplitude_api::model::{FilterOperator, Limits, Query};
use amplitude_api::profile::{UserProfileQuery, UserProfileResponse};

/// Documented responses, as they are checked in under `fixtures/`.
const USERS: &str = include_str!("../../../fixtures/dashboard/users.documented.json");
const FUNNEL: &str = include_str!("../../../fixtures/dashboard/funnel.documented.json");
const PROFILE: &str = include_str!("../../../fixtures/profile/recommendations-two.documented.json");

fn show(title: &str, query: &impl Query) {
    println!("\n== {title}: GET {}", query.path());
    match query.validate() {
        Ok(()) => println!("   valid"),
        Err(error) => println!("   refused before sending: {error}"),
    }
    for (name, value) in query.query_pairs() {
        println!("   {name} = {value}");
    }
    println!("   cost: {}", query.cost());
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let march = DateRange::parse("20240301", "20240330")?;

    let mut segmentation = SegmentationQuery::new(
        Event::new("Play Song").filter(Filter::event("genre", FilterOperator::Is, ["jazz"])),
        march,
    );
    segmentation.segment = Some(Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["France"],
    )]));
    segmentation.group_by = vec!["platform".into()];
    show(
        "event segmentation, 30 days, one segment condition, one group-by",
        &segmentation,
    );

    let mut funnel = FunnelQuery::new(
        vec![
            Event::new("Search Song or Video"),
            Event::new("Select Song or Video"),
            Event::new("Play Song or Video"),
        ],
        march,
    );
    funnel.segment.clone_from(&segmentation.segment);
    show("funnel of three steps", &funnel);

    let mut too_wide = SegmentationQuery::new(
        Event::new("Play Song").group_by(GroupBy::user("plan")),
        march,
    );
    too_wide.limit = Some(5_000);
    show("a query Amplitude would reject", &too_wide);

    show(
        "user profile",
        &UserProfileQuery::for_user("testUser")
            .recommendations(["testRecId"])
            .user_properties(),
    );

    let limits = Limits::default();
    println!(
        "\n== limits: {} cost per hour, at most {} per query ({})",
        limits.cost_per_hour.value,
        limits.max_query_cost(),
        limits.cost_per_hour.source
    );

    println!("\n== decoding Amplitude's documented /api/2/users response, as tidy rows");
    let users: UsersResponse = serde_json::from_str(USERS)?;
    for row in users.data.rows() {
        println!("   {:<14} {}  {:>8}", row.label, row.x, row.value);
    }

    println!("\n== decoding the documented funnel, step by step");
    let funnels: FunnelResponse = serde_json::from_str(FUNNEL)?;
    for step in funnels.steps() {
        println!(
            "   {:<22} {:>8} users  {:>6.1}% of entrants",
            step.event,
            step.users.unwrap_or(0.0),
            step.cumulative.unwrap_or(0.0) * 100.0
        );
    }

    println!("\n== decoding a documented profile");
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
