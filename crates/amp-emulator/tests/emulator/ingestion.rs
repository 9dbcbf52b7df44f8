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
