//! The model against the fixtures, the catalogue and hostile input.

use std::path::{Path, PathBuf};

use amp_model::catalogue::Location;
use amp_model::dashboard::*;
use amp_model::export::{ExportQuery, Hour, HourRange};
use amp_model::profile::{UserProfileQuery, UserProfileResponse};
use amp_model::wire::WireBody;
use amp_model::{ErrorBody, Query, Wire};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn decode<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_slice(&read(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Every JSON fixture with the type that decodes it.
/// Decodes a fixture's bytes into its typed model, re-serialised for comparison.
type Decoder = fn(&[u8]) -> Result<Value, serde_json::Error>;

const DECODERS: &[(&str, Decoder)] = &[
    (
        "profile/recommendation.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/recommendations-two.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/user-properties.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/cohort-ids.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/computation-single.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/computations-all.documented.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/propensity-single.reference.json",
        typed::<UserProfileResponse>,
    ),
    (
        "profile/propensity-multiple.reference.json",
        typed::<UserProfileResponse>,
    ),
    ("dashboard/users.documented.json", typed::<UsersResponse>),
    ("dashboard/users.observed.json", typed::<UsersResponse>),
    (
        "dashboard/session-length.documented.json",
        typed::<SessionLengthResponse>,
    ),
    (
        "dashboard/session-average.documented.json",
        typed::<SessionAverageResponse>,
    ),
    (
        "dashboard/sessions-per-user.documented.json",
        typed::<SessionsPerUserResponse>,
    ),
    (
        "dashboard/composition.documented.json",
        typed::<CompositionResponse>,
    ),
    (
        "dashboard/events-list.documented-fixed.json",
        typed::<EventsListResponse>,
    ),
    (
        "dashboard/segmentation.documented-fixed.json",
        typed::<SegmentationResponse>,
    ),
    (
        "dashboard/segmentation-grouped.observed-shape.json",
        typed::<SegmentationResponse>,
    ),
    (
        "dashboard/segmentation-two-segments.observed-shape.json",
        typed::<SegmentationResponse>,
    ),
    (
        "dashboard/segmentation-sampled-cut.observed-shape.json",
        typed::<SegmentationResponse>,
    ),
    (
        "dashboard/funnel-two-segments.observed-shape.json",
        typed::<FunnelResponse>,
    ),
    (
        "dashboard/realtime-null-tail.observed-shape.json",
        typed::<RealtimeResponse>,
    ),
    ("dashboard/funnel.documented.json", typed::<FunnelResponse>),
    (
        "dashboard/retention.documented-fixed.json",
        typed::<RetentionResponse>,
    ),
    (
        "dashboard/user-activity.documented-fixed.json",
        typed::<UserActivityResponse>,
    ),
    (
        "dashboard/user-activity-unknown-user.observed.json",
        typed::<UserActivityResponse>,
    ),
    (
        "dashboard/user-activity-events.observed-shape.json",
        typed::<UserActivityResponse>,
    ),
    (
        "dashboard/user-search.documented.json",
        typed::<UserSearchResponse>,
    ),
    (
        "dashboard/user-search-nomatch.documented.json",
        typed::<UserSearchResponse>,
    ),
    (
        "dashboard/user-search-full.reference.json",
        typed::<UserSearchResponse>,
    ),
    (
        "dashboard/realtime.documented-fixed.json",
        typed::<RealtimeResponse>,
    ),
    (
        "dashboard/revenue-ltv.documented-fixed.json",
        typed::<RevenueLtvResponse>,
    ),
    (
        "dashboard/chart-query.observed-shape.json",
        typed::<ChartResponse>,
    ),
    (
        "dashboard/chart-csv.observed-shape.json",
        typed::<ChartCsvResponse>,
    ),
];

const ERROR_BODIES: &[&str] = &[
    "errors/invalid-chart-definition.observed.json",
    "errors/rate-limited.observed.json",
    "errors/rate-limited-concurrent.reference.json",
    "errors/forbidden-unknown-api-key.reference.txt",
    "errors/forbidden-wrong-secret.reference.txt",
    "errors/profile-not-seen.documented.json",
    "errors/profile-throttled.documented.json",
    "errors/profile-invalid-api-key.documented.txt",
    "errors/profile-missing-api-key.documented.txt",
];

/// Decodes into `T` and re-serialises, so a snapshot shows what the typed model kept.
fn typed<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let model: T = serde_json::from_slice(bytes)?;
    serde_json::to_value(model)
}

fn snapshot_name(fixture: &str) -> String {
    fixture
        .trim_end_matches(".json")
        .trim_end_matches(".txt")
        .replace('/', "__")
}

#[test]
fn every_fixture_decodes_to_its_snapshot() {
    for (fixture, decoder) in DECODERS {
        let decoded = decoder(&read(fixture)).unwrap_or_else(|error| panic!("{fixture}: {error}"));
        insta::assert_json_snapshot!(snapshot_name(fixture), decoded);
    }
}

#[test]
fn every_error_body_gives_its_message() {
    for fixture in ERROR_BODIES {
        let body = ErrorBody::parse(&read(fixture)).unwrap_or_else(|| panic!("{fixture} is empty"));
        insta::assert_json_snapshot!(
            snapshot_name(fixture),
            json!({
                "summary": body.summary(),
                "body": body,
                "cost": body.rate_limited_cost(),
                "limit": body.exceeded_limit(),
                "credentials": body.credential_problem(),
            })
        );
    }
}

#[test]
fn every_fixture_file_is_tested() {
    let mut missing = Vec::new();
    for folder in ["profile", "dashboard", "errors"] {
        for entry in std::fs::read_dir(fixtures().join(folder)).unwrap() {
            let name = format!("{folder}/{}", entry.unwrap().file_name().to_string_lossy());
            let known = DECODERS.iter().any(|(fixture, _)| *fixture == name)
                || ERROR_BODIES.contains(&name.as_str());
            if !known {
                missing.push(name);
            }
        }
    }
    assert!(missing.is_empty(), "fixtures with no test: {missing:?}");
}

#[test]
fn tidy_rows_of_every_column_result() {
    let series_fixtures = [
        "dashboard/users.documented.json",
        "dashboard/users.observed.json",
        "dashboard/session-length.documented.json",
        "dashboard/session-average.documented.json",
        "dashboard/sessions-per-user.documented.json",
        "dashboard/composition.documented.json",
        "dashboard/segmentation.documented-fixed.json",
        "dashboard/segmentation-grouped.observed-shape.json",
        "dashboard/realtime.documented-fixed.json",
    ];
    for fixture in series_fixtures {
        let response: SeriesResponse = decode(fixture);
        let rows: Vec<Row<'_>> = response.data.rows().collect();
        assert_eq!(
            rows.len(),
            response
                .data
                .series
                .iter()
                .map(|s| s.len().min(response.data.x_values.len()))
                .sum::<usize>()
        );
        insta::assert_json_snapshot!(format!("rows__{}", snapshot_name(fixture)), rows);
    }
    let chart: ChartResponse = decode("dashboard/chart-query.observed-shape.json");
    let ChartData::Series(series) = &chart.data else {
        panic!("a segmentation chart decodes as a series")
    };
    insta::assert_json_snapshot!("rows__chart-query", series.rows().collect::<Vec<_>>());
    let funnel: FunnelResponse = decode("dashboard/funnel.documented.json");
    insta::assert_json_snapshot!("rows__funnel", funnel.steps().collect::<Vec<_>>());
    let retention: RetentionResponse = decode("dashboard/retention.documented-fixed.json");
    insta::assert_json_snapshot!("rows__retention", retention.rows().collect::<Vec<_>>());
    let ltv: RevenueLtvResponse = decode("dashboard/revenue-ltv.documented-fixed.json");
    insta::assert_json_snapshot!("rows__revenue-ltv", ltv.rows().collect::<Vec<_>>());
}

#[test]
fn documented_values_land_where_a_caller_looks() {
    let users: UsersResponse = decode("dashboard/users.documented.json");
    assert_eq!(users.data.label(1), "Canada");
    let observed: UsersResponse = decode("dashboard/users.observed.json");
    assert_eq!(observed.data.series[0][..2], [Some(7.0), Some(5.0)]);
    let grouped: SegmentationResponse =
        decode("dashboard/segmentation-grouped.observed-shape.json");
    assert_eq!(grouped.data.label(1), "Germany");
    assert_eq!(grouped.data.collapsed(0), Some(218.0));
    let profile: UserProfileResponse = decode("profile/recommendations-two.documented.json");
    let rec = profile.user_data.recommendation("testRecId2").unwrap();
    assert_eq!(rec.items[0], "bulgogi");
    assert!(!rec.is_control);
    assert_eq!(rec.last_updated.unwrap().timestamp(), 1_608_670_658);
    assert_eq!(profile.user_data.amp_props, None);
    let computations: UserProfileResponse = decode("profile/computations-all.documented.json");
    assert_eq!(
        computations.user_data.property("computed-prop-1"),
        Some(&json!("5000000.0"))
    );
    let cohorts: UserProfileResponse = decode("profile/cohort-ids.documented.json");
    assert!(cohorts.user_data.in_cohort("cohort3") && !cohorts.user_data.in_cohort("cohort2"));
    let propensities: UserProfileResponse = decode("profile/propensity-multiple.reference.json");
    assert_eq!(
        propensities.user_data.propensity,
        Some(None),
        "sent as null"
    );
    assert_eq!(propensities.user_data.propensity_of("0x11x"), Some(41.0));
    let activity: UserActivityResponse =
        decode("dashboard/user-activity-events.observed-shape.json");
    let event = &activity.events[0];
    assert_eq!(
        event.event_time.unwrap().to_rfc3339(),
        "2024-01-15T10:00:00+00:00"
    );
    assert_eq!(
        event.insert_id.as_deref(),
        Some("c1a3e4d2-0000-4000-8000-000000000002")
    );
    let search: UserSearchResponse = decode("dashboard/user-search-nomatch.documented.json");
    assert_eq!(search.match_type, amp_model::MatchType::NoMatch);
    let ltv: RevenueLtvResponse = decode("dashboard/revenue-ltv.documented-fixed.json");
    assert_eq!(
        ltv.data.series[0].values["2014-10-01"].revenue[&90].to_string(),
        "742.52"
    );
    let csv: ChartCsvResponse = decode("dashboard/chart-csv.observed-shape.json");
    assert!(csv.data.text().unwrap().contains("\"Segment\""));
}

/// Objects whose keys are data (dates, property names), not fields: no field can be unknown.
const DATA_KEYED: &[&str] = &[
    "values",
    "complete",
    "combined_complete",
    "amp_props",
    "properties",
    "event_properties",
    "user_properties",
    "global_user_properties",
    "group_properties",
    "groups",
    "data_obj",
];

fn with_unknown_fields(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(map) => {
            for (child_key, child) in map.iter_mut() {
                with_unknown_fields(child, Some(child_key));
            }
            if !key.is_some_and(|key| DATA_KEYED.contains(&key)) {
                map.insert("zzUnknownField".into(), json!({"nested": [1, "two", null]}));
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| with_unknown_fields(item, key)),
        _ => {}
    }
}

/// Takes every `zzUnknownField` out of `value`; how many there were.
fn without_unknown_fields(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let here = usize::from(map.remove("zzUnknownField").is_some());
            here + map.values_mut().map(without_unknown_fields).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(without_unknown_fields).sum(),
        _ => 0,
    }
}

