//! Every Dashboard endpoint: the request it renders, the fixture it decodes through the client,
//! its validation, and the user activity helpers.

use std::path::Path;
use std::sync::Arc;

use amp_dashboard::*;
use amp_transport::test_util::{RecordingTransport, ReplayTransport};
use amp_transport::{Client, Endpoint, Error, HttpResponse, Method, NoRetry, Request};
use futures_util::StreamExt as _;
use serde_json::json;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn client(transport: impl amp_transport::Transport + 'static) -> Client {
    Client::builder()
        .api_key("dash-api-key")
        .secret_key("dash-secret-key")
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}

fn range(start: &str, end: &str) -> DateRange {
    DateRange::parse(start, end).unwrap()
}

fn march() -> DateRange {
    range("20240301", "20240330")
}

/// Renders a request as the snapshot shows it: method, URL, sorted decoded query, cost.
fn rendered(request: &Request) -> serde_json::Value {
    let http = client(ReplayTransport::new())
        .http_request(request)
        .unwrap();
    let mut query: Vec<String> = request
        .query
        .as_slice()
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    query.sort();
    json!({"method": http.method.as_str(), "url": http.url, "query": query, "cost": request.cost.to_string()})
}

/// The seed page's example calls, with its placeholders given values.
fn seed_examples() -> Vec<(&'static str, Request)> {
    let day = || range("20210601", "20210630");
    vec![
        ("chart_csv", GetChartCsv::new("abc123").to_request()),
        ("users", GetUsers::new(day()).to_request()),
        ("session_length", GetSessionLength::new(day()).to_request()),
        (
            "session_average",
            GetAverageSessionLength::new(day()).to_request(),
        ),
        (
            "sessions_per_user",
            GetSessionsPerUser::new(day()).to_request(),
        ),
        (
            "composition",
            GetUserComposition::new(day(), "version").to_request(),
        ),
        ("events_list", ListEvents::new().to_request()),
        (
            "segmentation",
            GetEventSegmentation::new(Event::new("YOUR EVENT"), day()).to_request(),
        ),
        (
            "funnel",
            GetFunnel::new(vec![Event::new("EVENT_1"), Event::new("EVENT_2")], day()).to_request(),
        ),
        (
            "retention",
            GetRetention::new(Event::new("STARTEVENT"), Event::new("RETURNEVENT"), day())
                .to_request(),
        ),
        ("user_activity", GetUserActivity::new(12345).to_request()),
        ("user_search", SearchUsers::new("USER_ID").to_request()),
        ("realtime", GetRealtimeActiveUsers::new().to_request()),
        ("revenue_ltv", GetRevenueLtv::new(day()).to_request()),
    ]
}

