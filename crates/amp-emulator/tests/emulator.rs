//! The emulator end to end: the SDK's reqwest transport against an in-process emulator loaded
//! with `fixtures/emulator/events.jsonl`, whose every figure is worked out by hand below.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use amp_dashboard::*;
use amp_emulator::{Config, DemoOptions, Emulator};
use amp_profile::{GetUserProfile, ProfileError, PropensityType, UserProfileQuery};
use amp_transport::{ApiFamily, Body, Client, Endpoint, Error, ErrorKind, Method, NoRetry};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/emulator")
        .join(name)
}

fn config() -> Config {
    Config::from_toml(&std::fs::read_to_string(fixture("project.toml")).unwrap()).unwrap()
}

async fn start(config: Config) -> Emulator {
    Emulator::builder()
        .config(config)
        .data_file(fixture("events.jsonl"))
        .start()
        .await
        .unwrap()
}

fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .api_key("emulator-api-key")
        .secret_key("emulator-secret-key")
        .base_url(emulator.base_url())
        .profile_base_url(emulator.base_url())
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}

fn days(start: &str, end: &str) -> DateRange {
    DateRange::parse(start, end).unwrap()
}

fn first_week() -> DateRange {
    days("20240301", "20240304")
}

// Users (loaded in this order, so Amplitude IDs 100001, 100002, 100003):
// - alice (US, iOS): Open App + Play Song s1 on 03-01 (session 10:00-10:05, 300 s);
//   Open App + Purchase 9.99 on 03-02 (session 09:00-09:30, 1800 s).
// - bob (Germany, Android): Open App + Play Song s2 on 03-02 (12:00-12:01, 60 s);
//   Play Song s1 on 03-04 (a one-event session, 0 s).
// - carol, a device only (France, Web): Open App on 03-04, outside any session.

#[tokio::test]
async fn active_and_new_users_by_day_week_segment_and_group() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    assert_eq!(emulator.counts(), (8, 3));

    let active = client.send(&GetUsers::new(first_week())).await.unwrap();
    assert_eq!(
        active.data.x_values,
        ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    );
    assert_eq!(active.data.series, [[1.0, 2.0, 0.0, 2.0]]);
    assert_eq!(active.data.collapsed(0), Some(3.0));

    let new = client
        .send(&GetUsers::new(first_week()).metric(UsersMetric::New))
        .await
        .unwrap();
    assert_eq!(new.data.series, [[1.0, 1.0, 0.0, 1.0]]);

    let weekly = client
        .send(&GetUsers::new(first_week()).interval(Interval::Weekly))
        .await
        .unwrap();
    assert_eq!(weekly.data.x_values, ["2024-02-26", "2024-03-04"]);
    assert_eq!(weekly.data.series, [[2.0, 2.0]]);

    let by_country = client
        .send(&GetUsers::new(first_week()).group_by("country"))
        .await
        .unwrap();
    let rows: Vec<(String, &str, f64)> = by_country
        .data
        .rows()
        .filter(|row| row.value > 0.0)
        .map(|row| (row.label.into_owned(), row.x, row.value))
        .collect();
    assert_eq!(
        rows,
        [
            ("France".into(), "2024-03-04", 1.0),
            ("Germany".into(), "2024-03-02", 1.0),
            ("Germany".into(), "2024-03-04", 1.0),
            ("United States".into(), "2024-03-01", 1.0),
            ("United States".into(), "2024-03-02", 1.0),
        ]
    );

    let germany = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["Germany"],
    )]);
    let segmented = client
        .send(&GetUsers::new(first_week()).segment(germany))
        .await
        .unwrap();
    assert_eq!(segmented.data.series, [[0.0, 1.0, 0.0, 1.0]]);
    let buyers = Segment::new(vec![Condition::performed(
        "Purchase",
        CountComparator::AtLeast,
        1,
        TimeType::AllTime,
    )]);
    let bought = client
        .send(&GetUsers::new(first_week()).segment(buyers))
        .await
        .unwrap();
    assert_eq!(bought.data.series, [[1.0, 1.0, 0.0, 0.0]]);
    let in_cohort = client
        .send(
            &GetUsers::new(first_week())
                .segment(Segment::new(vec![Condition::in_cohort("listeners")])),
        )
        .await
        .unwrap();
    assert_eq!(
        in_cohort.data.series,
        [[1.0, 2.0, 0.0, 1.0]],
        "alice and bob played songs; carol did not"
    );
}

