//! The User Profile API end to end through the client with fake transports.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use amp_profile::{GetUserProfile, ProfileError, PropensityType, UserProfileQuery, UserProfiles};
use amp_transport::test_util::{RecordingTransport, ReplayTransport};
use amp_transport::{
    Client, Endpoint, Error, ErrorKind, ExponentialBackoff, HttpResponse, Method, NoRetry, Region,
    transport_fn,
};
use serde_json::json;

const SECRET: &str = "profile-secret-5d1e";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn client(transport: impl amp_transport::Transport + 'static) -> Client {
    Client::builder()
        .secret_key(SECRET)
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}

/// The six example calls of the seed documents: the query, its documented URL, its documented response.
fn seed_calls() -> Vec<(&'static str, UserProfileQuery, &'static str)> {
    let user = || UserProfileQuery::for_user("testUser");
    vec![
        (
            "recommendation",
            user().recommendations(["testRecId"]),
            "/v1/userprofile?user_id=testUser&get_recs=true&rec_id=testRecId",
        ),
        (
            "recommendations-two",
            user().recommendations(["testRecId", "testRecId2"]),
            "/v1/userprofile?user_id=testUser&get_recs=true&rec_id=testRecId,testRecId2",
        ),
        (
            "user-properties",
            user().user_properties(),
            "/v1/userprofile?user_id=testUser&get_amp_props=true",
        ),
        (
            "cohort-ids",
            user().cohort_ids(),
            "/v1/userprofile?user_id=testUser&get_cohort_ids=true",
        ),
        (
            "computation-single",
            user().computations(["testCompId"]),
            "/v1/userprofile?user_id=testUser&comp_id=testCompId",
        ),
        (
            "computations-all",
            user().all_computations(),
            "/v1/userprofile?user_id=testUser&get_computations=true",
        ),
    ]
}

#[tokio::test]
async fn the_six_seed_calls_render_and_decode_as_documented() {
    for (name, query, documented) in seed_calls() {
        let endpoint = GetUserProfile::new(query);
        let body = fixture(&format!("profile/{name}.documented.json"));
        let recording = Arc::new(RecordingTransport::new(ReplayTransport::new().expect(
            Method::Get,
            documented,
            HttpResponse::new(200, body),
        )));
        let client = Client::builder()
            .secret_key(SECRET)
            .shared_transport(recording.clone())
            .build()
            .unwrap();
        let response = client.send(&endpoint).await.unwrap();

        let sent = &recording.requests()[0];
        assert_eq!(
            sent.url,
            format!("https://profile-api.amplitude.com{documented}")
        );
        let mut query: Vec<(&str, String)> = endpoint.to_request().query.into_iter().collect();
        query.sort();
        let headers: Vec<(String, &str)> = sent
            .headers
            .iter()
            .map(|(header, value)| {
                (
                    header.to_string(),
                    if header == "authorization" {
                        "Api-Key ***"
                    } else {
                        value.as_str()
                    },
                )
            })
            .collect();
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Api-Key {SECRET}").as_str())
        );
        insta::assert_json_snapshot!(
            format!("request__{name}"),
            json!({"method": sent.method.as_str(), "url": sent.url, "query": query, "headers": headers})
        );
        insta::assert_json_snapshot!(format!("response__{name}"), response);
    }
}