#[test]
fn unknown_fields_anywhere_are_kept_and_change_nothing_else() {
    for (fixture, decoder) in DECODERS {
        let original = decoder(&read(fixture)).unwrap();
        let mut hostile: Value = serde_json::from_slice(&read(fixture)).unwrap();
        with_unknown_fields(&mut hostile, None);
        let mut decoded = decoder(&serde_json::to_vec(&hostile).unwrap())
            .unwrap_or_else(|error| panic!("{fixture}: {error}"));
        assert_eq!(
            decoded["zzUnknownField"],
            json!({"nested": [1, "two", null]}),
            "{fixture}: the top level keeps unknown keys"
        );
        without_unknown_fields(&mut decoded);
        assert_eq!(decoded, original, "{fixture}");
    }
}

#[test]
fn unknown_enum_values_are_kept() {
    let search: UserSearchResponse =
        serde_json::from_value(json!({"type": "match_email", "matches": []})).unwrap();
    assert_eq!(
        search.match_type,
        amp_model::MatchType::Unknown("match_email".into())
    );
    assert_eq!(
        serde_json::to_value(&search).unwrap()["type"],
        "match_email"
    );
    let profile: UserProfileResponse = serde_json::from_value(
        json!({"userData": {"propensities": [{"prop": 1, "pred_id": "p", "prop_type": "rank"}]}}),
    )
    .unwrap();
    assert_eq!(
        profile.user_data.propensities.unwrap()[0]
            .prop_type
            .as_str(),
        "rank"
    );
    let event: Event = serde_json::from_value(json!({"event_type": "x", "filters": [{"subprop_type": "group", "subprop_key": "k", "subprop_op": "matches regex", "subprop_value": ["v"]}]})).unwrap();
    assert_eq!(event.filters[0].subprop_op.as_str(), "matches regex");
    assert_eq!(event.filters[0].subprop_type.as_str(), "group");
    assert_eq!(amp_model::Interval::from(-60_000).to_string(), "-60000");
}