/// Combinations that exercise every optional parameter and encoding.
#[allow(clippy::too_many_lines, reason = "a table of cases")]
fn notable_combinations() -> Vec<(&'static str, Request)> {
    let france = Segment::new(vec![
        Condition::property("country", FilterOperator::Is, ["France"]),
        Condition::in_cohort("5mjbq8w"),
    ]);
    let performed = Segment::new(vec![Condition::performed(
        "signup - end signup",
        CountComparator::AtLeast,
        1,
        TimeType::AllTime,
    )]);
    let documented_event = Event::new("CompletedProfile")
        .filter(Filter::event("EmailVerified", FilterOperator::Is, ["true"]))
        .filter(Filter::user(
            "gp:SignUpDate",
            FilterOperator::Is,
            ["2021-08-18"],
        ))
        .group_by(GroupBy::user("platform"));
    vec![
        ("chart_query", GetChartResults::new("abc123").to_request()),
        (
            "segmentation_everything",
            GetEventSegmentation::new(documented_event.clone(), march())
                .second_event(Event::new("_active"))
                .metric(SegmentationMetric::Formula)
                .formula("UNIQUES(A)/UNIQUES(B)")
                .user_type(SegmentationUserType::Active)
                .interval(Interval::Weekly)
                .segment(france.clone())
                .group_by("country")
                .group_by("gp:utm_campaign")
                .limit(1000)
                .rolling_window(4)
                .rolling_average(2)
                .to_request(),
        ),
        (
            "segmentation_property_metric",
            GetEventSegmentation::new(documented_event.clone(), march())
                .metric(SegmentationMetric::Sums)
                .to_request(),
        ),
        (
            "segmentation_hourly_performed",
            GetEventSegmentation::new(Event::new("_all"), range("20240301", "20240302"))
                .interval(Interval::Hourly)
                .segment(performed)
                .to_request(),
        ),
        (
            "funnel_everything",
            GetFunnel::new(
                vec![
                    Event::new("Search Song or Video"),
                    Event::new("Select Song or Video"),
                    documented_event,
                ],
                march(),
            )
            .mode(FunnelMode::Unordered)
            .user_type(FunnelUserType::New)
            .interval(Interval::Daily)
            .segment(france.clone())
            .group_by("platform")
            .conversion_window_secs(86_400)
            .limit(10)
            .to_request(),
        ),
        (
            "retention_bracket",
            GetRetention::new(Event::new("_new"), Event::new("watch_tutorial"), march())
                .mode(RetentionMode::Bracket)
                .bracket([0, 5])
                .bracket([5, 10])
                .interval(Interval::Weekly)
                .segment(france.clone())
                .group_by("country")
                .to_request(),
        ),
        (
            "retention_rolling",
            GetRetention::new(Event::new("_active"), Event::new("_all"), march())
                .mode(RetentionMode::Rolling)
                .to_request(),
        ),
        (
            "session_length_bins",
            GetSessionLength::new(march())
                .bins(SessionBins::new(BinTimeUnit::Minutes, 0.0, 10.0).size(1.0))
                .to_request(),
        ),
        (
            "users_new_weekly_grouped",
            GetUsers::new(march())
                .metric(UsersMetric::New)
                .interval(Interval::Weekly)
                .segment(france.clone())
                .group_by("country")
                .to_request(),
        ),
        (
            "user_activity_paged",
            GetUserActivity::new(12345)
                .offset(1000)
                .limit(500)
                .direction(ActivityDirection::Earliest)
                .to_request(),
        ),
        (
            "revenue_ltv_everything",
            GetRevenueLtv::new(march())
                .metric(LtvMetric::PayingUsers)
                .interval(Interval::Monthly)
                .segment(france)
                .group_by("platform")
                .to_request(),
        ),
    ]
}

#[test]
fn every_seed_example_and_notable_combination_renders_exactly() {
    for (name, request) in seed_examples() {
        insta::assert_json_snapshot!(format!("seed__{name}"), rendered(&request));
    }
    for (name, request) in notable_combinations() {
        insta::assert_json_snapshot!(format!("request__{name}"), rendered(&request));
    }
}