#[tokio::test]
async fn sessions_composition_and_events_list() {
    let emulator = start(config()).await;
    let client = client(&emulator);

    let lengths = client
        .send(&GetSessionLength::new(first_week()))
        .await
        .unwrap();
    assert_eq!(lengths.data.x_values[0], "0s-3s");
    assert_eq!(lengths.data.x_values[8], "3600s-86400s");
    // 0 s (bob's second), 60 s, 300 s, 1800 s.
    assert_eq!(
        lengths.data.series,
        [[1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]]
    );
    let custom = GetSessionLength::new(first_week())
        .bins(SessionBins::new(BinTimeUnit::Minutes, 0.0, 10.0).size(5.0));
    let custom = client.send(&custom).await.unwrap();
    assert_eq!(custom.data.x_values, ["0s-300s", "300s-600s"]);
    assert_eq!(custom.data.series, [[2.0, 1.0]]);

    let average = client
        .send(&GetAverageSessionLength::new(first_week()))
        .await
        .unwrap();
    assert_eq!(average.data.series, [[300.0, 930.0, 0.0, 0.0]]);
    let per_user = client
        .send(&GetSessionsPerUser::new(first_week()))
        .await
        .unwrap();
    assert_eq!(per_user.data.series, [[1.0, 1.0, 0.0, 1.0]]);

    let platforms = client
        .send(&GetUserComposition::new(first_week(), "platform"))
        .await
        .unwrap();
    assert_eq!(platforms.data.x_values, ["Android", "Web", "iOS"]);
    assert_eq!(platforms.data.series, [[1.0, 1.0, 1.0]]);
    let plans = client
        .send(&GetUserComposition::new(first_week(), "gp:plan"))
        .await
        .unwrap();
    assert_eq!(plans.data.x_values, ["(none)", "premium"]);
    assert_eq!(plans.data.series, [[2.0, 1.0]]);

    // "Now" is Wednesday 2024-03-06: the week so far began on Monday 03-04.
    let events = client.send(&ListEvents::new()).await.unwrap();
    let totals: Vec<(&str, Option<f64>)> = events
        .data
        .iter()
        .map(|event| (event.value.as_str(), event.totals))
        .collect();
    assert_eq!(
        totals,
        [
            ("Open App", Some(1.0)),
            ("Play Song", Some(1.0)),
            ("Purchase", Some(0.0))
        ]
    );
}

#[tokio::test]
async fn user_activity_and_search() {
    let emulator = start(config()).await;
    let client = client(&emulator);

    let found = client.send(&SearchUsers::new("alice")).await.unwrap();
    assert_eq!(found.match_type, MatchType::UserOrDeviceId);
    assert_eq!(found.matches[0].amplitude_id, 100_001);
    assert_eq!(
        client
            .send(&SearchUsers::new("100002"))
            .await
            .unwrap()
            .matches[0]
            .user_id
            .as_deref(),
        Some("bob")
    );
    assert_eq!(
        client
            .send(&SearchUsers::new("d-carol"))
            .await
            .unwrap()
            .matches[0]
            .amplitude_id,
        100_003
    );
    let prefix = client.send(&SearchUsers::new("al")).await.unwrap();
    assert_eq!(
        (prefix.match_type, prefix.matches.len()),
        (MatchType::UserPrefix, 1)
    );
    assert_eq!(
        client
            .send(&SearchUsers::new("zed"))
            .await
            .unwrap()
            .match_type,
        MatchType::NoMatch
    );

    let alice = client.send(&GetUserActivity::new(100_001)).await.unwrap();
    let summary = &alice.user_data;
    assert_eq!(
        (
            summary.num_events,
            summary.num_sessions,
            summary.usage_time,
            summary.purchases
        ),
        (Some(4), Some(2), Some(2_100_000), Some(1))
    );
    assert_eq!(summary.revenue, Some(9.99));
    assert_eq!(summary.first_used.unwrap().to_string(), "2024-03-01");
    assert_eq!(summary.country.as_deref(), Some("United States"));
    let types: Vec<&str> = alice
        .events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(types, ["Purchase", "Open App", "Play Song", "Open App"]);
    let page = client
        .send(
            &GetUserActivity::new(100_001)
                .offset(1)
                .limit(2)
                .direction(ActivityDirection::Earliest),
        )
        .await
        .unwrap();
    let types: Vec<&str> = page
        .events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(types, ["Play Song", "Open App"]);
    assert_eq!(page.events[0].event_properties["song_id"], "s1");
    let nobody = client.send(&GetUserActivity::new(7)).await.unwrap();
    assert_eq!(
        (nobody.user_data.num_events, nobody.events.len()),
        (Some(0), 0)
    );
}