#[test]
fn empty_series_and_missing_optional_keys_decode() {
    let empty: SeriesResponse =
        serde_json::from_value(json!({"data": {"series": [], "xValues": []}})).unwrap();
    assert_eq!(empty.data.rows().count(), 0);
    let bare: SeriesResponse = serde_json::from_value(json!({"data": {}})).unwrap();
    assert!(bare.data.series.is_empty());
    let nulls: SeriesResponse = serde_json::from_value(
        json!({"data": {"series": [[]], "xValues": ["2024-01-01"], "seriesLabels": [null]}}),
    )
    .unwrap();
    assert_eq!(nulls.data.rows().count(), 0);
    let funnel: FunnelResponse = serde_json::from_value(json!({"data": [{}]})).unwrap();
    assert_eq!(funnel.steps().count(), 0);
    let funnels: FunnelResponse = serde_json::from_value(json!({})).unwrap();
    assert!(funnels.data.is_empty());
    let retention: RetentionResponse =
        serde_json::from_value(json!({"data": {"series": [{"dates": ["Aug 1"]}]}})).unwrap();
    assert_eq!(retention.rows().count(), 0);
    let ltv: RevenueLtvResponse = serde_json::from_value(
        json!({"data": {"series": [{"values": {"2024-01-01": {"r1d": null}}}]}}),
    )
    .unwrap();
    assert!(ltv.data.series[0].values["2024-01-01"].revenue.is_empty());
    let activity: UserActivityResponse =
        serde_json::from_value(json!({"userData": {}, "events": [{}]})).unwrap();
    assert_eq!(activity.events.len(), 1);
    let nothing: UserActivityResponse = serde_json::from_value(json!({})).unwrap();
    assert!(nothing.events.is_empty());
    let profile: UserProfileResponse = serde_json::from_value(json!({"userData": {"recommendations": [{"rec_id": "r", "items": null, "is_control": null}]}})).unwrap();
    assert!(
        profile.user_data.recommendations.unwrap()[0]
            .items
            .is_empty()
    );
    let events: EventsListResponse = serde_json::from_value(
        json!({"data": [{"value": "a", "timeline_hidden": 1, "hidden": null}]}),
    )
    .unwrap();
    assert!(events.data[0].timeline_hidden && !events.data[0].hidden);
    let chart: ChartResponse = serde_json::from_value(json!({"data": [{"funnel": true}]})).unwrap();
    assert!(matches!(chart.data, ChartData::Other(_)));
}

