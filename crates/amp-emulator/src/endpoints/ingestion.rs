//! Ingestion as Amplitude's HTTP V2 API answers it: `POST /2/httpapi` and `POST /batch` take
//! `{"api_key", "events"}`; `POST /identify` takes a form with `api_key` and `identification`.
//! A payload with a bad key or a bad event is refused whole, with a 400 saying why, and nothing
//! of it is kept. Events repeating an `insert_id` are acknowledged and dropped.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::form::Form;
use crate::ingest::RawEvent;
use crate::respond::json_response;
use crate::state::AppState;

#[derive(Deserialize)]
struct Payload {
    api_key: Option<String>,
    events: Option<Vec<Value>>,
}

fn bad_request(error: &str, extra: &Value) -> Response {
    let mut body = json!({"code": 400, "error": error});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    json_response(StatusCode::BAD_REQUEST, &body)
}

/// `POST /2/httpapi` and `POST /batch`.
pub async fn http_api(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Ok(payload) = serde_json::from_slice::<Payload>(&body) else {
        return bad_request("Invalid JSON request body", &json!({}));
    };
    let Some(api_key) = payload.api_key.filter(|key| !key.is_empty()) else {
        return bad_request(
            "Request missing required field",
            &json!({"missing_field": "api_key"}),
        );
    };
    if api_key != state.read().config.api_key {
        return bad_request("Invalid API key", &json!({}));
    }
    let Some(events) = payload.events else {
        return bad_request(
            "Request missing required field",
            &json!({"missing_field": "events"}),
        );
    };
    let parsed: Vec<Result<RawEvent<'_>, String>> = events
        .iter()
        .map(|event| RawEvent::deserialize(event).map_err(|error| error.to_string()))
        .collect();
    let invalid: Vec<usize> = parsed
        .iter()
        .enumerate()
        .filter(|(_, event)| !event.as_ref().is_ok_and(RawEvent::is_complete))
        .map(|(index, _)| index)
        .collect();
    if !invalid.is_empty() {
        return bad_request(
            "Request contains events with invalid fields: each event needs an event_type and a user_id or device_id",
            &json!({"events_with_invalid_fields": {"event_type": invalid}}),
        );
    }
    let mut project = state.write();
    let mut ingested = 0_u64;
    for event in parsed.iter().flatten() {
        match project.ingest(event) {
            Ok(true) => ingested += 1,
            Ok(false) => {}
            Err(error) => return bad_request(&error, &json!({})),
        }
    }
    json_response(
        StatusCode::OK,
        &json!({"code": 200, "events_ingested": ingested, "payload_size_bytes": body.len(), "server_upload_time": project.now_ms()}),
    )
}

/// `POST /identify`: user property updates, applied as `$identify` events.
pub async fn identify(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let form = Form::parse(&body);
    if form.get("api_key") != Some(state.read().config.api_key.as_str()) {
        return bad_request("Invalid API key", &json!({}));
    }
    let Some(text) = form.get("identification") else {
        return bad_request(
            "Request missing required field",
            &json!({"missing_field": "identification"}),
        );
    };
    let identifications = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(object @ Value::Object(_)) => vec![object],
        _ => return bad_request("identification is not a JSON object or array", &json!({})),
    };
    let events: Vec<Value> = identifications
        .into_iter()
        .map(|mut identification| {
            identification["event_type"] = json!("$identify");
            identification
        })
        .collect();
    let parsed: Result<Vec<RawEvent<'_>>, String> = events
        .iter()
        .map(|event| RawEvent::deserialize(event).map_err(|error| error.to_string()))
        .collect();
    let parsed = match parsed {
        Ok(parsed) if parsed.iter().all(RawEvent::is_complete) => parsed,
        _ => {
            return bad_request(
                "each identification needs a user_id or device_id and user_properties",
                &json!({}),
            );
        }
    };
    let mut project = state.write();
    for event in &parsed {
        if let Err(error) = project.ingest(event) {
            return bad_request(&error, &json!({}));
        }
    }
    (StatusCode::OK, "success").into_response()
}