#[tokio::test]
async fn response_helpers_answer_what_a_caller_asks() {
    let body = fixture("profile/propensity-multiple.reference.json");
    let query = UserProfileQuery::for_user("testUser")
        .propensities(["0x10x", "0x11x"], PropensityType::Pct);
    let path = "/v1/userprofile?user_id=testUser&get_propensity=true&prediction_id=0x10x,0x11x&propensity_type=pct";
    let client =
        client(ReplayTransport::new().expect(Method::Get, path, HttpResponse::new(200, body)));
    let profile = client.send(&GetUserProfile::new(query)).await.unwrap();
    assert_eq!(profile.user_data.propensity_of("0x10x"), Some(83.0));
    assert_eq!(profile.user_data.propensity, Some(None), "sent as null");
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let unused = Arc::new(RecordingTransport::new(ReplayTransport::new()));
    let client = Client::builder()
        .secret_key(SECRET)
        .shared_transport(unused.clone())
        .build()
        .unwrap();
    let mut stray_rec = UserProfileQuery::for_user("u");
    stray_rec.rec_ids = vec!["r".into()];
    let mut stray_prediction = UserProfileQuery::for_user("u");
    stray_prediction.prediction_ids = vec!["p".into()];
    let mut propensity_without_id = UserProfileQuery::for_user("u");
    propensity_without_id.get_propensity = true;
    let cases = [
        (
            UserProfileQuery::default(),
            "user_id",
            "neither `user_id` nor `device_id`",
        ),
        (
            UserProfileQuery::for_user("u").recommendations(Vec::<String>::new()),
            "rec_id",
            "at least one recommendation ID",
        ),
        (stray_rec, "get_recs", "only read with `get_recs=true`"),
        (
            stray_prediction,
            "get_propensity",
            "only read with `get_propensity=true`",
        ),
        (
            propensity_without_id,
            "prediction_id",
            "at least one prediction ID",
        ),
        (
            UserProfileQuery::for_user("  "),
            "user_id",
            "empty or blank",
        ),
        (
            UserProfileQuery::for_device(""),
            "device_id",
            "empty or blank",
        ),
        (
            UserProfileQuery::for_user("u").computations([" "]),
            "comp_id",
            "empty or blank",
        ),
        (
            UserProfileQuery::for_user("u").recommendations(["a,b"]),
            "rec_id",
            "contains a comma",
        ),
    ];
    for (query, param, words) in cases {
        let error = client.send(&GetUserProfile::new(query)).await.unwrap_err();
        let Error::Invalid(invalid) = &error else {
            panic!("{param}: expected invalid input, got {error}")
        };
        assert_eq!(invalid.param(), param);
        assert!(
            error.to_string().contains(words),
            "`{error}` should say `{words}`"
        );
    }
    let eu = Client::builder()
        .secret_key(SECRET)
        .region(Region::Eu)
        .shared_transport(unused.clone())
        .build()
        .unwrap();
    let error = eu
        .send(&GetUserProfile::new(UserProfileQuery::for_user("u")))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotBuilt);
    assert!(
        error
            .to_string()
            .contains("User Profile API has no endpoint in Amplitude's EU region"),
        "{error}"
    );
    assert!(unused.requests().is_empty(), "nothing may be sent");
}

async fn failure(status: u16, body: &str) -> Error {
    let query = UserProfileQuery::for_user("u");
    let client = client(ReplayTransport::new().expect(
        Method::Get,
        "/v1/userprofile?user_id=u",
        HttpResponse::new(status, body.to_owned()),
    ));
    client.send(&GetUserProfile::new(query)).await.unwrap_err()
}