/// Every query of the model, once with every optional parameter set.
fn every_query() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::*;
    let range = DateRange::parse("20240101", "20240107").unwrap();
    let segment = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["France"],
    )]);
    let event = Event::new("Play Song").group_by(GroupBy::event("genre"));

    let mut segmentation = SegmentationQuery::new(event.clone(), range);
    segmentation.second_event = Some(Event::new("_active"));
    segmentation.metric = Some(SegmentationMetric::Formula);
    segmentation.user_type = Some(SegmentationUserType::Active);
    segmentation.interval = Some(Interval::Weekly);
    segmentation.segments = vec![segment.clone()];
    segmentation.group_by = vec!["platform".into(), "country".into()];
    segmentation.limit = Some(10);
    segmentation.formula = Some("UNIQUES(A)/UNIQUES(B)".into());
    segmentation.rolling_window = Some(7);
    segmentation.rolling_average = Some(3);

    let mut funnel = FunnelQuery::new(
        vec![Event::new("a"), Event::new("b"), Event::new("c")],
        range,
    );
    funnel.mode = Some(FunnelMode::Sequential);
    funnel.user_type = Some(FunnelUserType::New);
    funnel.interval = Some(Interval::Daily);
    funnel.segments = vec![segment.clone()];
    funnel.group_by = Some("platform".into());
    funnel.conversion_window_secs = Some(86_400);
    funnel.limit = Some(5);

    let mut retention = RetentionQuery::new(Event::new("_new"), Event::new("_all"), range);
    retention.mode = Some(RetentionMode::Bracket);
    retention.brackets = vec![[0, 5], [5, 10]];
    retention.interval = Some(Interval::Weekly);
    retention.segments = vec![segment.clone()];
    retention.group_by = Some("country".into());

    let mut users = UsersQuery::new(range);
    users.metric = Some(UsersMetric::New);
    users.interval = Some(Interval::Monthly);
    users.segments = vec![segment.clone()];
    users.group_by = vec!["country".into(), "platform".into()];

    let mut length = SessionLengthQuery::new(range);
    length.bins = Some(SessionBins::new(BinTimeUnit::Minutes, 0.0, 10.0).size(1.0));

    let mut activity = UserActivityQuery::new(12_345);
    activity.offset = Some(1000);
    activity.limit = Some(1000);
    activity.direction = Some(ActivityDirection::Earliest);

    let mut ltv = RevenueLtvQuery::new(range);
    ltv.metric = Some(LtvMetric::TotalRevenue);
    ltv.interval = Some(Interval::Weekly);
    // Two segments, compared side by side: no group-by then.
    ltv.segments = vec![segment, Segment::default()];

    let profile = UserProfileQuery::for_user("testUser")
        .device_id("ffff")
        .recommendations(["r1", "r2"])
        .rec_type(RecType::Random)
        .user_properties()
        .cohort_ids()
        .all_computations()
        .computations(["c1"])
        .propensities(["p1", "p2"], PropensityType::Pct);

    let dashboard_and_others: Vec<(&'static str, Box<dyn ErasedQuery>)> = vec![
        ("profile", Box::new(profile)),
        ("chart", Box::new(ChartQuery::new("abc123"))),
        ("chart_csv", Box::new(ChartCsvQuery::new("abc123"))),
        ("users", Box::new(users)),
        ("session_length", Box::new(length)),
        ("session_average", Box::new(SessionAverageQuery::new(range))),
        (
            "sessions_per_user",
            Box::new(SessionsPerUserQuery::new(range)),
        ),
        (
            "composition",
            Box::new(CompositionQuery::new(range, "version")),
        ),
        ("events_list", Box::new(ListEventsQuery::new())),
        ("segmentation", Box::new(segmentation)),
        ("funnel", Box::new(funnel)),
        ("retention", Box::new(retention)),
        ("user_activity", Box::new(activity)),
        ("user_search", Box::new(UserSearchQuery::new("myusername"))),
        ("realtime", Box::new(RealtimeQuery::new())),
        ("revenue_ltv", Box::new(ltv)),
        (
            "export",
            Box::new(ExportQuery::new(
                HourRange::new(hour("20240301T05"), hour("20240302T23")).unwrap(),
            )),
        ),
    ];
    dashboard_and_others
        .into_iter()
        .chain(cohort_queries())
        .chain(project_queries())
        .chain(taxonomy_queries())
        .chain(taxonomy_property_queries())
        .collect()
}

