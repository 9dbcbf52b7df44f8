//! The emulator end to end: the SDK's reqwest transport against an in-process emulator loaded
//! with `fixtures/emulator/events.jsonl`, whose every figure is worked out by hand below.

// The figures are exact by construction (counts, or rounded to cents by the emulator).
#![allow(clippy::float_cmp)]

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use amp_dashboard::*;
use amp_emulator::{Config, DemoOptions, Emulator};
use amp_profile::{GetUserProfile, ProfileError, PropensityType, UserProfileQuery};
use amp_transport::{ApiFamily, Body, Client, Endpoint, Error, ErrorKind, Method, NoRetry};
use serde_json::{Value, json};

#[path = "emulator/export.rs"]
mod export;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/generated.rs"]
mod generated;
#[path = "emulator/ingestion.rs"]
mod ingestion;
#[path = "emulator/segments.rs"]
mod segments;
#[path = "emulator/state.rs"]
mod state;
#[path = "emulator/strict.rs"]
mod strict;
#[path = "emulator/timeline.rs"]
mod timeline;

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

/// A series' values, every one present: the emulator sends `null` only for realtime's future.
fn filled(series: &Series) -> Vec<Vec<f64>> {
    series
        .series
        .iter()
        .map(|row| {
            row.iter()
                .map(|value| value.expect("a value, not null"))
                .collect()
        })
        .collect()
}

fn days(start: &str, end: &str) -> DateRange {
    DateRange::parse(start, end).unwrap()
}

/// The segment of users in `country` (at each event).
fn country_is(country: &str) -> Segment {
    Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        [country],
    )])
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
// - dave, who moves and upgrades (a month before the others): `emulator/timeline.rs`.