#[test]
fn json_parameters_are_compact_and_percent_encoded() {
    let segmentation =
        GetEventSegmentation::new(Event::new("YOUR EVENT"), range("20210601", "20210630"))
            .to_request();
    assert_eq!(
        segmentation.path_and_query(),
        "/api/2/events/segmentation?e=%7B%22event_type%22:%22YOUR%20EVENT%22%7D&start=20210601&end=20210630"
    );
    let funnel = GetFunnel::new(
        vec![Event::new("EVENT_1"), Event::new("EVENT_2")],
        range("20210601", "20210630"),
    )
    .to_request();
    let steps: Vec<&str> = funnel
        .query
        .as_slice()
        .iter()
        .filter(|(name, _)| *name == "e")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(
        steps,
        [r#"{"event_type":"EVENT_1"}"#, r#"{"event_type":"EVENT_2"}"#],
        "repeated `e`, in step order"
    );
    let two_groups = GetEventSegmentation::new(Event::new("a"), march())
        .group_by("country")
        .group_by("platform")
        .to_request();
    assert_eq!(
        (two_groups.query.get("g"), two_groups.query.get("g2")),
        (Some("country"), Some("platform"))
    );
}

/// Sends `endpoint` to a replay of `fixture` and returns the decoded answer re-serialised.
async fn through_client<E>(endpoint: &E, fixture_name: &str) -> serde_json::Value
where
    E: Endpoint,
    E::Response: serde::Serialize,
{
    let path = endpoint.to_request().path_and_query();
    let replay = ReplayTransport::new().expect(
        Method::Get,
        path,
        HttpResponse::new(200, fixture(fixture_name)),
    );
    let response = client(replay)
        .send(endpoint)
        .await
        .unwrap_or_else(|error| panic!("{fixture_name}: {error}"));
    serde_json::to_value(response).unwrap()
}

#[tokio::test]
async fn all_fifteen_endpoints_answer_through_the_client() {
    let day = || range("20170814", "20170815");
    let answers = [
        through_client(
            &GetChartResults::new("abc123"),
            "dashboard/chart-query.observed-shape.json",
        )
        .await,
        through_client(
            &GetChartCsv::new("abc123"),
            "dashboard/chart-csv.observed-shape.json",
        )
        .await,
        through_client(&GetUsers::new(day()), "dashboard/users.observed.json").await,
        through_client(
            &GetSessionLength::new(day()),
            "dashboard/session-length.documented.json",
        )
        .await,
        through_client(
            &GetAverageSessionLength::new(day()),
            "dashboard/session-average.documented.json",
        )
        .await,
        through_client(
            &GetSessionsPerUser::new(day()),
            "dashboard/sessions-per-user.documented.json",
        )
        .await,
        through_client(
            &GetUserComposition::new(day(), "version"),
            "dashboard/composition.documented.json",
        )
        .await,
        through_client(
            &ListEvents::new(),
            "dashboard/events-list.documented-fixed.json",
        )
        .await,
        through_client(
            &GetEventSegmentation::new(Event::new("a"), day()),
            "dashboard/segmentation.documented-fixed.json",
        )
        .await,
        through_client(
            &GetFunnel::new(vec![Event::new("a"), Event::new("b")], day()),
            "dashboard/funnel.documented.json",
        )
        .await,
        through_client(
            &GetRetention::new(Event::new("_new"), Event::new("_all"), day()),
            "dashboard/retention.documented-fixed.json",
        )
        .await,
        through_client(
            &GetUserActivity::new(12345),
            "dashboard/user-activity.documented-fixed.json",
        )
        .await,
        through_client(
            &SearchUsers::new("myusername"),
            "dashboard/user-search.documented.json",
        )
        .await,
        through_client(
            &GetRealtimeActiveUsers::new(),
            "dashboard/realtime.documented-fixed.json",
        )
        .await,
        through_client(
            &GetRevenueLtv::new(day()),
            "dashboard/revenue-ltv.documented-fixed.json",
        )
        .await,
    ];
    assert_eq!(
        answers.len(),
        amp_model::catalogue::ENDPOINTS
            .iter()
            // The other APIs on the Dashboard's host are other crates'.
            .filter(|e| e.api == "dashboard")
            .count()
    );
    assert_eq!(answers[2]["data"]["series"][0][0], 7.0);
    assert_eq!(answers[12]["matches"][0]["amplitude_id"], 12345);
}

#[tokio::test]
async fn the_csv_path_takes_json_or_bare_csv() {
    let replay = ReplayTransport::new().expect(
        Method::Get,
        "/api/3/chart/abc/csv",
        HttpResponse::new(200, "\"Segment\",\"\t2024-01-01\"\n\"All\",\"3\"\n"),
    );
    let response = client(replay).send(&GetChartCsv::new("abc")).await.unwrap();
    assert!(response.data.text().unwrap().starts_with("\"Segment\""));
    let json = through_client(
        &GetChartCsv::new("abc123"),
        "dashboard/chart-csv.observed-shape.json",
    )
    .await;
    assert!(json["data"].as_str().unwrap().contains("All Users"));
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "a table of cases")]
async fn invalid_queries_never_leave_the_process() {
    let unused = Arc::new(RecordingTransport::new(ReplayTransport::new()));
    let client = Client::builder()
        .api_key("k")
        .secret_key("s")
        .shared_transport(unused.clone())
        .build()
        .unwrap();
    let expect_invalid = |result: Result<(), Error>, param: &str, words: &str| match result {
        Err(Error::Invalid(error)) => {
            assert_eq!(error.param(), param, "{error}");
            assert!(
                error.to_string().contains(words),
                "`{error}` should say `{words}`"
            );
        }
        other => panic!("{param}: expected invalid input, got {other:?}"),
    };
    let a = || Event::new("a");
    expect_invalid(
        client
            .send(&GetEventSegmentation::new(a(), march()).limit(1001))
            .await
            .map(drop),
        "limit",
        "maximum of 1000",
    );
    expect_invalid(
        client
            .send(
                &GetEventSegmentation::new(a(), march())
                    .group_by("x")
                    .group_by("y")
                    .group_by("z"),
            )
            .await
            .map(drop),
        "g",
        "at most 2",
    );
    expect_invalid(
        client
            .send(&GetEventSegmentation::new(a(), march()).metric(SegmentationMetric::Formula))
            .await
            .map(drop),
        "formula",
        "needs a formula",
    );
    expect_invalid(
        client
            .send(&GetEventSegmentation::new(a(), march()).metric(SegmentationMetric::Histogram))
            .await
            .map(drop),
        "m",
        "property metric",
    );
    expect_invalid(
        client
            .send(&GetEventSegmentation::new(Event::new(""), march()))
            .await
            .map(drop),
        "e",
        "event_type` is empty",
    );
    expect_invalid(
        client
            .send(&GetFunnel::new(vec![a()], march()))
            .await
            .map(drop),
        "e",
        "at least 2 steps",
    );
    expect_invalid(
        client
            .send(&GetFunnel::new(vec![a(), a()], march()).limit(5000))
            .await
            .map(drop),
        "limit",
        "maximum",
    );
    expect_invalid(
        client
            .send(&GetRetention::new(a(), a(), march()).mode(RetentionMode::Bracket))
            .await
            .map(drop),
        "rb",
        "needs brackets",
    );
    expect_invalid(
        client
            .send(&GetRetention::new(a(), Event::new(" "), march()))
            .await
            .map(drop),
        "re",
        "empty",
    );
    expect_invalid(
        client
            .send(&GetRevenueLtv::new(march()).interval(Interval::Realtime))
            .await
            .map(drop),
        "i",
        "daily",
    );
    expect_invalid(
        client
            .send(&GetUserComposition::new(march(), ""))
            .await
            .map(drop),
        "p",
        "property name is empty",
    );
    expect_invalid(
        client
            .send(&GetUserActivity::new(1).limit(1001))
            .await
            .map(drop),
        "limit",
        "offset",
    );
    expect_invalid(
        client.send(&GetChartResults::new("a/b")).await.map(drop),
        "chart_id",
        "not a chart ID",
    );
    assert!(unused.requests().is_empty());
    let backwards = DateRange::parse("20240302", "20240301").unwrap_err();
    assert_eq!(backwards.param(), "start");
    assert!(backwards.to_string().contains("on or before end"));
    assert_eq!(
        DateRange::parse("2024-03-01", "20240302")
            .unwrap_err()
            .param(),
        "start"
    );
}

