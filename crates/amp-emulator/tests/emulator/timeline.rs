//! User properties as they were at each event, in both hand-computed datasets.
//!
//! `events.jsonl` gains dave, a month before the others (February 2024, Monday the 5th to
//! Wednesday the 7th):
//!     Mon 09:00 Open App, 09:05 Play Song(jazz)   Germany, plan free (carried by the events)
//!     Tue 12:00 $identify plan = premium
//!     Wed 10:00 Open App, 10:02 Play Song(rock)   Japan, no plan carried: premium
//!
//! `week.jsonl` gains two movers (Monday
//! 2024-04-08 and Tuesday 2024-04-09, after the week the other tests read):
//!   u7 (iOS), each event carrying its `plan` as an Export line does:
//!     Mon 10:00 Open, 10:01 Search, 10:02 Play(jazz)  Germany, free
//!     Tue 09:00 Open                                  Germany, free
//!     Tue 12:00 Open, 12:01 Play(rock)                Japan, premium (moved, upgraded)
//!   u8 (France, Android), events carrying no plan; `$identify` calls set it:
//!     Mon 08:00 $identify plan = free
//!     Mon 11:00 Open, 11:01 Search, 11:02 Play(pop)   free
//!     Mon 20:00 $identify plan = premium (last line of the file, after Tuesday's events)
//!     Tue 11:00 Open, 11:01 Search, 11:02 Play(pop), 11:03 Buy(10)  premium
//! Read with their latest values, u7 would be Japanese and both premium on both days.

#![allow(clippy::float_cmp)]

use amp_dashboard::*;
use amp_profile::{GetUserProfile, UserProfileQuery};

use super::{client, config, country_is, counts, days, filled, segmentation, start, week};

fn movers() -> DateRange {
    days("20240408", "20240409")
}

fn premium() -> Segment {
    Segment::new(vec![Condition::property(
        "gp:plan",
        FilterOperator::Is,
        ["premium"],
    )])
}

