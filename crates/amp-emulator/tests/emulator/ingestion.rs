//! Ingestion is all or nothing per request, with Amplitude's size limits, and every refusal is
//! a JSON body.

use serde_json::{Value, json};

use super::{config, reqwest_client, start};

async fn post(emulator: &amp_emulator::Emulator, path: &str, body: Vec<u8>) -> (u16, Value) {
    let response = reqwest_client()
        .post(format!("{}{path}", emulator.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text:?}"));
    (status, body)
}

fn events(count: usize) -> Vec<Value> {
    (0..count)
        .map(|index| json!({"user_id": format!("user-{index:05}"), "event_type": "Play Song", "time": 1_709_726_280_000_i64}))
        .collect()
}

fn payload(events: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"api_key": "emulator-api-key", "events": events})).unwrap()
}

#[tokio::test]
async fn a_refused_event_keeps_the_whole_request_out() {
    let emulator = start(config()).await;
    let before = emulator.counts();
    let mut mixed = events(1);
    mixed.push(
        json!({"user_id": "eve-12345", "event_type": "Play Song", "event_time": "not a time"}),
    );
    let (status, body) = post(&emulator, "/2/httpapi", payload(&mixed)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["events_with_invalid_fields"]["event_time"],
        json!([1]),
        "{body}"
    );
    assert_eq!(emulator.counts(), before, "the good event was kept");
}