fn events_page(ids: std::ops::Range<u32>) -> HttpResponse {
    let events: Vec<serde_json::Value> = ids
        .map(|id| json!({"event_id": id, "event_type": "Play Song"}))
        .collect();
    HttpResponse::new(
        200,
        json!({"userData": {"user_id": "u"}, "events": events}).to_string(),
    )
}

#[tokio::test]
async fn user_events_stream_past_one_page() {
    let replay = ReplayTransport::new()
        .expect(
            Method::Get,
            "/api/2/useractivity?user=7&limit=2",
            events_page(0..2),
        )
        .expect(
            Method::Get,
            "/api/2/useractivity?user=7&offset=2&limit=2",
            events_page(2..4),
        )
        .expect(
            Method::Get,
            "/api/2/useractivity?user=7&offset=4&limit=2",
            events_page(4..5),
        );
    let client = client(replay);
    let events: Vec<i64> = user_events(&client, GetUserActivity::new(7).limit(2))
        .map(|event| event.unwrap().event_id.unwrap())
        .collect()
        .await;
    assert_eq!(events, [0, 1, 2, 3, 4]);

    let failing = ReplayTransport::new()
        .expect(
            Method::Get,
            "/api/2/useractivity?user=7&limit=2",
            events_page(0..2),
        )
        .expect(
            Method::Get,
            "/api/2/useractivity?user=7&offset=2&limit=2",
            HttpResponse::new(500, ""),
        );
    let client = self::client(failing);
    let results: Vec<Result<ActivityEvent, Error>> =
        user_events(&client, GetUserActivity::new(7).limit(2))
            .collect()
            .await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].as_ref().unwrap_err().status(), Some(500));
}