/// The project APIs' queries and writes (and the cohort writes), every parameter set.
fn project_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    annotation_queries()
        .into_iter()
        .chain(other_project_queries())
        .collect()
}

/// The Chart Annotations API's queries and writes.
fn annotation_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::annotations::*;
    let at = |text: &str| -> Timestamp { text.parse().unwrap() };
    let mut list = ListAnnotationsQuery::new();
    list.chart_id = Some("abc".into());
    list.start = Some(at("2025-11-01T00:00:00+00:00"));
    list.end = Some(at("2025-11-30T00:00:00-05:00"));
    let mut create = CreateAnnotationQuery::new("v2.3", at("2025-11-01T07:00:00+00:00"));
    create.category = Some("Releases".into());
    create.chart_id = Some("abc".into());
    create.details = Some("New player".into());
    create.end = Some(at("2025-11-02T07:00:00+00:00"));
    let mut update = UpdateAnnotationQuery::new(12345);
    update.label = Some("v2.3.1".into());
    update.start = Some(at("2025-11-01T08:00:00+00:00"));
    update.category = Some("Releases".into());
    update.chart_id = Some(None);
    update.details = Some("Fixed".into());
    update.end = Some(None);
    let mut categories = ListAnnotationCategoriesQuery::new();
    categories.category = Some("Releases".into());
    vec![
        ("annotations", Box::new(list)),
        ("annotation", Box::new(AnnotationQuery::new(12345))),
        ("annotation create", Box::new(create)),
        ("annotation update", Box::new(update)),
        (
            "annotation delete",
            Box::new(DeleteAnnotationQuery::new(12345)),
        ),
        (
            "category create",
            Box::new(CreateAnnotationCategoryQuery::new("Releases")),
        ),
        ("categories", Box::new(categories)),
        ("category", Box::new(AnnotationCategoryQuery::new(6789))),
        (
            "category rename",
            Box::new(RenameAnnotationCategoryQuery::new(569, "Launches")),
        ),
        (
            "category delete",
            Box::new(DeleteAnnotationCategoryQuery::new(569)),
        ),
        (
            "category assign",
            Box::new(AssignAnnotationCategoryQuery::new(6789, vec![1, 2])),
        ),
        ("annotations v2", Box::new(ListAnnotationsV2Query::new())),
    ]
}

/// The cohort writes, releases and deletions.
fn other_project_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::cohorts::*;
    use amp_model::privacy::*;
    use amp_model::releases::*;
    let day = |text: &str| -> Day { text.parse().unwrap() };
    let mut upload = CohortUploadQuery::new(
        "Beta",
        123,
        amp_model::CohortIdType::UserId,
        vec!["alice".into()],
        "me@example.com",
        true,
    );
    upload.count_group = Some("User".into());
    upload.skip_save = Some(false);
    upload.skip_invalid_ids = Some(true);
    upload.existing_cohort_id = Some("abc1234".into());
    let mut membership = CohortMembershipQuery::new(
        "abc1234",
        vec![Membership::remove(
            amp_model::MembershipIdType::Id,
            vec!["100001".into()],
        )],
    );
    membership.count_group = Some("User".into());
    membership.skip_invalid_ids = Some(false);
    let mut release = CreateReleaseQuery::new(
        "2.3.0",
        "2025-11-01 07:00:00".parse().unwrap(),
        "Big player update",
    );
    release.release_end = Some("2025-11-01 08:00:00".parse().unwrap());
    release.description = Some("A new player".into());
    release.platforms = vec!["iOS".into()];
    release.created_by = Some("me@example.com".into());
    release.chart_visibility = Some(true);
    let mut deletion = CreateDeletionQuery::new();
    deletion.amplitude_ids = vec![100_001];
    deletion.user_ids = vec!["alice".into()];
    deletion.requester = Some("privacy@example.com".into());
    deletion.ignore_invalid_id = Some(true);
    deletion.delete_from_org = Some(false);
    deletion.include_mapped_user_ids = Some(true);
    vec![
        ("cohort upload", Box::new(upload)),
        ("cohort membership", Box::new(membership)),
        ("release", Box::new(release)),
        ("deletion", Box::new(deletion)),
        (
            "deletions",
            Box::new(ListDeletionsQuery::new(
                day("2024-01-01"),
                day("2024-03-31"),
            )),
        ),
        (
            "deletion remove",
            Box::new(RemoveFromDeletionQuery::new(100_001, day("2024-03-06"))),
        ),
    ]
}