#[tokio::test]
async fn requests_over_amplitudes_size_limits_get_413_and_change_nothing() {
    let emulator = start(config()).await;
    let before = emulator.counts();
    let (status, body) = post(&emulator, "/2/httpapi", payload(&events(2_001))).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], 413);
    assert_eq!(emulator.counts(), before);
    let (status, body) = post(&emulator, "/2/httpapi", payload(&events(2_000))).await;
    assert_eq!(
        (status, &body["events_ingested"]),
        (200, &json!(2_000)),
        "{body}"
    );

    // A batch may carry more events, but not more than 20 MB.
    let after = emulator.counts();
    let padding = "x".repeat(21 * 1024 * 1024);
    let big = serde_json::to_vec(
        &json!({"api_key": "emulator-api-key", "events": events(1), "padding": padding}),
    )
    .unwrap();
    let (status, body) = post(&emulator, "/batch", big.clone()).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = post(&emulator, "/2/httpapi", big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(emulator.counts(), after);
    let (status, body) = post(&emulator, "/batch", payload(&events(3_000))).await;
    assert_eq!(
        (status, &body["events_ingested"]),
        (200, &json!(3_000)),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let emulator = start(config()).await;
    let response = reqwest_client()
        .get(format!("{}/api/2/nowhere", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["http_code"], 404, "{body}");
    let response = reqwest_client()
        .delete(format!("{}/api/2/users", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["http_code"], 405, "{body}");
}

/// An event that is good or bad in one of the ways Amplitude refuses.
fn mixed_event() -> impl proptest::strategy::Strategy<Value = (bool, Value)> {
    use proptest::prelude::*;
    (0..5_u8, "[a-z]{5,12}", 0..1_000_i64).prop_map(|(kind, id, minute)| {
        let time = 1_709_000_000_000_i64 + minute * 60_000;
        match kind {
            0 => (
                false,
                json!({"user_id": id, "event_type": "Play Song", "event_time": "not a time"}),
            ),
            1 => (false, json!({"user_id": id})),
            2 => (false, json!({"event_type": "Play Song"})),
            _ => (
                true,
                json!({"user_id": id, "event_type": "Play Song", "time": time}),
            ),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_mix_of_good_and_bad_events_stores_all_of_them_or_none() {
    use proptest::test_runner::{Config, TestRunner};

    let emulator = start(config()).await;
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&proptest::collection::vec(mixed_event(), 1..20), |events| {
            let all_good = events.iter().all(|(good, _)| *good);
            let events: Vec<Value> = events.into_iter().map(|(_, event)| event).collect();
            let before = emulator.counts().0;
            let (status, body) = handle.block_on(post(&emulator, "/2/httpapi", payload(&events)));
            let stored = emulator.counts().0 - before;
            if all_good {
                proptest::prop_assert_eq!(status, 200, "{}", body);
                proptest::prop_assert_eq!(stored, events.len());
            } else {
                proptest::prop_assert_eq!(status, 400, "{}", body);
                proptest::prop_assert_eq!(stored, 0);
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn short_ids_are_refused_unless_the_request_lowers_the_minimum() {
    let emulator = start(config()).await;
    let before = emulator.counts();
    let short = [
        json!({"user_id": "carol-1", "event_type": "Play Song"}),
        json!({"user_id": "dan", "device_id": "d-dan", "event_type": "Play Song"}),
        json!({"device_id": "d1", "event_type": "Play Song"}),
    ];
    let (status, body) = post(&emulator, "/2/httpapi", payload(&short)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["events_with_invalid_id_lengths"],
        json!({"user_id": [1], "device_id": [2]}),
        "{body}"
    );
    assert_eq!(emulator.counts(), before);
    let lowered = serde_json::to_vec(
        &json!({"api_key": "emulator-api-key", "events": short, "options": {"min_id_length": 2}}),
    )
    .unwrap();
    let (status, body) = post(&emulator, "/2/httpapi", lowered).await;
    assert_eq!(
        (status, &body["events_ingested"]),
        (200, &json!(3)),
        "{body}"
    );
}

#[tokio::test]
async fn gzipped_bodies_are_read_and_limited_by_their_inflated_size() {
    use std::io::Write as _;

    let gzip = |bytes: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let emulator = start(config()).await;
    let send = |path: &'static str, body: Vec<u8>| {
        let url = format!("{}{path}", emulator.base_url());
        async move {
            let response = reqwest_client()
                .post(url)
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
            (status, body)
        }
    };
    let (status, body) = send("/2/httpapi", gzip(&payload(&events(100)))).await;
    assert_eq!(
        (status, &body["events_ingested"]),
        (200, &json!(100)),
        "{body}"
    );
    // Under 1 MB compressed, over it inflated: too large for /2/httpapi, fine for /batch.
    let padding = "x".repeat(1_500_000);
    let big = serde_json::to_vec(
        &json!({"api_key": "emulator-api-key", "events": events(1), "padding": padding}),
    )
    .unwrap();
    let (status, body) = send("/2/httpapi", gzip(&big)).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = send("/batch", gzip(&big)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send("/2/httpapi", b"not gzip".to_vec()).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_user_over_the_events_per_second_limit_is_throttled_and_nothing_is_stored() {
    let mut throttled = config();
    throttled.ingestion.events_per_second = Some(3.0);
    let emulator = start(throttled).await;
    let of = |user: &str, count: usize| -> Vec<Value> {
        (0..count)
            .map(|index| json!({"user_id": user, "device_id": "device-1", "event_type": "Play Song", "time": 1_709_726_280_000_i64 + i64::try_from(index).unwrap()}))
            .collect()
    };
    // 3 a second over 10 s: 30 events at most.
    let (status, body) = post(&emulator, "/2/httpapi", payload(&of("heavy-user", 20))).await;
    assert_eq!(status, 200, "{body}");
    let before = emulator.counts();
    let mut mixed = of("heavy-user", 11);
    mixed.push(json!({"user_id": "light-user", "event_type": "Play Song"}));
    let (status, body) = post(&emulator, "/2/httpapi", payload(&mixed)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["throttled_users"], json!({"heavy-user": 4}), "{body}");
    assert_eq!(body["throttled_devices"], json!({"device-1": 4}), "{body}");
    assert_eq!(
        body["throttled_events"],
        json!((0..11).collect::<Vec<_>>()),
        "{body}"
    );
    assert_eq!(emulator.counts(), before);
    let (status, body) = post(
        &emulator,
        "/2/httpapi",
        payload(&[json!({"user_id": "light-user", "event_type": "Play Song"})]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn huge_headers_and_bad_utf8_get_json_refusals() {
    let emulator = start(config()).await;
    for path in [
        "/api/3/chart/%FF%FE/query",
        "/api/2/users?start=%FF&end=20240301",
        "/api/2/users?start=20240301&end=20240302&m=%C3%28",
    ] {
        let response = reqwest_client()
            .get(format!("{}{path}", emulator.base_url()))
            .basic_auth("emulator-api-key", Some("emulator-secret-key"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["error"]["http_code"], 400, "{path}: {body}");
    }
    let response = reqwest_client()
        .get(format!("{}/api/2/events/list", emulator.base_url()))
        .header("x-padding", "x".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["http_code"], 431, "{body}");
}

#[tokio::test]
async fn a_batch_drops_short_ids_and_refuses_an_event_left_without_one() {
    let emulator = start(config()).await;
    let before = emulator.counts();
    let (status, body) = post(
        &emulator,
        "/batch",
        payload(&[
            json!({"user_id": "ann", "device_id": "device-ann-1", "event_type": "Play Song"}),
        ]),
    )
    .await;
    assert_eq!(
        (status, &body["events_ingested"]),
        (200, &json!(1)),
        "{body}"
    );
    // Stored under its device alone: a new user with no user ID, not a user called "ann".
    assert_eq!(emulator.counts().1, before.1 + 1);
    let search = super::client(&emulator)
        .send(&amp_dashboard::SearchUsers::new("ann"))
        .await
        .unwrap();
    assert!(search.matches.is_empty(), "{search:?}");
    let (status, body) = post(
        &emulator,
        "/batch",
        payload(&[json!({"user_id": "bo", "event_type": "Play Song"})]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["events_with_invalid_fields"]["user_id"],
        json!([0]),
        "{body}"
    );
}