#[tokio::test]
async fn active_and_new_users_by_day_week_segment_and_group() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    assert_eq!(emulator.counts(), (12, 4));

    let active = client.send(&GetUsers::new(first_week())).await.unwrap();
    assert_eq!(
        active.data.x_values,
        ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    );
    assert_eq!(filled(&active.data), [[1.0, 2.0, 0.0, 2.0]]);
    assert_eq!(active.data.collapsed(0), Some(3.0));

    let new = client
        .send(&GetUsers::new(first_week()).metric(UsersMetric::New))
        .await
        .unwrap();
    assert_eq!(filled(&new.data), [[1.0, 1.0, 0.0, 1.0]]);

    let weekly = client
        .send(&GetUsers::new(first_week()).interval(Interval::Weekly))
        .await
        .unwrap();
    assert_eq!(weekly.data.x_values, ["2024-02-26", "2024-03-04"]);
    assert_eq!(filled(&weekly.data), [[2.0, 2.0]]);

    let by_country = client
        .send(&GetUsers::new(first_week()).group_by("country"))
        .await
        .unwrap();
    let rows: Vec<(String, &str, f64)> = by_country
        .data
        .rows()
        .filter(|row| row.value > Some(0.0))
        .map(|row| (row.label.into_owned(), row.x, row.value.unwrap()))
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
    assert_eq!(filled(&segmented.data), [[0.0, 1.0, 0.0, 1.0]]);
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
    assert_eq!(filled(&bought.data), [[1.0, 1.0, 0.0, 0.0]]);
    let in_cohort = client
        .send(
            &GetUsers::new(first_week())
                .segment(Segment::new(vec![Condition::in_cohort("listeners")])),
        )
        .await
        .unwrap();
    assert_eq!(
        filled(&in_cohort.data),
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
        filled(&lengths.data),
        [[1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]]
    );
    let custom = GetSessionLength::new(first_week())
        .bins(SessionBins::new(BinTimeUnit::Minutes, 0.0, 10.0).size(5.0));
    let custom = client.send(&custom).await.unwrap();
    assert_eq!(custom.data.x_values, ["0s-300s", "300s-600s"]);
    assert_eq!(filled(&custom.data), [[2.0, 1.0]]);

    let average = client
        .send(&GetAverageSessionLength::new(first_week()))
        .await
        .unwrap();
    assert_eq!(filled(&average.data), [[300.0, 930.0, 0.0, 0.0]]);
    let per_user = client
        .send(&GetSessionsPerUser::new(first_week()))
        .await
        .unwrap();
    assert_eq!(filled(&per_user.data), [[1.0, 1.0, 0.0, 1.0]]);

    let platforms = client
        .send(&GetUserComposition::new(first_week(), "platform"))
        .await
        .unwrap();
    assert_eq!(platforms.data.x_values, ["Android", "Web", "iOS"]);
    assert_eq!(filled(&platforms.data), [[1.0, 1.0, 1.0]]);
    let plans = client
        .send(&GetUserComposition::new(first_week(), "gp:plan"))
        .await
        .unwrap();
    assert_eq!(plans.data.x_values, ["(none)", "premium"]);
    assert_eq!(filled(&plans.data), [[2.0, 1.0]]);

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
async fn realtime_covers_today_and_yesterday_with_nulls_still_to_come() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let realtime = client.send(&GetRealtimeActiveUsers::new()).await.unwrap();
    assert_eq!(
        realtime.data.x_values.len(),
        24 * 12,
        "00:00 to 23:55 in 5-minute steps"
    );
    assert_eq!(
        (
            realtime.data.x_values[0].as_str(),
            realtime.data.x_values[144].as_str(),
            realtime.data.x_values[287].as_str()
        ),
        ("00:00", "12:00", "23:55")
    );
    assert_eq!(realtime.data.label(1), "Yesterday");
    let [today, yesterday] = &realtime.data.series[..] else {
        panic!("today and yesterday: {:?}", realtime.data.series)
    };
    assert!(
        today[..=144].iter().all(|value| *value == Some(0.0)),
        "no event on 03-06 up to now (12:00): {today:?}"
    );
    assert!(
        today[145..].iter().all(Option::is_none),
        "the intervals still to come are null: {today:?}"
    );
    assert!(
        yesterday.iter().all(|value| *value == Some(0.0)),
        "yesterday is all past, and had no event: {yesterday:?}"
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
    assert_eq!(profile.propensity, Some(Some(0.283_469)), "1 - e^(-1/3)");

    let percentile =
        UserProfileQuery::for_device("d-bob").propensities(["buyer"], PropensityType::Pct);
    assert_eq!(
        client
            .send(&GetUserProfile::new(percentile))
            .await
            .unwrap()
            .user_data
            .propensity,
        Some(Some(0.0))
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
        (Some(None), Some(75.0)),
        "alice outscores 3 of 4 users; several predictions send `propensity: null`"
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
        .await,
        (403, "Invalid API/Secret Key combination".to_owned())
    );
    assert_eq!(
        raw_get(
            &emulator,
            "/api/2/users?start=20240301&end=20240302",
            Some("another-project:emulator-secret-key")
        )
        .await,
        (403, "Invalid API Key".to_owned())
    );
    // Through the client, each says what to check.
    let wrong_key = |key: &str, secret: &str| {
        Client::builder()
            .api_key(key)
            .secret_key(secret)
            .base_url(emulator.base_url())
            .retry_policy(NoRetry)
            .build()
            .unwrap()
    };
    let error = wrong_key("emulator-api-key", "wrong")
        .send(&GetUsers::new(first_week()))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("check the secret key"),
        "{error}"
    );
    let error = wrong_key("eu-project-key", "emulator-secret-key")
        .send(&GetUsers::new(first_week()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("check the region"), "{error}");
    let bad = [
        ("/api/2/users?start=20240301", "`end` is required"),
        ("/api/2/users?start=2024-03-01&end=20240302", "YYYYMMDD"),
        (
            "/api/2/users?start=20240305&end=20240302",
            "on or before end",
        ),
        ("/api/2/users?start=20240301&end=20240302&i=-300000", "`i`"),
        (
            "/api/2/users?start=20240301&end=20240302&s=notjson",
            "`s=notjson` is not valid: not valid JSON",
        ),
        (
            "/api/2/composition?start=20240301&end=20240302",
            "`p` is required",
        ),
        (
            "/api/2/useractivity?user=100001&limit=5000",
            "maximum of 1000",
        ),
        ("/api/2/useractivity", "`user`"),
        ("/api/2/usersearch?user=%20", "`user`"),
        ("/api/2/realtime?i=10", "the only value accepted is 5"),
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
    let event = |insert: &str, time: i64| json!({"user_id": "dave1", "device_id": "d-dave", "event_type": "Play Song", "time": time, "insert_id": insert, "event_properties": {"song_id": "s9"}, "country": "Japan"});
    let at = 1_709_726_280_000_i64; // 2024-03-06 11:58 UTC, a few minutes before "now".
    let answer = client.send(&Upload(json!({"api_key": "emulator-api-key", "events": [event("a", at), event("b", at + 1000), event("a", at)]}))).await.unwrap();
    assert_eq!(answer["code"], 200);
    assert_eq!(
        answer["events_ingested"], 2,
        "the repeated insert_id is dropped"
    );
    assert!(answer["payload_size_bytes"].as_u64().unwrap() > 100);

    let found = client.send(&SearchUsers::new("dave1")).await.unwrap();
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
        [Some(1.0)],
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
    // The identify call came "now": bob's past events keep the plan they had.
    let users = client
        .send(&GetUsers::new(first_week()).segment(family))
        .await
        .unwrap();
    assert_eq!(filled(&users.data), [[0.0, 0.0, 0.0, 0.0]]);
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
    // Profiles at real speed: four requests always fall within one minute.
    let mut per_minute = config();
    per_minute.limits.profile_per_minute = 3;
    let emulator = start(per_minute).await;
    let profiles = client(&emulator);
    let alice = GetUserProfile::new(UserProfileQuery::for_user("alice"));
    for _ in 0..3 {
        profiles.send(&alice).await.unwrap();
    }
    let throttled = profiles.send(&alice).await.unwrap_err();
    assert_eq!(ProfileError::of(&throttled), Some(ProfileError::Throttled));

    // Hourly limits with an emulated hour of 5 real seconds: ample for the requests below,
    // short enough to wait out.
    let mut hourly = config();
    hourly.limits.user_lookup_per_hour = 2;
    hourly.limits.cost_per_hour = 20;
    hourly.limits.time_scale = 720.0;
    let emulator = start(hourly).await;
    let client = client(&emulator);
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

    // Each 4-day users query costs 4; a sixth in the hour would make 20 + 4.
    for _ in 0..5 {
        client.send(&GetUsers::new(first_week())).await.unwrap();
    }
    let error = client.send(&GetUsers::new(first_week())).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::RateLimited {
                limit: Some(amp_model::ExceededLimit::Rate),
                cost: Some(4),
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("20 cost per hour"), "{error}");

    tokio::time::sleep(Duration::from_millis(5_200)).await; // over an emulated hour
    client.send(&GetUsers::new(first_week())).await.unwrap();
    client.send(&SearchUsers::new("carol")).await.unwrap();
}

#[tokio::test]
async fn concurrent_requests_over_the_limit_get_429() {
    let mut slow = config();
    slow.limits.concurrent_requests = 2;
    slow.faults.latency_ms = 800;
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
        matches!(
            refused[0],
            Error::RateLimited {
                limit: Some(amp_model::ExceededLimit::Concurrent),
                cost: Some(4),
                ..
            }
        ),
        "{}",
        refused[0]
    );
    assert!(
        refused[0].to_string().contains("over the concurrent limit"),
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

/// Sends a segmentation and returns (labels, series, collapsed totals).
async fn segmentation(
    client: &Client,
    query: GetEventSegmentation,
) -> (Vec<String>, Vec<Vec<f64>>, Vec<f64>) {
    let response = client.send(&query).await.unwrap().data;
    let labels = (0..response.series.len())
        .map(|index| response.label(index).into_owned())
        .collect();
    let totals = (0..response.series.len())
        .map(|index| response.collapsed(index).unwrap())
        .collect();
    (labels, filled(&response), totals)
}

fn rounded(series: &[Vec<f64>]) -> Vec<Vec<f64>> {
    series
        .iter()
        .map(|row| {
            row.iter()
                .map(|value| (value * 1000.0).round() / 1000.0)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn segmentation_metrics_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let plays = || Event::new("Play Song");
    let seg = |event: Event| GetEventSegmentation::new(event, first_week());

    let (labels, series, totals) = segmentation(&client, seg(plays())).await;
    assert_eq!(
        (labels, series, totals),
        (
            vec![String::new()],
            vec![vec![1.0, 1.0, 0.0, 1.0]],
            vec![2.0]
        )
    );
    let (_, series, totals) =
        segmentation(&client, seg(plays()).metric(SegmentationMetric::Totals)).await;
    assert_eq!(
        (series, totals),
        (vec![vec![1.0, 1.0, 0.0, 1.0]], vec![3.0])
    );
    let (_, series, _) = segmentation(&client, seg(Event::new("_active"))).await;
    assert_eq!(series, [[1.0, 2.0, 0.0, 2.0]]);
    let (_, series, totals) =
        segmentation(&client, seg(plays()).metric(SegmentationMetric::PctDau)).await;
    assert_eq!(
        (series, rounded(&[totals])),
        (vec![vec![100.0, 50.0, 0.0, 50.0]], vec![vec![66.667]])
    );
    let (_, series, _) = segmentation(
        &client,
        seg(Event::new("Open App")).metric(SegmentationMetric::Average),
    )
    .await;
    assert_eq!(series, [[1.0, 1.0, 0.0, 1.0]]);
}

#[tokio::test]
async fn segmentation_groups_and_property_metrics_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let plays = || Event::new("Play Song");
    let seg = |event: Event| GetEventSegmentation::new(event, first_week());

    let (labels, series, _) =
        segmentation(&client, seg(plays().group_by(GroupBy::event("genre")))).await;
    assert_eq!(
        (labels, series),
        (
            vec!["jazz".to_owned(), "rock".to_owned()],
            vec![vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 1.0, 0.0, 0.0]]
        )
    );
    let (labels, series, _) =
        segmentation(&client, seg(Event::new("_active")).group_by("country")).await;
    assert_eq!(labels, ["France", "Germany", "United States"]);
    assert_eq!(
        series,
        [
            [0.0, 0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0, 1.0],
            [1.0, 1.0, 0.0, 0.0]
        ]
    );
    let (labels, _, _) = segmentation(
        &client,
        seg(Event::new("_active")).group_by("country").limit(1),
    )
    .await;
    assert_eq!(labels, ["France"]);

    let price = Event::new("Purchase").group_by(GroupBy::event("price"));
    let (_, series, totals) =
        segmentation(&client, seg(price.clone()).metric(SegmentationMetric::Sums)).await;
    assert_eq!(
        (series, totals),
        (vec![vec![0.0, 9.99, 0.0, 0.0]], vec![9.99])
    );
    let (_, series, _) =
        segmentation(&client, seg(price).metric(SegmentationMetric::ValueAvg)).await;
    assert_eq!(series, [[0.0, 9.99, 0.0, 0.0]]);
    let revenue = Event::new("revenue_amount").group_by(GroupBy::event("revenue"));
    let (_, series, _) = segmentation(&client, seg(revenue).metric(SegmentationMetric::Sums)).await;
    assert_eq!(series, [[0.0, 9.99, 0.0, 0.0]]);
    let (labels, series, _) = segmentation(
        &client,
        seg(plays().group_by(GroupBy::event("genre"))).metric(SegmentationMetric::Histogram),
    )
    .await;
    assert_eq!(
        (labels, series),
        (
            vec!["jazz".to_owned(), "rock".to_owned()],
            vec![vec![1.0, 0.0, 0.0, 1.0], vec![0.0, 1.0, 0.0, 0.0]]
        )
    );
}

#[tokio::test]
async fn segmentation_formulas_windows_intervals_and_filters_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let plays = || Event::new("Play Song");
    let seg = |event: Event| GetEventSegmentation::new(event, first_week());

    let formula = seg(plays())
        .second_event(Event::new("_active"))
        .metric(SegmentationMetric::Formula)
        .formula("TOTALS(A)/UNIQUES(B)");
    let (_, series, totals) = segmentation(&client, formula).await;
    assert_eq!(
        (series, totals),
        (vec![vec![1.0, 0.5, 0.0, 0.5]], vec![1.0])
    );
    let (labels, series, _) =
        segmentation(&client, seg(plays()).second_event(Event::new("Open App"))).await;
    assert_eq!(labels.len(), 2);
    assert_eq!(series, [[1.0, 1.0, 0.0, 1.0], [1.0, 2.0, 0.0, 1.0]]);

    let (_, series, _) = segmentation(&client, seg(Event::new("_active")).rolling_window(2)).await;
    assert_eq!(series, [[1.0, 2.0, 2.0, 2.0]]);
    let (_, series, _) = segmentation(&client, seg(Event::new("_active")).rolling_average(2)).await;
    assert_eq!(series, [[1.0, 1.5, 1.0, 1.0]]);
    let weekly = client
        .send(&seg(Event::new("_active")).interval(Interval::Weekly))
        .await
        .unwrap()
        .data;
    assert_eq!(
        (filled(&weekly), weekly.x_values),
        (
            vec![vec![2.0, 2.0]],
            vec!["2024-02-26".to_owned(), "2024-03-04".to_owned()]
        )
    );
    let hourly = client
        .send(
            &GetEventSegmentation::new(Event::new("_active"), days("20240301", "20240301"))
                .interval(Interval::Hourly),
        )
        .await
        .unwrap()
        .data;
    let hourly = &filled(&hourly)[0];
    assert_eq!(
        (
            hourly.len(),
            hourly[10..=10].to_vec(),
            hourly.iter().sum::<f64>()
        ),
        (24, vec![1.0], 1.0)
    );

    let germany = Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        ["Germany"],
    )]);
    let (_, series, _) = segmentation(&client, seg(Event::new("_active")).segment(germany)).await;
    assert_eq!(series, [[0.0, 1.0, 0.0, 1.0]]);
    let jazz = plays().filter(Filter::event("genre", FilterOperator::Is, ["jazz"]));
    assert_eq!(
        segmentation(&client, seg(jazz)).await.1,
        [[1.0, 0.0, 0.0, 1.0]]
    );
    let android = plays().filter(Filter::user("platform", FilterOperator::Is, ["Android"]));
    assert_eq!(
        segmentation(&client, seg(android)).await.1,
        [[0.0, 1.0, 0.0, 1.0]]
    );

    let week_hourly =
        GetEventSegmentation::new(Event::new("_active"), days("20240301", "20240308"))
            .interval(Interval::Hourly);
    assert!(
        client
            .send(&week_hourly)
            .await
            .unwrap_err()
            .to_string()
            .contains("at most 7 days")
    );
}