/// The Taxonomy API's category and event type queries and writes, every parameter set.
fn taxonomy_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::taxonomy::*;
    let mut event_type = CreateEventTypeQuery::new("Onboard Start");
    event_type.category = Some("Onboarding".into());
    event_type.description = Some("My new onboarding event.".into());
    let mut update_type = UpdateEventTypeQuery::new("OnboardBegin");
    update_type.new_event_type = Some("OnboardStart".into());
    update_type.category = Some("Onboarding".into());
    update_type.description = Some("User signed in".into());
    update_type.display_name = Some("Onboarding Start".into());
    update_type.is_active = Some(true);
    update_type.is_hidden_from_dropdowns = Some(false);
    update_type.is_hidden_from_persona_results = Some(false);
    update_type.is_hidden_from_pathfinder = Some(true);
    update_type.is_hidden_from_timeline = Some(false);
    update_type.tags = vec!["growth".into(), "core".into()];
    update_type.owner = Some("me@example.com".into());
    let mut deleted = ListEventTypesQuery::new();
    deleted.show_deleted = Some(true);
    vec![
        (
            "category create",
            Box::new(CreateEventCategoryQuery::new("Attribution")),
        ),
        ("categories", Box::new(ListEventCategoriesQuery::new())),
        ("category", Box::new(EventCategoryQuery::new("Attribution"))),
        (
            "category rename",
            Box::new(RenameEventCategoryQuery::new(412_941, "Converted")),
        ),
        (
            "category delete",
            Box::new(DeleteEventCategoryQuery::new(412_941)),
        ),
        ("event type create", Box::new(event_type)),
        ("event types", Box::new(deleted)),
        ("event type", Box::new(EventTypeQuery::new("Event 2"))),
        ("event type update", Box::new(update_type)),
        (
            "event type delete",
            Box::new(DeleteEventTypeQuery::new("Event1")),
        ),
        (
            "event type restore",
            Box::new(RestoreEventTypeQuery::new("Event1")),
        ),
    ]
}

/// The Taxonomy API's property queries and writes, every parameter set.
fn taxonomy_property_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::taxonomy::*;
    use amp_model::{DataType, OverrideScope};
    let mut property = CreateEventPropertyQuery::new("Completed Task");
    property.event_type = Some("Onboard Start".into());
    property.description = Some("User completed any onboarding task".into());
    property.data_type = Some(DataType::Boolean);
    property.regex = Some("[0-9]{5}".into());
    property.enum_values = vec!["red".into(), "blue".into()];
    property.is_array_type = Some(false);
    property.is_required = Some(false);
    property.classifications = vec!["PII".into()];
    let mut update_property = UpdateEventPropertyQuery::new("Completed Task");
    update_property.event_type = Some("Onboard Start".into());
    update_property.override_scope = Some(OverrideScope::Override);
    update_property.new_event_property_value = Some("Task Completed".into());
    update_property.data_type = Some(DataType::Any);
    update_property.is_required = Some(true);
    let mut event_properties = ListEventPropertiesQuery::new();
    event_properties.event_type = Some("Onboard Start".into());
    let mut delete_property = DeleteEventPropertyQuery::new("Completed Task");
    delete_property.event_type = Some("Onboarding Start".into());
    let mut user_property = CreateUserPropertyQuery::new("User Type");
    user_property.data_type = Some(DataType::String);
    user_property.enum_values = vec!["Free".into(), "Standard".into(), "Premium".into()];
    let mut update_user = UpdateUserPropertyQuery::new("gp:user_type");
    update_user.new_user_property_value = Some("subscription_type".into());
    update_user.description = Some("The user's subscription type".into());
    let mut group_property = CreateGroupPropertyQuery::new("Group Property 1");
    group_property.group_type = Some("Group 1".into());
    group_property.data_type = Some(DataType::Boolean);
    let mut group_properties = ListGroupPropertiesQuery::new();
    group_properties.group_type = Some("Group 1".into());
    let mut update_group = UpdateGroupPropertyQuery::new("grp:Group Property 1");
    update_group.group_type = Some("Group 1".into());
    update_group.override_scope = Some(OverrideScope::Shared);
    update_group.new_group_property_value = Some("grp:Renamed".into());
    vec![
        ("event property create", Box::new(property)),
        ("event properties", Box::new(event_properties)),
        (
            "event property",
            Box::new(EventPropertyQuery::new("Completed Task")),
        ),
        ("event property update", Box::new(update_property)),
        ("event property delete", Box::new(delete_property)),
        (
            "event property restore",
            Box::new(RestoreEventPropertyQuery::new("Completed Task")),
        ),
        ("user property create", Box::new(user_property)),
        ("user properties", Box::new(ListUserPropertiesQuery::new())),
        (
            "user property",
            Box::new(UserPropertyQuery::new("gp:interests")),
        ),
        ("user property update", Box::new(update_user)),
        (
            "user property delete",
            Box::new(DeleteUserPropertyQuery::new("gp:interests")),
        ),
        (
            "user property restore",
            Box::new(RestoreUserPropertyQuery::new("gp:interests")),
        ),
        ("group property create", Box::new(group_property)),
        ("group properties", Box::new(group_properties)),
        (
            "group property",
            Box::new(GroupPropertyQuery::new("grp:Group Property 1")),
        ),
        ("group property update", Box::new(update_group)),
    ]
}