#[tokio::test]
async fn realtime_covers_today_so_far_and_yesterday() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let realtime = client.send(&GetRealtimeActiveUsers::new()).await.unwrap();
    assert_eq!(
        realtime.data.x_values.len(),
        12 * 12 + 1,
        "00:00 to 12:00 in 5-minute steps"
    );
    assert_eq!(
        (
            realtime.data.x_values[0].as_str(),
            realtime.data.x_values[144].as_str()
        ),
        ("00:00", "12:00")
    );
    assert_eq!(realtime.data.label(1), "Yesterday");
    assert!(
        realtime
            .data
            .series
            .iter()
            .flatten()
            .all(|value| *value == 0.0),
        "no event on 03-05 or 03-06 yet"
    );
}

#[tokio::test]
async fn profiles_with_every_parameter() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let query = UserProfileQuery::for_user("alice")
        .user_properties()
        .cohort_ids()
        .all_computations()
        .computations(["missing"])
        .recommendations(["songs"])
        .propensities(["buyer"], PropensityType::Score);
    let profile = client
        .send(&GetUserProfile::new(query))
        .await
        .unwrap()
        .user_data;
    let props = profile.amp_props.clone().unwrap();
    assert_eq!(
        Value::Object(props),
        json!({
            "plan": "premium", "first_used": "2024-03-01", "last_used": "2024-03-02",
            "songs-played": "1", "total-spend": "9.99", "missing": null,
        })
    );
    assert_eq!(
        profile.cohort_ids.as_deref(),
        Some(&["us".to_owned(), "listeners".to_owned()][..])
    );
    let rec = profile.recommendation("songs").unwrap();
    assert_eq!(
        (
            rec.items.clone(),
            rec.is_control,
            rec.recommendation_source.as_deref()
        ),
        (vec!["s2".to_owned()], false, Some("popular-songs"))
    );
    assert_eq!(profile.propensity, Some(0.283_469), "1 - e^(-1/3)");

    let percentile =
        UserProfileQuery::for_device("d-bob").propensities(["buyer"], PropensityType::Pct);
    assert_eq!(
        client
            .send(&GetUserProfile::new(percentile))
            .await
            .unwrap()
            .user_data
            .propensity,
        Some(0.0)
    );
    let two =
        UserProfileQuery::for_user("alice").propensities(["buyer", "buyer"], PropensityType::Pct);
    let two = client
        .send(&GetUserProfile::new(two))
        .await
        .unwrap()
        .user_data;
    assert_eq!(
        (two.propensity, two.propensity_of("buyer")),
        (None, Some(66.0)),
        "alice outscores 2 of 3 users"
    );

    let unknown = client
        .send(&GetUserProfile::new(UserProfileQuery::for_user("nobody")))
        .await
        .unwrap_err();
    assert_eq!(ProfileError::of(&unknown), Some(ProfileError::UnknownUser));
    let wrong_key = Client::builder()
        .secret_key("nope")
        .profile_base_url(emulator.base_url())
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let error = wrong_key
        .send(&GetUserProfile::new(UserProfileQuery::for_user("alice")))
        .await
        .unwrap_err();
    assert_eq!(
        ProfileError::of(&error),
        Some(ProfileError::InvalidSecretKey)
    );
}