#[tokio::test]
async fn a_search_leads_to_the_first_match_activity() {
    let replay = ReplayTransport::new()
        .expect(
            Method::Get,
            "/api/2/usersearch?user=myusername",
            HttpResponse::new(200, fixture("dashboard/user-search.documented.json")),
        )
        .expect(
            Method::Get,
            "/api/2/useractivity?user=12345",
            HttpResponse::new(
                200,
                fixture("dashboard/user-activity.documented-fixed.json"),
            ),
        );
    let activity = first_match_activity(&client(replay), &SearchUsers::new("myusername"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(activity.user_data.num_events, Some(142));

    let nobody = ReplayTransport::new().expect(
        Method::Get,
        "/api/2/usersearch?user=ghost",
        HttpResponse::new(
            200,
            fixture("dashboard/user-search-nomatch.documented.json"),
        ),
    );
    assert!(
        first_match_activity(&client(nobody), &SearchUsers::new("ghost"))
            .await
            .unwrap()
            .is_none()
    );
}

/// Sends `endpoint` to a replay answering `status` with `fixture_name`, typed.
async fn answered<E: Endpoint>(
    endpoint: &E,
    status: u16,
    fixture_name: &str,
) -> Result<E::Response, Error> {
    let replay = ReplayTransport::new().expect(
        Method::Get,
        endpoint.to_request().path_and_query(),
        HttpResponse::new(status, fixture(fixture_name)),
    );
    client(replay).send(endpoint).await
}

#[tokio::test]
async fn the_observed_shapes_decode_through_the_client() {
    let us = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["US"],
    )]);
    let de = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["DE"],
    )]);
    let two = GetEventSegmentation::new(Event::new("Open App"), march())
        .segment(us.clone())
        .segment(de.clone());
    let answer = answered(
        &two,
        200,
        "dashboard/segmentation-two-segments.observed-shape.json",
    )
    .await
    .unwrap();
    let segments: Vec<Option<u32>> = (0..2).map(|index| answer.data.segment(index)).collect();
    assert_eq!(segments, [Some(0), Some(1)]);
    assert_eq!(answer.metadata.min_sample_rate, Some(1.0));
    assert!(answer.metadata.warnings().is_empty());
    assert_eq!(answer.extra["backend"], "nova", "unnamed keys are kept");

    let funnel = GetFunnel::new(
        vec![Event::new("Open App"), Event::new("Play Song")],
        march(),
    )
    .segment(us)
    .segment(de);
    let answer = answered(
        &funnel,
        200,
        "dashboard/funnel-two-segments.observed-shape.json",
    )
    .await
    .unwrap();
    let segments: Vec<Option<u32>> = answer.steps().map(|step| step.segment).collect();
    assert_eq!(segments, [Some(0), Some(0), Some(1), Some(1)]);
    assert_eq!(answer.extra["numSeries"], 2);
    assert_eq!(answer.data[1].extra["dropoff"]["0"], 20);

    let realtime = answered(
        &GetRealtimeActiveUsers::new(),
        200,
        "dashboard/realtime-null-tail.observed-shape.json",
    )
    .await
    .unwrap();
    assert_eq!(realtime.data.series[0], [Some(131.0), None, None]);

    let sampled = answered(
        &GetEventSegmentation::new(Event::new("Open App"), march()).group_by("country"),
        200,
        "dashboard/segmentation-sampled-cut.observed-shape.json",
    )
    .await
    .unwrap();
    let warnings = sampled.metadata.warnings().join("\n");
    for word in [
        "sampled",
        "prunedResult",
        "hitChunkGroupByLimit",
        "realtimeDataMissing",
    ] {
        assert!(warnings.contains(word), "{word}: {warnings}");
    }

    let users = GetUsers::new(march());
    let unknown = answered(
        &users,
        403,
        "errors/forbidden-unknown-api-key.reference.txt",
    )
    .await
    .unwrap_err();
    assert!(
        unknown.to_string().contains("check the region"),
        "{unknown}"
    );
    let secret = answered(&users, 403, "errors/forbidden-wrong-secret.reference.txt")
        .await
        .unwrap_err();
    assert!(
        secret.to_string().contains("check the secret key"),
        "{secret}"
    );
    let concurrent = answered(&users, 429, "errors/rate-limited-concurrent.reference.json")
        .await
        .unwrap_err();
    assert!(
        matches!(
            concurrent,
            Error::RateLimited {
                limit: Some(amp_transport::amp_model::ExceededLimit::Concurrent),
                cost: Some(415),
                ..
            }
        ),
        "{concurrent}"
    );
}