/// The Behavioral Cohorts API's queries.
fn cohort_queries() -> Vec<(&'static str, Box<dyn ErasedQuery>)> {
    use amp_model::cohorts::*;
    let mut request = CohortRequestQuery::new("abc");
    request.props = Some(1);
    request.prop_keys.push("plan".into());
    vec![
        ("cohorts", Box::new(ListCohortsQuery::new())),
        ("cohort request", Box::new(request)),
        ("cohort status", Box::new(CohortStatusQuery::new("r-1"))),
        ("cohort file", Box::new(CohortFileQuery::new("r-1"))),
    ]
}

fn hour(text: &str) -> Hour {
    text.parse().unwrap()
}

/// [`Query`] without its associated type, so different queries fit in one list.
trait ErasedQuery {
    fn endpoint(&self) -> &'static amp_model::catalogue::EndpointSpec;
    fn rendered_path(&self) -> String;
    fn check(&self) -> Result<(), amp_model::ValidationError>;
    fn pairs(&self) -> amp_model::QueryPairs;
    fn body(&self) -> Option<amp_model::wire::WireBody>;
    fn price(&self) -> amp_model::Cost;
}

impl<Q: Query> ErasedQuery for Q {
    fn endpoint(&self) -> &'static amp_model::catalogue::EndpointSpec {
        self.spec()
    }
    fn rendered_path(&self) -> String {
        self.path().into_owned()
    }
    fn check(&self) -> Result<(), amp_model::ValidationError> {
        self.validate()
    }
    fn pairs(&self) -> amp_model::QueryPairs {
        self.query_pairs()
    }
    fn body(&self) -> Option<amp_model::wire::WireBody> {
        Wire::body(self)
    }
    fn price(&self) -> amp_model::Cost {
        self.cost()
    }
}

/// A body writes only its declared keys (a form's in catalogue order), every required one,
/// and is there exactly for a write with body parameters.
fn body_is_declared(name: &str, spec: &amp_model::catalogue::EndpointSpec, body: Option<WireBody>) {
    let declared = |location: Location| -> Vec<&str> {
        spec.params
            .iter()
            .filter(|param| param.location == location)
            .map(|param| param.wire)
            .collect()
    };
    let required = |location: Location| {
        spec.params
            .iter()
            .filter(move |p| p.required && p.location == location)
    };
    match body {
        Some(WireBody::Json(Value::Object(body))) => {
            let keys = declared(Location::Json);
            for key in body.keys() {
                assert!(
                    keys.contains(&key.as_str()),
                    "{name} sends undeclared `{key}`"
                );
            }
            for param in required(Location::Json) {
                assert!(
                    body.contains_key(param.wire),
                    "{name} lacks `{}`",
                    param.wire
                );
            }
        }
        Some(WireBody::Form(fields)) => {
            let keys = declared(Location::Form);
            let mut last = 0;
            for (key, _) in fields.as_slice() {
                let position = keys.iter().position(|wire| wire == key);
                let position = position
                    .unwrap_or_else(|| panic!("{name} sends undeclared form field `{key}`"));
                assert!(
                    position >= last,
                    "{name}: `{key}` is out of catalogue order"
                );
                last = position;
            }
            for param in required(Location::Form) {
                assert!(
                    fields.get(param.wire).is_some(),
                    "{name} lacks `{}`",
                    param.wire
                );
            }
        }
        Some(other) => panic!("{name}: a body that is not an object: {other:?}"),
        None => assert!(
            declared(Location::Json).is_empty() && declared(Location::Form).is_empty(),
            "{name} sends no body"
        ),
    }
}

#[test]
fn queries_write_only_their_catalogue_parameters_in_catalogue_order() {
    let queries = every_query();
    for endpoint in amp_model::catalogue::ENDPOINTS {
        assert!(
            queries.iter().any(|(_, q)| q.endpoint() == endpoint),
            "no query for {}",
            endpoint.name
        );
    }
    for (name, query) in &queries {
        query
            .check()
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let spec = query.endpoint();
        let pairs = query.pairs();
        let mut last = 0;
        for (wire, _) in pairs.as_slice() {
            let position = spec.params.iter().position(|param| param.wire == *wire);
            let position = position.unwrap_or_else(|| {
                panic!(
                    "{name} writes `{wire}`, which {} does not declare",
                    spec.name
                )
            });
            assert!(
                position >= last,
                "{name}: `{wire}` is out of catalogue order"
            );
            last = position;
        }
        for param in spec
            .params
            .iter()
            .filter(|param| param.required && param.location == Location::Query)
        {
            assert!(
                pairs.get(param.wire).is_some(),
                "{name} lacks required `{}`",
                param.wire
            );
        }
        body_is_declared(name, spec, query.body());
    }
    let rendered: Vec<Value> = queries
        .iter()
        .map(|(name, query)| {
            let mut rendered = json!({"query": name, "method": query.endpoint().method.as_str(), "path": query.rendered_path(), "pairs": query.pairs().into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), "cost": query.price().to_string()});
            match query.body() {
                Some(WireBody::Json(body)) => rendered["body"] = body,
                Some(WireBody::Form(fields)) => {
                    rendered["form"] = fields.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
                }
                _ => {}
            }
            rendered
        })
        .collect();
    insta::assert_json_snapshot!("every_query_with_every_parameter", rendered);
}