/// What a reference needs of an event: user, type, day index, genre, country, time (ms after
/// 2024-03-01) and revenue (0 without).
type Fact = (u32, &'static str, u32, &'static str, &'static str, i64, f64);

/// A random dataset and the facts of each of its events.
fn random_dataset(seed: u64) -> (Vec<String>, Vec<Fact>) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut roll = |bound: u64| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        usize::try_from(state.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound).unwrap()
    };
    let types = ["Open App", "Play Song", "Purchase"];
    let genres = ["jazz", "rock", "pop"];
    let countries = ["France", "Japan", "Brazil"];
    let users = 3 + roll(6) as u64;
    let user_country: Vec<&str> = (0..users).map(|_| countries[roll(3)]).collect();
    let mut lines = Vec::new();
    let mut facts = Vec::new();
    for _ in 0..(10 + roll(50)) {
        let user = u32::try_from(roll(users)).unwrap();
        let kind = types[roll(3)];
        let genre = genres[roll(3)];
        let day = u32::try_from(roll(14)).unwrap();
        let second = roll(86_400);
        let time = format!(
            "2024-03-{:02} {:02}:{:02}:{:02}.000000",
            day + 1,
            second / 3600,
            second / 60 % 60,
            second % 60
        );
        // A user mostly stays at home; one event in four comes from wherever they are.
        let country = if roll(4) == 0 {
            countries[roll(3)]
        } else {
            user_country[user as usize]
        };
        let revenue = if kind == "Purchase" {
            f64::from(u32::try_from(1 + roll(20)).unwrap())
        } else {
            0.0
        };
        let mut line = json!({"user_id": format!("u{user}"), "event_type": kind, "event_time": time, "country": country, "event_properties": {"genre": genre}});
        if revenue > 0.0 {
            line["revenue"] = json!(revenue);
        }
        lines.push(line.to_string());
        facts.push((
            user,
            kind,
            day,
            genre,
            country,
            i64::from(day) * 86_400_000 + i64::try_from(second).unwrap() * 1000,
            revenue,
        ));
    }
    (lines, facts)
}

/// The obviously correct answer: for each group and bucket, filter the facts and count. A
/// segment on `country` and a group-by on it read each event's country.
#[allow(clippy::cast_precision_loss, reason = "a few dozen events")]
fn reference(
    facts: &[Fact],
    kind: &str,
    genre: Option<&str>,
    by_country: bool,
    in_country: Option<&str>,
    weekly: bool,
    metric: &str,
) -> Vec<(String, Vec<f64>)> {
    let facts: Vec<Fact> = facts
        .iter()
        .filter(|fact| in_country.is_none_or(|country| fact.4 == country))
        .copied()
        .collect();
    let facts = &facts[..];
    // 2024-03-01 is a Friday: weekly buckets are 03-01..03-03, 03-04..03-10, 03-11..03-14.
    let bucket_of = |day: u32| {
        if weekly {
            [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2][day as usize]
        } else {
            day as usize
        }
    };
    let buckets = if weekly { 3 } else { 14 };
    // A group is a series when it has a matching event in the range.
    let groups: BTreeSet<&str> = facts
        .iter()
        .filter(|fact| {
            (kind == "_all" || fact.1 == kind) && genre.is_none_or(|genre| fact.3 == genre)
        })
        .map(|fact| fact.4)
        .collect();
    let groups: Vec<&str> = if by_country {
        groups.into_iter().collect()
    } else {
        vec![""]
    };
    groups
        .into_iter()
        .map(|group| {
            let values = (0..buckets)
                .map(|bucket| {
                    let chosen: Vec<_> = facts
                        .iter()
                        .filter(|fact| bucket_of(fact.2) == bucket)
                        .filter(|fact| kind == "_all" || fact.1 == kind)
                        .filter(|fact| genre.is_none_or(|genre| fact.3 == genre))
                        .filter(|fact| !by_country || fact.4 == group)
                        .collect();
                    let users: BTreeSet<u32> = chosen.iter().map(|fact| fact.0).collect();
                    let active: BTreeSet<u32> = facts
                        .iter()
                        .filter(|fact| bucket_of(fact.2) == bucket)
                        .map(|fact| fact.0)
                        .collect();
                    let (users, events, active) =
                        (users.len() as f64, chosen.len() as f64, active.len() as f64);
                    match metric {
                        "totals" => events,
                        "average" => {
                            if users == 0.0 {
                                0.0
                            } else {
                                events / users
                            }
                        }
                        "pct_dau" => {
                            if active == 0.0 {
                                0.0
                            } else {
                                users * 100.0 / active
                            }
                        }
                        _ => users,
                    }
                })
                .collect();
            (group.to_owned(), values)
        })
        .collect()
}