#[tokio::test]
async fn every_documented_error_body_maps_to_its_kind() {
    let not_seen = fixture("errors/profile-not-seen.documented.json");
    let throttled = fixture("errors/profile-throttled.documented.json");
    let invalid_key = fixture("errors/profile-invalid-api-key.documented.txt");
    let missing_key = fixture("errors/profile-missing-api-key.documented.txt");
    let cases = [
        (
            401,
            invalid_key.as_str(),
            Some(ProfileError::InvalidSecretKey),
            false,
        ),
        (
            401,
            missing_key.as_str(),
            Some(ProfileError::MissingApiKey),
            false,
        ),
        (
            400,
            not_seen.as_str(),
            Some(ProfileError::UnknownUser),
            false,
        ),
        (
            404,
            not_seen.as_str(),
            Some(ProfileError::UnknownUser),
            false,
        ),
        (
            200,
            not_seen.as_str(),
            Some(ProfileError::UnknownUser),
            false,
        ),
        (429, throttled.as_str(), Some(ProfileError::Throttled), true),
        (400, throttled.as_str(), Some(ProfileError::Throttled), true),
        (500, "", Some(ProfileError::Unavailable), true),
        (
            503,
            "Service Unavailable",
            Some(ProfileError::Unavailable),
            true,
        ),
        (418, "teapot", None, false),
    ];
    for (status, body, expected, retryable) in cases {
        let error = failure(status, body).await;
        assert_eq!(
            ProfileError::of(&error),
            expected,
            "{status} {body}: {error}"
        );
        assert_eq!(error.is_retryable(), retryable, "{status} {body}");
    }
    let unknown = failure(200, &not_seen).await;
    assert!(
        unknown
            .to_string()
            .contains("User id and device id not seen before"),
        "{unknown}"
    );
    assert!(
        failure(401, &invalid_key)
            .await
            .to_string()
            .contains("Invalid Api-Key")
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_and_outages_are_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let throttled = fixture("errors/profile-throttled.documented.json");
    let transport = transport_fn(move |_| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        let throttled = throttled.clone();
        async move {
            Ok(match call {
                0 => HttpResponse::new(429, throttled),
                1 => HttpResponse::new(502, ""),
                _ => HttpResponse::new(200, r#"{"userData":{"user_id":"u"}}"#),
            })
        }
    });
    let client = Client::builder()
        .secret_key(SECRET)
        .transport(transport)
        .retry_policy(ExponentialBackoff::default().with_jitter(false))
        .build()
        .unwrap();
    let profile = client
        .send(&GetUserProfile::new(UserProfileQuery::for_user("u")))
        .await
        .unwrap();
    assert_eq!(profile.user_data.user_id.as_deref(), Some("u"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A transport that takes 50 ms and counts its calls; `fail_first` makes the first call a 500.
fn slow_counting(calls: Arc<AtomicU32>, fail_first: bool) -> impl amp_transport::Transport {
    transport_fn(move |request| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if fail_first && call == 0 {
                return Ok(HttpResponse::new(500, ""));
            }
            let user = request
                .url
                .rsplit('=')
                .next()
                .unwrap_or_default()
                .to_owned();
            Ok(HttpResponse::new(
                200,
                format!(r#"{{"userData":{{"user_id":"{user}","cohort_ids":["c{call}"]}}}}"#),
            ))
        }
    })
}

async fn concurrently(
    profiles: &UserProfiles,
    user: &'static str,
    count: usize,
) -> Vec<Result<Arc<amp_profile::UserProfileResponse>, Error>> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let profiles = profiles.clone();
        tasks.spawn(async move {
            profiles
                .get(&GetUserProfile::new(UserProfileQuery::for_user(user)))
                .await
        });
    }
    tasks.join_all().await
}

#[tokio::test(start_paused = true)]
async fn the_cache_coalesces_concurrent_lookups_and_expires() {
    let calls = Arc::new(AtomicU32::new(0));
    let profiles = UserProfiles::new(client(slow_counting(calls.clone(), false)))
        .with_cache(Duration::from_secs(30));

    let answers = concurrently(&profiles, "alice", 20).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "twenty concurrent lookups, one request"
    );
    assert!(
        answers
            .iter()
            .all(|answer| answer.as_ref().unwrap().user_data.in_cohort("c0"))
    );

    tokio::time::advance(Duration::from_secs(29)).await;
    concurrently(&profiles, "alice", 3).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "still fresh");
    concurrently(&profiles, "bob", 2).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "another user is another request"
    );

    tokio::time::advance(Duration::from_secs(2)).await;
    let refreshed = concurrently(&profiles, "alice", 5).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "expired: fetched again, once"
    );
    assert!(refreshed[0].as_ref().unwrap().user_data.in_cohort("c2"));
}

#[tokio::test(start_paused = true)]
async fn errors_are_shared_but_not_kept_and_no_cache_means_every_call() {
    let calls = Arc::new(AtomicU32::new(0));
    let profiles = UserProfiles::new(client(slow_counting(calls.clone(), true)))
        .with_cache(Duration::from_secs(30));
    let failed = concurrently(&profiles, "carol", 4).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        failed
            .iter()
            .all(|answer| answer.as_ref().unwrap_err().status() == Some(500))
    );
    let retried = concurrently(&profiles, "carol", 1).await;
    assert!(retried[0].is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the error was not kept");

    let calls = Arc::new(AtomicU32::new(0));
    let uncached = UserProfiles::new(client(slow_counting(calls.clone(), false)));
    concurrently(&uncached, "dave", 3).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let calls = Arc::new(AtomicU32::new(0));
    let tiny = UserProfiles::new(client(slow_counting(calls.clone(), false)))
        .with_cache_capacity(Duration::from_secs(30), 1);
    concurrently(&tiny, "erin", 1).await;
    concurrently(&tiny, "frank", 1).await;
    concurrently(&tiny, "frank", 1).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "a full cache of fresh answers serves new users uncached"
    );
    concurrently(&tiny, "erin", 1).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3, "erin is still cached");
    let invalid = tiny
        .get(&GetUserProfile::new(UserProfileQuery::default()))
        .await
        .unwrap_err();
    assert_eq!(invalid.kind(), ErrorKind::NotBuilt);
}