#[test]
fn the_seed_profile_calls_render_exactly() {
    let cases = [
        (
            UserProfileQuery::for_user("testUser").recommendations(["testRecId"]),
            "user_id=testUser&get_recs=true&rec_id=testRecId",
        ),
        (
            UserProfileQuery::for_user("testUser").recommendations(["testRecId", "testRecId2"]),
            "user_id=testUser&get_recs=true&rec_id=testRecId,testRecId2",
        ),
        (
            UserProfileQuery::for_user("testUser").user_properties(),
            "user_id=testUser&get_amp_props=true",
        ),
        (
            UserProfileQuery::for_user("testUser").cohort_ids(),
            "user_id=testUser&get_cohort_ids=true",
        ),
        (
            UserProfileQuery::for_user("testUser").computations(["testCompId"]),
            "user_id=testUser&comp_id=testCompId",
        ),
        (
            UserProfileQuery::for_user("testUser").all_computations(),
            "user_id=testUser&get_computations=true",
        ),
    ];
    for (query, expected) in cases {
        query.validate().unwrap();
        let rendered: Vec<String> = query
            .query_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(rendered.join("&"), expected);
    }
}

#[test]
fn invalid_queries_name_the_parameter_to_fix() {
    use amp_model::*;
    let range = DateRange::parse("20240101", "20240102").unwrap();
    let mut property_metric = SegmentationQuery::new(Event::new("Purchase"), range);
    property_metric.metric = Some(SegmentationMetric::Sums);
    let mut formula = SegmentationQuery::new(Event::new("a"), range);
    formula.metric = Some(SegmentationMetric::Formula);
    let mut three_groups = SegmentationQuery::new(Event::new("a"), range);
    three_groups.group_by = vec!["a".into(), "b".into(), "c".into()];
    let mut big_limit = SegmentationQuery::new(Event::new("a"), range);
    big_limit.limit = Some(1001);
    let mut bracket = RetentionQuery::new(Event::new("_new"), Event::new("_all"), range);
    bracket.mode = Some(RetentionMode::Bracket);
    let mut hourly_users = UsersQuery::new(range);
    hourly_users.interval = Some(Interval::Hourly);
    let mut bad_bins = SessionLengthQuery::new(range);
    bad_bins.bins = Some(SessionBins::new(BinTimeUnit::Minutes, 10.0, 5.0));
    let mut activity = UserActivityQuery::new(1);
    activity.limit = Some(5000);
    let mut stray_prediction = UserProfileQuery::for_user("u");
    stray_prediction.prediction_ids = vec!["p".into()];

    let cases: Vec<(Box<dyn ErasedQuery>, &str, &str)> = vec![
        (Box::new(property_metric), "m", "group_by"),
        (Box::new(formula), "formula", "needs a formula"),
        (Box::new(three_groups), "g", "at most 2"),
        (Box::new(big_limit), "limit", "maximum of 1000"),
        (
            Box::new(SegmentationQuery::new(Event::new(""), range)),
            "e",
            "empty",
        ),
        (
            Box::new(FunnelQuery::new(vec![Event::new("a")], range)),
            "e",
            "at least 2 steps",
        ),
        (Box::new(bracket), "rb", "needs brackets"),
        (Box::new(hourly_users), "i", "daily"),
        (
            Box::new(bad_bins),
            "timeHistogramConfigBinMax",
            "greater than",
        ),
        (Box::new(activity), "limit", "offset"),
        (Box::new(UserSearchQuery::new(" ")), "user", "empty"),
        (
            Box::new(ChartQuery::new("../admin")),
            "chart_id",
            "not a chart ID",
        ),
        (Box::new(UserProfileQuery::default()), "user_id", "neither"),
        (
            Box::new(UserProfileQuery::for_user(" ")),
            "user_id",
            "blank",
        ),
        (
            Box::new(UserProfileQuery::for_user("u").recommendations(Vec::<String>::new())),
            "rec_id",
            "at least one",
        ),
        (
            Box::new(UserProfileQuery::for_user("u").recommendations(["a,b"])),
            "rec_id",
            "comma",
        ),
        (Box::new(stray_prediction), "get_propensity", "only read"),
        (
            Box::new(ExportQuery::new(
                HourRange::new(hour("20240101T00"), hour("20241231T00")).unwrap(),
            )),
            "end",
            "at most 365 days",
        ),
    ];
    for (query, param, words) in cases {
        let error = query.check().expect_err(param);
        assert_eq!(error.param(), param, "{error}");
        assert!(
            error.to_string().contains(words),
            "`{error}` should say `{words}`"
        );
    }
}