#[tokio::test]
async fn segmentation_matches_a_naive_reference_on_random_data() {
    let mut cases = 0;
    for seed in 1..=12_u64 {
        let (lines, facts) = random_dataset(seed);
        let emulator = Emulator::builder().events(lines).start().await.unwrap();
        let client = client(&emulator);
        for variant in 0..30_u64 {
            let kind = ["_all", "Open App", "Play Song", "Purchase"][(variant % 4) as usize];
            let metric = ["uniques", "totals", "average", "pct_dau"][(variant / 4 % 4) as usize];
            let genre = (variant % 3 == 0).then_some("jazz");
            let by_country = variant % 2 == 1;
            let in_country = (variant % 7 < 3).then_some("France");
            let weekly = variant % 5 == 0;
            let mut event = Event::new(kind);
            if let Some(genre) = genre {
                event = event.filter(Filter::event("genre", FilterOperator::Is, [genre]));
            }
            let mut query = GetEventSegmentation::new(event, days("20240301", "20240314"))
                .metric(metric.parse().unwrap());
            if by_country {
                query = query.group_by("country");
            }
            if let Some(country) = in_country {
                query = query.segment(country_is(country));
            }
            if weekly {
                query = query.interval(Interval::Weekly);
            }
            let (labels, series, _) = segmentation(&client, query).await;
            let mut actual: Vec<(String, Vec<f64>)> =
                labels.into_iter().zip(rounded(&series)).collect();
            actual.sort_by(|a, b| a.0.cmp(&b.0));
            let expected: Vec<(String, Vec<f64>)> =
                reference(&facts, kind, genre, by_country, in_country, weekly, metric)
                    .into_iter()
                    .map(|(group, values)| (group, rounded(&[values]).remove(0)))
                    .collect();
            assert_eq!(
                actual, expected,
                "seed {seed}, {kind} {metric} genre={genre:?} by_country={by_country} in {in_country:?} weekly={weekly}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 360);
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one worked example per mode")]
async fn funnels_in_every_mode_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let steps = |names: &[&str]| {
        names
            .iter()
            .map(|name| Event::new(*name))
            .collect::<Vec<_>>()
    };
    let raw = |response: &FunnelResponse| {
        response
            .data
            .iter()
            .map(|funnel| funnel.cumulative_raw.clone())
            .collect::<Vec<_>>()
    };

    let two = client
        .send(&GetFunnel::new(
            steps(&["Open App", "Play Song"]),
            first_week(),
        ))
        .await
        .unwrap();
    let funnel = &two.data[0];
    assert_eq!(funnel.events, ["Open App", "Play Song"]);
    assert_eq!(funnel.cumulative_raw, [3.0, 2.0]);
    assert_eq!(
        rounded(&[funnel.cumulative.clone(), funnel.step_by_step.clone()]),
        [[1.0, 0.667], [1.0, 0.667]]
    );
    assert_eq!(
        (
            funnel.median_trans_times.clone(),
            funnel.avg_trans_times.clone()
        ),
        (vec![0.0, 60_000.0], vec![0.0, 180_000.0])
    );
    let per_day = funnel.day_funnels.as_ref().unwrap();
    assert_eq!(
        per_day.series,
        [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    );
    assert_eq!(
        (
            per_day.x_values[0].as_str(),
            per_day.formatted_x_values[0].as_str()
        ),
        ("2024-03-01", "Mar 1")
    );

    let three = client
        .send(&GetFunnel::new(
            steps(&["Open App", "Play Song", "Purchase"]),
            first_week(),
        ))
        .await
        .unwrap();
    assert_eq!(raw(&three), [[3.0, 2.0, 1.0]]);
    let sequential =
        GetFunnel::new(steps(&["Open App", "Purchase"]), first_week()).mode(FunnelMode::Sequential);
    assert_eq!(raw(&client.send(&sequential).await.unwrap()), [[3.0, 1.0]]);
    let hour = client
        .send(
            &GetFunnel::new(steps(&["Open App", "Purchase"]), first_week())
                .conversion_window_secs(3_600),
        )
        .await
        .unwrap();
    assert_eq!(
        (raw(&hour), hour.data[0].median_trans_times.clone()),
        (vec![vec![3.0, 1.0]], vec![0.0, 1_800_000.0])
    );
    let unordered =
        GetFunnel::new(steps(&["Play Song", "Open App"]), first_week()).mode(FunnelMode::Unordered);
    assert_eq!(raw(&client.send(&unordered).await.unwrap()), [[2.0, 1.0]]);

    let grouped = client
        .send(&GetFunnel::new(steps(&["Open App", "Play Song"]), first_week()).group_by("country"))
        .await
        .unwrap();
    assert_eq!(grouped.data.len(), 3);
    assert_eq!(
        grouped
            .steps()
            .filter(|step| step.step == 1)
            .map(|step| step.users.unwrap())
            .collect::<Vec<_>>(),
        [0.0, 1.0, 1.0]
    );
    let labels: Vec<String> = grouped
        .data
        .iter()
        .map(|funnel| {
            serde_json::to_value(&funnel.group_value)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(labels, ["France", "Germany", "United States"]);
    let new = GetFunnel::new(
        steps(&["Open App", "Play Song"]),
        days("20240302", "20240304"),
    )
    .user_type(FunnelUserType::New);
    assert_eq!(raw(&client.send(&new).await.unwrap()), [[2.0, 1.0]]);
}

/// How far one user gets from `entry`, trying every choice of later events (ordered mode).
fn deepest(events: &[(i64, &str)], steps: &[&str], at: usize, step: usize, deadline: i64) -> usize {
    if step == steps.len() {
        return step;
    }
    (at + 1..events.len())
        .filter(|&next| {
            events[next].0 <= deadline && (steps[step] == "_all" || events[next].1 == steps[step])
        })
        .map(|next| deepest(events, steps, next, step + 1, deadline))
        .max()
        .unwrap_or(step)
}

/// The obviously correct funnel: users reaching each step, entering only at a first step done in
/// `in_country` (when given).
fn reference_funnel(
    facts: &[Fact],
    steps: &[&str],
    mode: &FunnelMode,
    window_ms: i64,
    in_country: Option<&str>,
) -> Vec<f64> {
    let matches = |kind: &str, step: &str| step == "_all" || kind == step;
    let users: BTreeSet<u32> = facts.iter().map(|fact| fact.0).collect();
    let mut reached = vec![0.0; steps.len()];
    for user in users {
        let mut events: Vec<(i64, usize, &str, &str)> = facts
            .iter()
            .enumerate()
            .filter(|(_, fact)| fact.0 == user)
            .map(|(index, fact)| (fact.5, index, fact.1, fact.4))
            .collect();
        events.sort_unstable();
        let entries: Vec<bool> = events
            .iter()
            .map(|event| in_country.is_none_or(|country| event.3 == country))
            .collect();
        let events: Vec<(i64, &str)> = events
            .into_iter()
            .map(|(time, _, kind, _)| (time, kind))
            .collect();
        let best = (0..events.len())
            .filter(|&entry| entries[entry] && matches(events[entry].1, steps[0]))
            .map(|entry| match mode {
                FunnelMode::Sequential => {
                    1 + (1..steps.len())
                        .take_while(|&step| {
                            events.get(entry + step).is_some_and(|event| {
                                matches(event.1, steps[step])
                                    && event.0 <= events[entry].0 + window_ms
                            })
                        })
                        .count()
                }
                FunnelMode::Unordered => {
                    let deadline = events[entry].0 + window_ms / 86_400_000 * 86_400_000;
                    let inside = &events[entry..];
                    1 + (1..steps.len())
                        .take_while(|&step| {
                            inside
                                .iter()
                                .any(|event| event.0 <= deadline && matches(event.1, steps[step]))
                        })
                        .count()
                }
                _ => deepest(&events, steps, entry, 1, events[entry].0 + window_ms),
            })
            .max();
        for count in reached.iter_mut().take(best.unwrap_or(0)) {
            *count += 1.0;
        }
    }
    reached
}

#[tokio::test]
async fn funnels_match_a_naive_reference_on_random_data() {
    let kinds = ["Open App", "Play Song", "Purchase", "_all"];
    let mut cases = 0;
    for seed in 100..112_u64 {
        let (lines, facts) = random_dataset(seed);
        let emulator = Emulator::builder().events(lines).start().await.unwrap();
        let client = client(&emulator);
        for variant in 0..30_usize {
            let steps: Vec<&str> = (0..2 + variant % 3)
                .map(|step| kinds[(variant * 7 + step * 3) % 4])
                .collect();
            let mode = [
                FunnelMode::Ordered,
                FunnelMode::Sequential,
                FunnelMode::Unordered,
            ][variant % 3]
                .clone();
            let window_secs = [3_600_u64, 86_400, 2_592_000][variant / 3 % 3];
            let in_country = (variant % 4 == 1).then_some("Japan");
            let mut query = GetFunnel::new(
                steps.iter().map(|step| Event::new(*step)).collect(),
                days("20240301", "20240314"),
            )
            .mode(mode.clone())
            .conversion_window_secs(window_secs);
            if let Some(country) = in_country {
                query = query.segment(country_is(country));
            }
            let answer = client.send(&query).await.unwrap();
            let expected = reference_funnel(
                &facts,
                &steps,
                &mode,
                i64::try_from(window_secs).unwrap() * 1000,
                in_country,
            );
            assert_eq!(
                answer.data[0].cumulative_raw, expected,
                "seed {seed}: {steps:?} {mode} {window_secs}s in {in_country:?}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 360);
}

fn counts(cells: &[RetentionCell]) -> Vec<u64> {
    cells.iter().map(|cell| cell.count).collect()
}

#[tokio::test]
async fn retention_in_every_mode_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let new_users = GetRetention::new(Event::new("_new"), Event::new("_all"), first_week());
    let answer = client.send(&new_users).await.unwrap().data;
    let series = &answer.series[0];
    assert_eq!(series.dates, ["Mar 4", "Mar 3", "Mar 2", "Mar 1"]);
    // Cohort, then day 0 to day 3: alice (03-01), bob (03-02), carol (03-04).
    assert_eq!(counts(&series.values["Mar 1"]), [1, 1, 1, 0, 0]);
    assert_eq!(counts(&series.values["Mar 2"]), [1, 1, 0, 1, 0]);
    assert_eq!(counts(&series.values["Mar 3"]), [0, 0, 0, 0, 0]);
    assert_eq!(counts(&series.values["Mar 4"]), [1, 0, 0, 0, 0]);
    let incomplete: Vec<bool> = series.values["Mar 4"]
        .iter()
        .map(|cell| cell.incomplete)
        .collect();
    assert_eq!(
        incomplete,
        [false, false, false, true, true],
        "03-06 and 03-07 have not ended at noon on 03-06"
    );
    assert_eq!(counts(&series.combined), [3, 2, 1, 1, 0]);
    assert!(series.combined.iter().all(|cell| cell.outof == 3));

    let rolling = client
        .send(&new_users.clone().mode(RetentionMode::Rolling))
        .await
        .unwrap()
        .data;
    assert_eq!(counts(&rolling.series[0].values["Mar 2"]), [1, 1, 1, 1, 0]);
    assert_eq!(counts(&rolling.series[0].values["Mar 1"]), [1, 1, 1, 0, 0]);
    let brackets = client
        .send(
            &new_users
                .clone()
                .mode(RetentionMode::Bracket)
                .bracket([0, 1])
                .bracket([1, 3]),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(counts(&brackets.series[0].combined), [3, 2, 2]);
    // The single pair older clients send reads as one bracket.
    let retention = |rb: &str| {
        format!(
            "/api/2/retention?se=%7B%22event_type%22:%22_new%22%7D&re=%7B%22event_type%22:%22_all%22%7D&rm=bracket&rb={rb}&start=20240301&end=20240304"
        )
    };
    let keys = Some("emulator-api-key:emulator-secret-key");
    let (status, old) = raw_get(&emulator, &retention("%5B0,1%5D"), keys).await;
    assert_eq!(status, 200, "{old}");
    let (_, new) = raw_get(&emulator, &retention("%5B%5B0,1%5D%5D"), keys).await;
    let (old, new): (Value, Value) = (
        serde_json::from_str(&old).unwrap(),
        serde_json::from_str(&new).unwrap(),
    );
    assert_eq!(old["data"], new["data"]);
    assert_eq!(old["data"]["series"][0]["combined"][1]["count"], 2);

    let plays = GetRetention::new(
        Event::new("Play Song"),
        Event::new("Open App"),
        first_week(),
    );
    let plays = client.send(&plays).await.unwrap().data;
    assert_eq!(
        counts(&plays.series[0].values["Mar 1"]),
        [1, 0, 1, 0, 0],
        "alice opened the app again on 03-02"
    );
    assert_eq!(counts(&plays.series[0].values["Mar 4"]), [1, 0, 0, 0, 0]);

    let weekly = client
        .send(&new_users.clone().interval(Interval::Weekly))
        .await
        .unwrap()
        .data;
    assert_eq!(weekly.series[0].dates, ["Mar 4", "Feb 26"]);
    assert_eq!(counts(&weekly.series[0].values["Feb 26"]), [2, 2, 1]);
    let grouped = client
        .send(&new_users.group_by("country"))
        .await
        .unwrap()
        .data;
    assert_eq!(grouped.series.len(), 3);
    let labels: Vec<String> = grouped
        .series_labels
        .iter()
        .map(|label| {
            serde_json::to_value(label)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(labels, ["France", "Germany", "United States"]);
}

/// The obviously correct retention: for every user, every day they did the start event, and
/// every position, look for a return.
/// The obviously correct retention, cohorts started only by actions done in `in_country` (when
/// given).
fn reference_retention(
    facts: &[Fact],
    start: &str,
    back: &str,
    rolling: bool,
    in_country: Option<&str>,
) -> Vec<u64> {
    let day_ms = 86_400_000;
    let mut combined = vec![0_u64; 15];
    let users: BTreeSet<u32> = facts.iter().map(|fact| fact.0).collect();
    for user in users {
        let own: Vec<&Fact> = facts.iter().filter(|fact| fact.0 == user).collect();
        for day in 0..14_i64 {
            let Some(started) = own
                .iter()
                .filter(|fact| (start == "_all" || fact.1 == start) && fact.5 / day_ms == day)
                .filter(|fact| in_country.is_none_or(|country| fact.4 == country))
                .map(|fact| fact.5)
                .min()
            else {
                continue;
            };
            combined[0] += 1;
            for n in 0..14_i64 {
                let returned = own.iter().any(|fact| {
                    let when = fact.5 / day_ms;
                    let in_period = if rolling {
                        when >= day + n
                    } else {
                        when == day + n
                    };
                    (back == "_all" || fact.1 == back) && in_period && fact.5 > started
                });
                combined[usize::try_from(n).unwrap() + 1] += u64::from(returned);
            }
        }
    }
    combined
}

#[tokio::test]
async fn retention_matches_a_naive_reference_on_random_data() {
    let kinds = ["Open App", "Play Song", "Purchase", "_all"];
    let mut cases = 0;
    for seed in 200..212_u64 {
        let (lines, facts) = random_dataset(seed);
        let mut config = Config::default();
        config.now = Some("2024-04-01T00:00:00Z".into());
        let emulator = Emulator::builder()
            .config(config)
            .events(lines)
            .start()
            .await
            .unwrap();
        let client = client(&emulator);
        for variant in 0..30_usize {
            let (start, back) = (kinds[variant % 4], kinds[(variant / 4) % 4]);
            let rolling = variant % 2 == 1;
            let in_country = (variant % 3 == 2).then_some("Brazil");
            let mut query = GetRetention::new(
                Event::new(start),
                Event::new(back),
                days("20240301", "20240314"),
            );
            if rolling {
                query = query.mode(RetentionMode::Rolling);
            }
            if let Some(country) = in_country {
                query = query.segment(country_is(country));
            }
            let answer = client.send(&query).await.unwrap().data;
            let expected = reference_retention(&facts, start, back, rolling, in_country);
            assert_eq!(
                counts(&answer.series[0].combined),
                expected,
                "seed {seed}: {start} -> {back}, rolling {rolling}, in {in_country:?}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 360);
}

#[tokio::test]
async fn revenue_ltv_by_hand() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let arpu = client
        .send(&GetRevenueLtv::new(first_week()))
        .await
        .unwrap()
        .data;
    let series = &arpu.series[0];
    assert_eq!(series.dates, ["2024-03-04", "2024-03-02", "2024-03-01"]);
    // alice paid 9.99 23.5 hours after her first event: day 0, inside every horizon.
    let alice = &series.values["2024-03-01"];
    assert_eq!(
        (alice.count, alice.paid, alice.total_amount),
        (Some(1.0), Some(1.0), Some(9.99))
    );
    assert_eq!(
        (alice.revenue[&1], alice.revenue[&7], alice.revenue[&90]),
        (9.99, 9.99, 9.99)
    );
    assert_eq!(series.values["2024-03-02"].revenue[&30], 0.0);
    assert_eq!(
        series.combined.as_ref().unwrap().revenue[&1],
        3.33,
        "9.99 over 3 new users"
    );
    assert_eq!(
        (
            series.complete["2024-03-01"]["r1d"],
            series.complete["2024-03-01"]["r7d"]
        ),
        (true, false)
    );
    let payers = client
        .send(&GetRevenueLtv::new(first_week()).metric(LtvMetric::PayingUsers))
        .await
        .unwrap();
    assert_eq!(
        payers
            .rows()
            .filter(|row| row.day == 1)
            .map(|row| (row.date, row.value))
            .collect::<Vec<_>>(),
        [
            ("2024-03-01", 1.0),
            ("2024-03-02", 0.0),
            ("2024-03-04", 0.0)
        ]
    );
    let by_country = client
        .send(&GetRevenueLtv::new(first_week()).group_by("country"))
        .await
        .unwrap()
        .data;
    assert_eq!(by_country.series.len(), 3);
}

#[tokio::test]
async fn saved_charts_as_json_and_csv() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let chart = client
        .send(&GetChartResults::new("plays-daily"))
        .await
        .unwrap();
    let ChartData::Series(series) = &chart.data else {
        panic!("a segmentation chart is a series: {chart:?}")
    };
    assert_eq!(filled(series), [[1.0, 1.0, 0.0, 1.0]]);
    assert_eq!(chart.metadata.nova_cost, Some(4.0));
    let (status, raw) = raw_get(
        &emulator,
        "/api/3/chart/plays-daily/query",
        Some("emulator-api-key:emulator-secret-key"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(raw.contains(r#"{"setId":"","value":1}"#), "{raw}");

    let csv = client.send(&GetChartCsv::new("plays-daily")).await.unwrap();
    assert_eq!(
        csv.data.text().unwrap(),
        "\"Daily players\"\n\n\"Segment\",\"\t2024-03-01\",\"\t2024-03-02\",\"\t2024-03-03\",\"\t2024-03-04\"\n\"\tAll Users\",\"1\",\"1\",\"0\",\"1\"\n"
    );
    let missing = client
        .send(&GetChartResults::new("nope"))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(missing.to_string().contains("Chart not found"), "{missing}");
}

/// The obviously correct LTV: per first-event day, each horizon's revenue, payers and ARPU.
#[allow(clippy::cast_precision_loss, reason = "a few users")]
/// The obviously correct LTV, of the users whose first event was done in `in_country` (when
/// given).
fn reference_ltv(
    facts: &[Fact],
    metric: u32,
    in_country: Option<&str>,
) -> BTreeMap<String, Vec<f64>> {
    let day_ms = 86_400_000;
    let users: BTreeSet<u32> = facts.iter().map(|fact| fact.0).collect();
    let mut cohorts: BTreeMap<String, Vec<(f64, bool)>> = BTreeMap::new();
    for user in users {
        let own: Vec<&Fact> = facts.iter().filter(|fact| fact.0 == user).collect();
        let earliest = own.iter().min_by_key(|fact| fact.5).unwrap();
        if in_country.is_some_and(|country| earliest.4 != country) {
            continue;
        }
        let first = earliest.5;
        let date = format!("2024-03-{:02}", first / day_ms + 1);
        for days in [1, 2, 3, 4, 5, 6, 7, 14, 30, 60, 90] {
            let revenue: f64 = own
                .iter()
                .filter(|fact| fact.5 - first < days * day_ms)
                .map(|fact| fact.6)
                .sum();
            cohorts
                .entry(format!("{date} r{days}d"))
                .or_default()
                .push((revenue, revenue > 0.0));
        }
    }
    cohorts
        .into_iter()
        .map(|(key, users)| {
            let revenue: f64 = users.iter().map(|user| user.0).sum();
            let payers = users.iter().filter(|user| user.1).count() as f64;
            let value = match metric {
                1 => {
                    if payers == 0.0 {
                        0.0
                    } else {
                        revenue / payers
                    }
                }
                2 => revenue,
                3 => payers,
                _ => revenue / users.len() as f64,
            };
            (key, vec![(value * 100.0).round() / 100.0])
        })
        .collect()
}

#[tokio::test]
async fn revenue_ltv_matches_a_naive_reference_on_random_data() {
    let mut cases = 0;
    for seed in 300..390_u64 {
        let (lines, facts) = random_dataset(seed);
        let emulator = Emulator::builder().events(lines).start().await.unwrap();
        let client = client(&emulator);
        let in_country = (seed % 2 == 0).then_some("France");
        for metric in 0..4_u32 {
            let mut query = GetRevenueLtv::new(days("20240301", "20240314"))
                .metric(LtvMetric::from(i64::from(metric)));
            if let Some(country) = in_country {
                query = query.segment(country_is(country));
            }
            let answer = client.send(&query).await.unwrap();
            let actual: BTreeMap<String, Vec<f64>> = answer.data.series[0]
                .values
                .iter()
                .flat_map(|(date, day)| {
                    day.revenue
                        .iter()
                        .map(move |(n, value)| (format!("{date} r{n}d"), vec![*value]))
                })
                .collect();
            assert_eq!(
                actual,
                reference_ltv(&facts, metric, in_country),
                "seed {seed}, metric {metric}, in {in_country:?}"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 360);
}

// A second hand-computed dataset, `fixtures/emulator/week.jsonl`: 45 events of 6 users over
// Monday 2024-04-01 to Sunday 2024-04-07, "now" 2024-04-10 (and two users whose properties
// change, on the 8th and 9th: `emulator/timeline.rs`). Each session is Open, then some of
// Search, Play (a genre) and Buy (a price, as revenue), a minute apart:
//   u1 (US, iOS):      d1 O S P(jazz) B(10) · d2 O S P(rock) · d4 O · d7 O S
//   u2 (US, Android):  d1 O S · d3 O S P(jazz) · d5 O P(pop)
//   u3 (DE, iOS):      d2 O S P(rock) B(20) · d3 O S P(rock) B(5)
//   u4 (DE, Web):      d3 O P(pop) S · d6 O S P(jazz)
//   u5 (FR, Android):  d4 O S P(pop) S P(pop) · d7 O
//   u6 (FR, iOS):      d5 O S P(jazz) B(15) · d6 O · d7 O S P(jazz)

async fn week() -> (Emulator, Client) {
    let mut config = Config::default();
    config.now = Some("2024-04-10T00:00:00Z".into());
    let emulator = Emulator::builder()
        .config(config)
        .data_file(fixture("week.jsonl"))
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    (emulator, client)
}

fn the_week() -> DateRange {
    days("20240401", "20240407")
}

#[tokio::test]
async fn the_week_segmented_by_hand() {
    let (_emulator, client) = week().await;
    let play = || Event::new("Play");
    let seg = |event: Event| GetEventSegmentation::new(event, the_week());
    let (_, series, totals) = segmentation(&client, seg(play())).await;
    assert_eq!(
        (series, totals),
        (vec![vec![1.0, 2.0, 3.0, 1.0, 2.0, 1.0, 1.0]], vec![6.0])
    );
    let (_, series, totals) =
        segmentation(&client, seg(play()).metric(SegmentationMetric::Totals)).await;
    assert_eq!(
        (series, totals),
        (vec![vec![1.0, 2.0, 3.0, 2.0, 2.0, 1.0, 1.0]], vec![12.0])
    );
    let (_, series, _) = segmentation(&client, seg(Event::new("_all"))).await;
    assert_eq!(series, [[2.0, 2.0, 3.0, 2.0, 2.0, 2.0, 3.0]]);
    let (_, series, _) =
        segmentation(&client, seg(play()).metric(SegmentationMetric::PctDau)).await;
    assert_eq!(
        rounded(&series),
        [[50.0, 100.0, 100.0, 50.0, 100.0, 50.0, 33.333]]
    );
    let (_, series, _) =
        segmentation(&client, seg(play()).metric(SegmentationMetric::Average)).await;
    assert_eq!(series, [[1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]]);
    let buy = || Event::new("Buy").group_by(GroupBy::event("price"));
    let (_, series, totals) =
        segmentation(&client, seg(buy()).metric(SegmentationMetric::Sums)).await;
    assert_eq!(
        (series, totals),
        (vec![vec![10.0, 20.0, 5.0, 0.0, 15.0, 0.0, 0.0]], vec![50.0])
    );
    let (_, _, totals) =
        segmentation(&client, seg(buy()).metric(SegmentationMetric::ValueAvg)).await;
    assert_eq!(totals, [12.5]);
    let (labels, series, totals) = segmentation(
        &client,
        seg(play().group_by(GroupBy::event("genre"))).metric(SegmentationMetric::Histogram),
    )
    .await;
    assert_eq!(labels, ["jazz", "pop", "rock"]);
    assert_eq!(
        series,
        [
            [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 1.0, 2.0, 1.0, 0.0, 0.0],
            [0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        ]
    );
    assert_eq!(totals, [5.0, 4.0, 3.0]);
    let formula = seg(play())
        .second_event(Event::new("_all"))
        .metric(SegmentationMetric::Formula)
        .formula("TOTALS(A)/UNIQUES(B)");
    let (_, series, _) = segmentation(&client, formula).await;
    assert_eq!(rounded(&series), [[0.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.333]]);
    let (labels, series, _) = segmentation(&client, seg(play()).group_by("country")).await;
    assert_eq!(labels, ["France", "Germany", "United States"]);
    assert_eq!(
        series,
        [
            [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
            [0.0, 1.0, 2.0, 0.0, 0.0, 1.0, 0.0],
            [1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
        ]
    );
    let jazz = play().filter(Filter::event("genre", FilterOperator::Is, ["jazz"]));
    assert_eq!(
        segmentation(&client, seg(jazz)).await.1,
        [[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0]]
    );
    let weekly = segmentation(&client, seg(play()).interval(Interval::Weekly)).await;
    assert_eq!(weekly.1, [[6.0]]);
}

#[tokio::test]
async fn the_week_in_funnels_by_hand() {
    let (_emulator, client) = week().await;
    let funnel = |names: &[&str]| {
        GetFunnel::new(
            names.iter().map(|name| Event::new(*name)).collect(),
            the_week(),
        )
    };
    let search_play = client.send(&funnel(&["Search", "Play"])).await.unwrap();
    let first = &search_play.data[0];
    assert_eq!(first.cumulative_raw, [6.0, 6.0]);
    // Four in a minute; u2 from Monday to Wednesday (2 days 1 minute), u4 Wednesday to Saturday.
    assert_eq!(
        (
            first.median_trans_times.clone(),
            first.avg_trans_times.clone()
        ),
        (vec![0.0, 60_000.0], vec![0.0, 72_050_000.0])
    );
    assert_eq!(
        first.day_funnels.as_ref().unwrap().series,
        [
            [2.0, 2.0],
            [1.0, 1.0],
            [1.0, 1.0],
            [1.0, 1.0],
            [1.0, 1.0],
            [0.0, 0.0],
            [0.0, 0.0]
        ]
    );
    let hour = client
        .send(&funnel(&["Search", "Play"]).conversion_window_secs(3_600))
        .await
        .unwrap();
    assert_eq!(
        (
            hour.data[0].cumulative_raw.clone(),
            hour.data[0].avg_trans_times.clone()
        ),
        (vec![6.0, 6.0], vec![0.0, 60_000.0])
    );
    let ordered = client.send(&funnel(&["Open", "Play"])).await.unwrap();
    assert_eq!(ordered.data[0].cumulative_raw, [6.0, 6.0]);
    let sequential = client
        .send(&funnel(&["Open", "Play"]).mode(FunnelMode::Sequential))
        .await
        .unwrap();
    assert_eq!(
        sequential.data[0].cumulative_raw,
        [6.0, 2.0],
        "only u2 on Friday and u4 on Wednesday play right after opening"
    );
    let three = client
        .send(&funnel(&["Open", "Search", "Play"]).mode(FunnelMode::Sequential))
        .await
        .unwrap();
    assert_eq!(three.data[0].cumulative_raw, [6.0, 6.0, 6.0]);
    let forever = client
        .send(&funnel(&["Search", "Play"]).conversion_window_secs(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        forever.data[0].cumulative_raw,
        [6.0, 6.0],
        "an enormous window is just long"
    );
    let unordered = client
        .send(&funnel(&["Play", "Search"]).mode(FunnelMode::Unordered))
        .await
        .unwrap();
    assert_eq!(
        unordered.data[0].cumulative_raw,
        [6.0, 5.0],
        "u2 never searches after a play"
    );
}

#[tokio::test]
async fn the_week_retained_and_valued_by_hand() {
    let (_emulator, client) = week().await;
    let retention = GetRetention::new(Event::new("_new"), Event::new("_all"), the_week());
    let n_day = client.send(&retention).await.unwrap().data;
    let series = &n_day.series[0];
    assert_eq!(counts(&series.values["Apr 1"]), [2, 2, 1, 1, 1, 1, 0, 1]);
    assert_eq!(counts(&series.values["Apr 2"]), [1, 1, 1, 0, 0, 0, 0, 0]);
    assert_eq!(counts(&series.values["Apr 3"]), [1, 1, 0, 0, 1, 0, 0, 0]);
    assert_eq!(counts(&series.values["Apr 4"]), [1, 1, 0, 0, 1, 0, 0, 0]);
    assert_eq!(counts(&series.values["Apr 5"]), [1, 1, 1, 1, 0, 0, 0, 0]);
    assert_eq!(counts(&series.combined), [6, 6, 3, 2, 3, 1, 0, 1]);
    let friday: Vec<bool> = series.values["Apr 5"]
        .iter()
        .map(|cell| cell.incomplete)
        .collect();
    assert_eq!(
        friday,
        [false, false, false, false, false, false, true, true],
        "days 5 and 6 of Friday's cohort end after the 10th"
    );
    let rolling = client
        .send(&retention.clone().mode(RetentionMode::Rolling))
        .await
        .unwrap()
        .data;
    assert_eq!(
        counts(&rolling.series[0].values["Apr 1"]),
        [2, 2, 2, 2, 2, 2, 1, 1]
    );
    let bracket = client
        .send(
            &retention
                .mode(RetentionMode::Bracket)
                .bracket([0, 1])
                .bracket([1, 4]),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(counts(&bracket.series[0].values["Apr 1"]), [2, 2, 2]);
    assert_eq!(counts(&bracket.series[0].combined), [6, 6, 6]);

    let ltv = client
        .send(&GetRevenueLtv::new(the_week()))
        .await
        .unwrap()
        .data;
    let cohorts = &ltv.series[0].values;
    assert_eq!(
        (
            cohorts["2024-04-01"].revenue[&1],
            cohorts["2024-04-01"].paid,
            cohorts["2024-04-01"].total_amount
        ),
        (5.0, Some(1.0), Some(10.0))
    );
    assert_eq!(
        (
            cohorts["2024-04-02"].revenue[&1],
            cohorts["2024-04-02"].revenue[&2]
        ),
        (20.0, 25.0)
    );
    assert_eq!(cohorts["2024-04-05"].revenue[&1], 15.0);
    let combined = ltv.series[0].combined.as_ref().unwrap();
    assert_eq!((combined.revenue[&1], combined.revenue[&7]), (7.5, 8.33));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_governor_spends_three_hours_of_budget_without_a_429() {
    use amp_transport::amp_model::Limits;
    use amp_transport::amp_model::limits::Limit;
    use futures_util::StreamExt as _;

    // An emulated hour of two real seconds, and a budget of 900 cost per hour on both sides.
    let (hour, budget) = (Duration::from_secs(2), 900);
    let mut config = config();
    config.limits.cost_per_hour = budget;
    config.limits.time_scale = 3_600.0 / hour.as_secs_f64();
    let emulator = start(config).await;
    let mut limits = Limits::default();
    limits.cost_per_hour = Limit::custom(budget, Some(hour));
    let client = Client::builder()
        .api_key("emulator-api-key")
        .secret_key("emulator-secret-key")
        .base_url(emulator.base_url())
        .governor(amp_transport::Governor::new(limits))
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    // 675 four-day users queries of cost 4: 2,700 cost, three hours of budget. The first 900
    // may start at once; the rest wait for the hour to roll twice.
    let users = (0..675).map(|_| GetUsers::new(first_week()));
    let started = std::time::Instant::now();
    let results: Vec<_> = client.send_all(users.collect(), 5, |_| {}).collect().await;
    let elapsed = started.elapsed();
    // Without retries, any 429 would be a failed result.
    assert!(
        results.iter().all(|(_, result)| result.is_ok()),
        "{:?}",
        results.iter().find(|(_, result)| result.is_err())
    );
    // How close to this the run comes is for `cargo xtask bench governor`, not a test.
    let minimum = hour * 2;
    assert!(
        elapsed >= minimum,
        "{elapsed:?}: faster than the budget allows"
    );
}

#[tokio::test]
async fn a_named_time_zone_buckets_days_across_daylight_saving_time() {
    let mut berlin = Config::default();
    berlin.time_zone = "Europe/Berlin".into();
    berlin.now = Some("2024-04-02T12:00:00Z".into());
    let event = |user: &str, time: &str| json!({"user_id": user, "event_type": "Play Song", "event_time": time});
    // Sunday 2024-03-31, the day Berlin's clocks go forward: 00:30 local is 23:30 UTC the day
    // before, and 23:30 local is 21:30 UTC.
    let lines = [
        event("early", "2024-03-30 23:30:00.000000"),
        event("late", "2024-03-31 21:30:00.000000"),
        event("monday", "2024-03-31 22:30:00.000000"),
    ];
    let dir = std::env::temp_dir().join(format!("amp-berlin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("events.jsonl");
    std::fs::write(
        &data,
        lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let emulator = Emulator::builder()
        .config(berlin)
        .data_file(&data)
        .start()
        .await
        .unwrap();
    let client = client(&emulator);
    let daily = client
        .send(&GetEventSegmentation::new(
            Event::new("Play Song"),
            days("20240330", "20240401"),
        ))
        .await
        .unwrap();
    assert_eq!(
        filled(&daily.data),
        [[0.0, 2.0, 1.0]],
        "both Sunday plays count on Sunday, Berlin time; 00:30 on Monday is Monday's"
    );
    let hourly = client
        .send(
            &GetEventSegmentation::new(Event::new("Play Song"), days("20240331", "20240331"))
                .interval(Interval::Hourly),
        )
        .await
        .unwrap();
    assert_eq!(hourly.data.x_values.len(), 23, "a 23-hour day");
    assert_eq!(hourly.data.x_values[2], "2024-03-31T03:00:00");
    assert!(
        Config::from_toml("time_zone = \"Mars/Olympus\"")
            .unwrap_err()
            .to_string()
            .contains("IANA")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn answers_carry_the_observed_keys_with_honest_values() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let keys = Some("emulator-api-key:emulator-secret-key");
    let (_, list) = raw_get(&emulator, "/api/2/events/list", keys).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let first = list["data"][0].as_object().unwrap();
    for key in [
        "autohidden",
        "id",
        "value",
        "display",
        "hidden",
        "deleted",
        "flow_hidden",
        "timeline_hidden",
        "non_active",
        "in_waitroom",
        "waitroom_approved",
        "name",
        "totals",
        "totals_delta",
    ] {
        assert!(
            first.contains_key(key),
            "events list item without `{key}`: {first:?}"
        );
    }
    let ids = |list: &EventsListResponse| -> Vec<(String, Option<i64>)> {
        list.data
            .iter()
            .map(|event| (event.value.clone(), event.id))
            .collect()
    };
    let before = client.send(&ListEvents::new()).await.unwrap();
    let again = client.send(&ListEvents::new()).await.unwrap();
    assert_eq!(ids(&before), ids(&again), "an event type keeps its id");
    let distinct: BTreeSet<Option<i64>> = before.data.iter().map(|event| event.id).collect();
    assert_eq!(distinct.len(), before.data.len(), "one id per event type");

    let complete = client
        .send(&GetEventSegmentation::new(Event::new("_active"), first_week()).group_by("country"))
        .await
        .unwrap();
    let metadata = &complete.metadata;
    assert_eq!(
        (
            metadata.min_sample_rate,
            metadata.pruned_result,
            metadata.hit_chunk_group_by_limit
        ),
        (Some(1.0), Some(false), Some(false))
    );
    assert_eq!(metadata.nova_cost, Some(20.0), "4 days × (1 + 4) × 1");
    assert!(complete.data.series.len() > 1);
    let cut = client
        .send(
            &GetEventSegmentation::new(Event::new("_active"), first_week())
                .group_by("country")
                .limit(1),
        )
        .await
        .unwrap();
    assert_eq!(cut.data.series.len(), 1);
    assert_eq!(cut.metadata.hit_chunk_group_by_limit, Some(true));
    let sessions = client
        .send(&GetAverageSessionLength::new(first_week()))
        .await
        .unwrap();
    assert_eq!(sessions.extra["withSets"], false);
    assert_eq!(sessions.metadata.min_sample_rate, Some(1.0));
}