#[tokio::test]
async fn dave_counts_where_and_as_what_he_was_each_day() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let february = || days("20240205", "20240207");
    let (labels, series, _) = segmentation(
        &client,
        GetEventSegmentation::new(Event::new("_active"), february()).group_by("country"),
    )
    .await;
    assert_eq!(labels, ["Germany", "Japan"]);
    assert_eq!(series, [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
    let (_, series, _) = segmentation(
        &client,
        GetEventSegmentation::new(Event::new("_active"), february()).segment(premium()),
    )
    .await;
    assert_eq!(series, [[0.0, 0.0, 1.0]], "premium from the identify on");
    // He entered on Monday, in Germany; both attempts convert, the earliest counts.
    let funnel = client
        .send(
            &GetFunnel::new(
                vec![Event::new("Open App"), Event::new("Play Song")],
                february(),
            )
            .group_by("country"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(funnel.len(), 1);
    assert_eq!(
        funnel[0].group_value,
        Some(SeriesLabel::Name("Germany".into()))
    );
    assert_eq!(funnel[0].median_trans_times, [0.0, 300_000.0]);
    let dave = client.send(&SearchUsers::new("dave")).await.unwrap();
    let activity = client
        .send(
            &GetUserActivity::new(dave.matches[0].amplitude_id)
                .direction(ActivityDirection::Earliest),
        )
        .await
        .unwrap();
    let (free, premium) = (serde_json::json!("free"), serde_json::json!("premium"));
    let shown: Vec<(Option<&str>, Option<&serde_json::Value>)> = activity
        .events
        .iter()
        .map(|event| (event.country.as_deref(), event.user_properties.get("plan")))
        .collect();
    assert_eq!(
        shown,
        [
            (Some("Germany"), Some(&free)),
            (Some("Germany"), Some(&free)),
            (Some("Japan"), Some(&premium)),
            (Some("Japan"), Some(&premium)),
        ]
    );
    assert_eq!(
        (
            activity.user_data.country.as_deref(),
            activity.user_data.properties.get("plan")
        ),
        (Some("Japan"), Some(&premium))
    );
}

#[tokio::test]
async fn segmentation_reads_each_event_with_the_properties_then() {
    let (_emulator, client) = week().await;
    // u7 counts under Germany on Monday, under Germany and Japan on Tuesday (once in each).
    let by_country = GetEventSegmentation::new(Event::new("_active"), movers()).group_by("country");
    let (labels, series, totals) = segmentation(&client, by_country).await;
    assert_eq!(labels, ["France", "Germany", "Japan"]);
    assert_eq!(series, [[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]]);
    assert_eq!(totals, [1.0, 1.0, 1.0]);
    // Premium from Tuesday noon (u7's own payload) and from Monday 20:00 (u8's identify).
    let (_, series, totals) = segmentation(
        &client,
        GetEventSegmentation::new(Event::new("_active"), movers()).segment(premium()),
    )
    .await;
    assert_eq!((series, totals), (vec![vec![0.0, 2.0]], vec![2.0]));
    let plays_by_plan = GetEventSegmentation::new(
        Event::new("Play").group_by(GroupBy::user("gp:plan")),
        movers(),
    )
    .metric(SegmentationMetric::Totals);
    let (labels, series, _) = segmentation(&client, plays_by_plan).await;
    assert_eq!(labels, ["free", "premium"]);
    assert_eq!(series, [[2.0, 0.0], [0.0, 2.0]]);
    // A user-property filter on the event reads the event's time too.
    let in_japan =
        Event::new("Play").filter(Filter::user("country", FilterOperator::Is, ["Japan"]));
    let (_, series, _) = segmentation(
        &client,
        GetEventSegmentation::new(in_japan, movers()).metric(SegmentationMetric::Totals),
    )
    .await;
    assert_eq!(series, [[0.0, 1.0]]);
}

#[tokio::test]
async fn funnels_apply_user_properties_at_the_first_step() {
    let (_emulator, client) = week().await;
    let open_play = || GetFunnel::new(vec![Event::new("Open"), Event::new("Play")], movers());
    // Both convert from Monday's Open: u7 in Germany (not Japan, where they live now).
    let grouped = client
        .send(&open_play().group_by("country"))
        .await
        .unwrap()
        .data;
    let groups: Vec<(String, Vec<f64>)> = grouped
        .iter()
        .map(|funnel| {
            let group = match &funnel.group_value {
                Some(SeriesLabel::Name(name)) => name.clone(),
                other => panic!("a group name, not {other:?}"),
            };
            (group, funnel.cumulative_raw.clone())
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("France".to_owned(), vec![1.0, 1.0]),
            ("Germany".to_owned(), vec![1.0, 1.0])
        ]
    );
    // In Japan only Tuesday's 12:00 Open can enter: a minute to the Play, not Monday's two.
    let japanese = &client
        .send(&open_play().segment(country_is("Japan")))
        .await
        .unwrap()
        .data[0];
    assert_eq!(japanese.cumulative_raw, [1.0, 1.0]);
    assert_eq!(japanese.median_trans_times, [0.0, 60_000.0]);
    // Premium: u7 enters at 12:00 (1 minute), u8 at Tuesday 11:00 (2 minutes).
    let upgraded = &client
        .send(&open_play().segment(premium()))
        .await
        .unwrap()
        .data[0];
    assert_eq!(upgraded.cumulative_raw, [2.0, 2.0]);
    assert_eq!(
        (
            upgraded.median_trans_times.clone(),
            upgraded.avg_trans_times.clone()
        ),
        (vec![0.0, 60_000.0], vec![0.0, 90_000.0])
    );
}

#[tokio::test]
async fn retention_and_ltv_read_the_starting_and_first_events() {
    let (_emulator, client) = week().await;
    let retention = GetRetention::new(Event::new("Open"), Event::new("Play"), movers());
    // Only Tuesday's 12:00 Open starts in Japan; its Play follows a minute later.
    let japanese = client
        .send(&retention.clone().segment(country_is("Japan")))
        .await
        .unwrap()
        .data;
    assert_eq!(counts(&japanese.series[0].values["Apr 8"]), [0, 0, 0]);
    assert_eq!(counts(&japanese.series[0].values["Apr 9"]), [1, 1, 0]);
    let upgraded = client
        .send(&retention.clone().segment(premium()))
        .await
        .unwrap()
        .data;
    assert_eq!(counts(&upgraded.series[0].values["Apr 8"]), [0, 0, 0]);
    assert_eq!(counts(&upgraded.series[0].values["Apr 9"]), [2, 2, 0]);
    // Grouped, u7's Tuesday cohort starts at 09:00, still in Germany.
    let grouped = client
        .send(&retention.group_by("country"))
        .await
        .unwrap()
        .data;
    assert_eq!(
        grouped.series_labels,
        [
            SeriesLabel::Name("France".into()),
            SeriesLabel::Name("Germany".into())
        ]
    );
    assert_eq!(counts(&grouped.series[1].values["Apr 8"]), [1, 1, 1]);
    assert_eq!(counts(&grouped.series[1].values["Apr 9"]), [1, 1, 0]);

    // LTV reads the first event: both were free then, u7 in Germany.
    let client = &client;
    let ltv = |query: GetRevenueLtv| async move { client.send(&query).await.unwrap().data };
    let free = ltv(
        GetRevenueLtv::new(movers()).segment(Segment::new(vec![Condition::property(
            "gp:plan",
            FilterOperator::Is,
            ["free"],
        )])),
    )
    .await;
    let monday = &free.series[0].values["2024-04-08"];
    assert_eq!(
        (monday.count, monday.paid, monday.total_amount),
        (Some(2.0), Some(1.0), Some(10.0))
    );
    let none_premium = ltv(GetRevenueLtv::new(movers()).segment(premium())).await;
    assert!(
        none_premium.series[0].values.is_empty(),
        "no one was premium at their first event"
    );
    let by_country = ltv(GetRevenueLtv::new(movers()).group_by("country")).await;
    assert_eq!(
        by_country.series_labels,
        [
            SeriesLabel::Name("France".into()),
            SeriesLabel::Name("Germany".into())
        ]
    );
}

#[tokio::test]
async fn active_and_new_users_count_under_each_value_they_had() {
    let (_emulator, client) = week().await;
    let active = client
        .send(&GetUsers::new(movers()).group_by("country"))
        .await
        .unwrap()
        .data;
    let labels: Vec<String> = (0..active.series.len())
        .map(|index| active.label(index).into_owned())
        .collect();
    assert_eq!(labels, ["France", "Germany", "Japan"]);
    assert_eq!(filled(&active), [[1.0, 1.0], [1.0, 1.0], [0.0, 1.0]]);
    let new = client
        .send(
            &GetUsers::new(movers())
                .metric(UsersMetric::New)
                .group_by("gp:plan"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(new.label(0), "free");
    assert_eq!(filled(&new), [[2.0, 0.0]]);
    let upgraded = client
        .send(&GetUsers::new(movers()).segment(premium()))
        .await
        .unwrap()
        .data;
    assert_eq!(filled(&upgraded), [[0.0, 2.0]]);
}

#[tokio::test]
async fn composition_profiles_search_and_activity_show_the_latest() {
    let (_emulator, client) = week().await;
    let composition = client
        .send(&GetUserComposition::new(movers(), "country"))
        .await
        .unwrap()
        .data;
    assert_eq!(composition.x_values, ["France", "Japan"]);
    let profile = client
        .send(&GetUserProfile::new(
            UserProfileQuery::for_user("u8").user_properties(),
        ))
        .await
        .unwrap()
        .user_data;
    assert_eq!(
        profile.property("plan"),
        Some(&serde_json::json!("premium"))
    );
    let found = client.send(&SearchUsers::new("u7")).await.unwrap();
    let u7 = &found.matches[0];
    assert_eq!(u7.country.as_deref(), Some("Japan"));
    let activity = client
        .send(&GetUserActivity::new(u7.amplitude_id).direction(ActivityDirection::Earliest))
        .await
        .unwrap();
    assert_eq!(activity.user_data.country.as_deref(), Some("Japan"));
    assert_eq!(
        activity.user_data.properties.get("plan"),
        Some(&serde_json::json!("premium"))
    );
    // Each event shows what was in force when it happened.
    let shown: Vec<(Option<&str>, Option<&serde_json::Value>)> = activity
        .events
        .iter()
        .map(|event| (event.country.as_deref(), event.user_properties.get("plan")))
        .collect();
    let (free, premium) = (serde_json::json!("free"), serde_json::json!("premium"));
    assert_eq!(
        shown,
        [
            (Some("Germany"), Some(&free)),
            (Some("Germany"), Some(&free)),
            (Some("Germany"), Some(&free)),
            (Some("Germany"), Some(&free)),
            (Some("Japan"), Some(&premium)),
            (Some("Japan"), Some(&premium)),
        ]
    );
}