/// Sends a raw Dashboard GET and returns its status and body.
async fn raw_get(emulator: &Emulator, path_and_query: &str, basic: Option<&str>) -> (u16, String) {
    let http = reqwest_client();
    let mut request = http.get(format!("{}{path_and_query}", emulator.base_url()));
    if let Some(credentials) = basic {
        let (user, password) = credentials.split_once(':').unwrap();
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn auth_failures_bad_parameters_and_unknown_routes() {
    let emulator = start(config()).await;
    let keys = Some("emulator-api-key:emulator-secret-key");
    let (status, body) = raw_get(&emulator, "/api/2/users?start=20240301&end=20240302", None).await;
    assert_eq!(status, 401);
    assert!(body.contains(r#""http_code":401"#), "{body}");
    assert_eq!(
        raw_get(
            &emulator,
            "/api/2/users?start=20240301&end=20240302",
            Some("emulator-api-key:wrong")
        )
        .await
        .0,
        401
    );
    let bad = [
        ("/api/2/users?start=20240301", "`end`: is required"),
        ("/api/2/users?start=2024-03-01&end=20240302", "YYYYMMDD"),
        (
            "/api/2/users?start=20240305&end=20240302",
            "on or before end",
        ),
        ("/api/2/users?start=20240301&end=20240302&i=-300000", "`i`"),
        (
            "/api/2/users?start=20240301&end=20240302&s=notjson",
            "`s`: is not valid JSON",
        ),
        (
            "/api/2/composition?start=20240301&end=20240302",
            "`p`: is required",
        ),
        (
            "/api/2/useractivity?user=100001&limit=5000",
            "maximum of 1000",
        ),
        ("/api/2/useractivity", "`user`"),
        ("/api/2/usersearch?user=%20", "`user`"),
        ("/api/2/realtime?i=10", "only interval is 5"),
        (
            "/api/2/sessions/length?start=20240301&end=20240302&timeHistogramConfigBinTimeUnit=minutes&timeHistogramConfigBinMin=10&timeHistogramConfigBinMax=5",
            "greater than the minimum",
        ),
    ];
    for (path, words) in bad {
        let (status, body) = raw_get(&emulator, path, keys).await;
        assert_eq!(status, 400, "{path}: {body}");
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["error"]["type"], "invalid", "{path}");
        assert!(
            parsed["error"]["metadata"]["details"]
                .as_str()
                .unwrap()
                .contains(words),
            "{path}: {body}"
        );
    }
    assert_eq!(raw_get(&emulator, "/api/2/nowhere", keys).await.0, 404);
    let (status, body) = raw_get(&emulator, "/v1/userprofile?user_id=alice", None).await;
    assert_eq!(
        (status, body.as_str()),
        (401, "Missing Api-Key in Authorization header")
    );
    // The emulator is still answering after every refusal.
    assert_eq!(
        raw_get(&emulator, "/api/2/users?start=20240301&end=20240302", keys)
            .await
            .0,
        200
    );
}

/// `POST /2/httpapi` as an endpoint defined outside the SDK.
struct Upload(Value);

impl Endpoint for Upload {
    type Response = Value;
    fn name(&self) -> Cow<'static, str> {
        "Upload".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }
    fn method(&self) -> Method {
        Method::Post
    }
    fn path(&self) -> Cow<'_, str> {
        "/2/httpapi".into()
    }
    fn body(&self) -> Option<Body> {
        Body::json(&self.0).ok()
    }
}

#[tokio::test]
async fn ingested_events_are_read_back_and_bad_payloads_change_nothing() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let event = |insert: &str, time: i64| json!({"user_id": "dave", "device_id": "d-dave", "event_type": "Play Song", "time": time, "insert_id": insert, "event_properties": {"song_id": "s9"}, "country": "Japan"});
    let at = 1_709_726_280_000_i64; // 2024-03-06 11:58 UTC, a few minutes before "now".
    let answer = client.send(&Upload(json!({"api_key": "emulator-api-key", "events": [event("a", at), event("b", at + 1000), event("a", at)]}))).await.unwrap();
    assert_eq!(answer["code"], 200);
    assert_eq!(
        answer["events_ingested"], 2,
        "the repeated insert_id is dropped"
    );
    assert!(answer["payload_size_bytes"].as_u64().unwrap() > 100);

    let found = client.send(&SearchUsers::new("dave")).await.unwrap();
    let activity = client
        .send(&GetUserActivity::from(&found.matches[0]))
        .await
        .unwrap();
    assert_eq!(activity.events.len(), 2);
    assert_eq!(
        activity.events[0].event_time.unwrap().timestamp_millis(),
        at + 1000
    );
    let realtime = client.send(&GetRealtimeActiveUsers::new()).await.unwrap();
    assert_eq!(
        realtime.data.series[0][143..=143],
        [1.0],
        "dave is active in the 11:55 slot"
    );

    let counts = emulator.counts();
    for (payload, words) in [
        (
            json!({"api_key": "wrong", "events": [event("c", at)]}),
            "Invalid API key",
        ),
        (json!({"api_key": "emulator-api-key"}), "missing"),
        (
            json!({"api_key": "emulator-api-key", "events": [event("d", at), {"event_type": "x"}]}),
            "invalid fields",
        ),
    ] {
        let error = client.send(&Upload(payload)).await.unwrap_err();
        assert_eq!(error.status(), Some(400));
        assert!(error.to_string().contains(words), "{error}");
    }
    assert_eq!(emulator.counts(), counts, "a refused payload keeps nothing");
}

#[tokio::test]
async fn identify_operations_reach_profiles_and_segments() {
    let emulator = start(config()).await;
    let identification = json!([{"user_id": "bob", "user_properties": {"$set": {"plan": "family"}, "$add": {"karma": 5}, "$append": {"tags": "vip"}}}]);
    let form = format!(
        "api_key=emulator-api-key&identification={}",
        url_encode(&identification.to_string())
    );
    let response = reqwest_client()
        .post(format!("{}/identify", emulator.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let client = client(&emulator);
    let bob = client
        .send(&GetUserProfile::new(
            UserProfileQuery::for_user("bob").user_properties(),
        ))
        .await
        .unwrap()
        .user_data;
    assert_eq!(bob.property("plan"), Some(&json!("family")));
    assert_eq!(bob.property("karma"), Some(&json!(5.0)));
    assert_eq!(bob.property("tags"), Some(&json!(["vip"])));
    let family = Segment::new(vec![Condition::property(
        "gp:plan",
        FilterOperator::Is,
        ["family"],
    )]);
    let users = client
        .send(&GetUsers::new(first_week()).segment(family))
        .await
        .unwrap();
    assert_eq!(users.data.series, [[0.0, 1.0, 0.0, 1.0]]);
    let bad = reqwest_client()
        .post(format!("{}/identify", emulator.base_url()))
        .body("api_key=wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_limit_answers_429_and_scaled_time_restores_it() {
    let mut limited = config();
    limited.limits.profile_per_minute = 3;
    limited.limits.user_lookup_per_hour = 2;
    limited.limits.cost_per_hour = 20;
    limited.limits.time_scale = 3_600.0; // an emulated hour per real second
    let emulator = start(limited).await;
    let client = client(&emulator);

    for _ in 0..3 {
        client
            .send(&GetUserProfile::new(UserProfileQuery::for_user("alice")))
            .await
            .unwrap();
    }
    let throttled = client
        .send(&GetUserProfile::new(UserProfileQuery::for_user("alice")))
        .await
        .unwrap_err();
    assert_eq!(ProfileError::of(&throttled), Some(ProfileError::Throttled));

    client.send(&SearchUsers::new("alice")).await.unwrap();
    client.send(&SearchUsers::new("bob")).await.unwrap();
    let error = client.send(&SearchUsers::new("carol")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(
        error
            .to_string()
            .contains("rate limit of 2 user activity and search queries per hour"),
        "{error}"
    );

    // Each 4-day users query costs 4; the fifth in the hour would make 20 + 4.
    for _ in 0..5 {
        client.send(&GetUsers::new(first_week())).await.unwrap();
    }
    let error = client.send(&GetUsers::new(first_week())).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { cost: Some(4), .. }),
        "{error}"
    );
    assert!(error.to_string().contains("20 cost per hour"), "{error}");

    tokio::time::sleep(Duration::from_millis(1_100)).await; // over an emulated hour
    client.send(&GetUsers::new(first_week())).await.unwrap();
    client.send(&SearchUsers::new("carol")).await.unwrap();
}

#[tokio::test]
async fn concurrent_requests_over_the_limit_get_429() {
    let mut slow = config();
    slow.limits.concurrent_requests = 2;
    slow.faults.latency_ms = 300;
    let emulator = start(slow).await;
    let client = client(&emulator);
    let endpoint = GetUsers::new(first_week());
    let calls = (0..3).map(|_| client.send(&endpoint));
    let results = futures_util::future::join_all(calls).await;
    let refused: Vec<&Error> = results
        .iter()
        .filter_map(|result| result.as_ref().err())
        .collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert!(
        refused[0]
            .to_string()
            .contains("concurrent limit of 2 requests"),
        "{}",
        refused[0]
    );
}

#[tokio::test]
async fn injected_faults_reach_the_client() {
    let mut faulty = config();
    faulty.faults.rate_503 = 1.0;
    let emulator = start(faulty).await;
    assert_eq!(
        client(&emulator)
            .send(&ListEvents::new())
            .await
            .unwrap_err()
            .status(),
        Some(503)
    );

    let mut truncating = config();
    truncating.faults.truncate_rate = 1.0;
    let emulator = start(truncating).await;
    assert_eq!(
        client(&emulator)
            .send(&ListEvents::new())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Decode
    );

    let mut resetting = config();
    resetting.faults.reset_rate = 1.0;
    let emulator = start(resetting).await;
    assert_eq!(
        client(&emulator)
            .send(&ListEvents::new())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Transport
    );
}

#[tokio::test]
async fn the_demo_loads_the_same_for_a_seed_and_export_archives_load() {
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    let options = DemoOptions::new(50, 10, as_of);
    let one = Emulator::builder()
        .demo(options.clone())
        .start()
        .await
        .unwrap();
    let two = Emulator::builder()
        .demo(options.clone())
        .start()
        .await
        .unwrap();
    assert_eq!(one.counts(), two.counts());
    let range = days("20240322", "20240331");
    let users = |emulator: &Emulator| {
        let client = Client::builder()
            .api_key("emulator-api-key")
            .secret_key("emulator-secret-key")
            .base_url(emulator.base_url())
            .build()
            .unwrap();
        async move {
            client
                .send(&GetUsers::new(range))
                .await
                .unwrap()
                .data
                .series
        }
    };
    assert_eq!(users(&one).await, users(&two).await);

    // An Export API archive: a zip of gzipped JSON Lines.
    let folder = std::env::temp_dir().join(format!("amp-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let dumped = folder.join("demo.jsonl");
    Emulator::dump_demo(&options, &dumped).unwrap();
    let archive = folder.join("export.zip");
    write_export_zip(&std::fs::read(&dumped).unwrap(), &archive);
    let from_zip = Emulator::builder()
        .data_file(&archive)
        .start()
        .await
        .unwrap();
    assert_eq!(from_zip.counts(), one.counts());
    assert_eq!(users(&from_zip).await, users(&one).await);
    std::fs::remove_dir_all(&folder).ok();
}

fn write_export_zip(lines: &[u8], path: &Path) {
    use std::io::Write as _;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(lines).unwrap();
    let gzipped = gzip.finish().unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    zip.start_file(
        "374182/374182_2024-03-31_0#0.json.gz",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(&gzipped).unwrap();
    zip.finish().unwrap();
}
