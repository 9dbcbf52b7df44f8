//! Ingestion as Amplitude's HTTP V2 API answers it: `POST /2/httpapi` and `POST /batch` take
//! `{"api_key", "events"}`; `POST /identify` takes a form with `api_key` and `identification`.
//! A payload with a bad key or a bad event is refused whole, with a 400 listing the events at
//! fault by field, and nothing of it is kept. `/2/httpapi` takes at most 2,000 events and 1 MB
//! a request, and IDs of at least 5 characters (or the request's `options.min_id_length`);
//! `/batch` takes 20 MB and drops a shorter ID from its event; over a size limit is a 413. A
//! `Content-Encoding: gzip` body is inflated first, and the limits count the inflated bytes.
//! Events repeating an `insert_id` are acknowledged and dropped.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::form::Form;
use crate::ingest::RawEvent;
use crate::journal::Record;
use crate::respond::json_response;
use crate::state::AppState;

#[derive(Deserialize)]
struct Payload {
    api_key: Option<String>,
    events: Option<Vec<Value>>,
    options: Option<Options>,
}

#[derive(Deserialize)]
struct Options {
    min_id_length: Option<usize>,
}

/// What one upload route takes.
struct Limits {
    /// Events a second per user or device, if checked.
    events_per_second: Option<f64>,
    /// Events a request, if capped.
    max_events: Option<usize>,
    /// Bytes a body, after decompression.
    max_bytes: usize,
    /// What becomes of an ID shorter than the minimum (the request may lower it).
    short_ids: ShortIds,
}

/// How a route treats a `user_id` or `device_id` shorter than the minimum.
enum ShortIds {
    /// `/2/httpapi`: the request is refused, listing the events.
    Refuse(usize),
    /// `/batch`: the ID is dropped from its event, which then needs the other one.
    Drop(usize),
}

fn bad_request(error: &str, extra: &Value) -> Response {
    let mut body = json!({"code": 400, "error": error});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    json_response(StatusCode::BAD_REQUEST, &body)
}

/// Amplitude's 413.
fn too_large(error: &str) -> Response {
    json_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &json!({"code": 413, "error": error}),
    )
}

/// `POST /2/httpapi`: at most 2,000 events and 1 MB a request, IDs of 5 characters or more.
pub async fn http_api(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let config = state.read().config.ingestion.clone();
    let limits = Limits {
        events_per_second: config.events_per_second,
        max_events: Some(config.max_events),
        max_bytes: config.max_http_api_bytes,
        short_ids: ShortIds::Refuse(config.min_id_length),
    };
    upload(&state, &headers, body, &limits)
}

/// `POST /batch`: as many events as fit in 20 MB; an ID that is too short is dropped from its
/// event, as the Batch API's docs say.
pub async fn batch(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let config = state.read().config.ingestion.clone();
    let limits = Limits {
        events_per_second: None,
        max_events: None,
        max_bytes: config.max_batch_bytes,
        short_ids: ShortIds::Drop(config.min_id_length),
    };
    upload(&state, &headers, body, &limits)
}

/// Why a body cannot be read.
enum Unreadable {
    /// Over the route's limit.
    TooLarge,
    /// Broken, as said.
    Broken(String),
}

/// The body, gunzipped when `Content-Encoding: gzip` says so, or why it cannot be read.
fn read_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    max_bytes: usize,
) -> Result<Bytes, Unreadable> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Unreadable::TooLarge);
        }
        Err(rejection) => return Err(Unreadable::Broken(rejection.body_text())),
    };
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("gzip"));
    let body = if gzipped {
        // Read one byte past the limit, so that a bomb is refused without being inflated.
        let mut inflated = Vec::new();
        let limit = u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        if flate2::read::MultiGzDecoder::new(&body[..])
            .take(limit)
            .read_to_end(&mut inflated)
            .is_err()
        {
            return Err(Unreadable::Broken("Invalid gzip request body".into()));
        }
        Bytes::from(inflated)
    } else {
        body
    };
    if body.len() > max_bytes {
        return Err(Unreadable::TooLarge);
    }
    Ok(body)
}

/// Stores every event of an upload, or none of them.
fn upload(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limits: &Limits,
) -> Response {
    let body = match read_body(headers, body, limits.max_bytes) {
        Ok(body) => body,
        Err(Unreadable::TooLarge) => return too_large("Payload too large"),
        Err(Unreadable::Broken(why)) => return bad_request(&why, &json!({})),
    };
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
    let Some(mut events) = payload.events else {
        return bad_request(
            "Request missing required field",
            &json!({"missing_field": "events"}),
        );
    };
    if let Some(max) = limits.max_events.filter(|max| events.len() > *max) {
        return too_large(&format!(
            "Payload too large: {} events; send at most {max} a request",
            events.len()
        ));
    }
    let requested_min = payload
        .options
        .as_ref()
        .and_then(|options| options.min_id_length);
    let min_id_length = match limits.short_ids {
        ShortIds::Refuse(min) => Some(requested_min.unwrap_or(min)),
        ShortIds::Drop(min) => {
            drop_short_ids(&mut events, requested_min.unwrap_or(min));
            None
        }
    };
    let parsed: Vec<Result<RawEvent<'_>, String>> = events
        .iter()
        .map(|event| RawEvent::deserialize(event).map_err(|error| error.to_string()))
        .collect();
    let mut invalid: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, event) in parsed.iter().enumerate() {
        let field = match event {
            Ok(event) => event.invalid_field(),
            Err(_) => Some("event_type"),
        };
        if let Some(field) = field {
            invalid.entry(field).or_default().push(index);
        }
    }
    if !invalid.is_empty() {
        return bad_request(
            "Request contains events with invalid fields: each event needs an event_type, a user_id or device_id, and a time Amplitude can read",
            &json!({"events_with_invalid_fields": invalid}),
        );
    }
    let valid: Vec<&RawEvent<'_>> = parsed.iter().flatten().collect();
    if let Some(refusal) = over_limits(state, &valid, min_id_length, limits.events_per_second) {
        return refusal;
    }
    // Every event was checked above for all that storing it can refuse, so none fails below.
    let mut project = state.write();
    let now_ms = project.now_ms();
    if let Some(refusal) = keep(state, now_ms, &events) {
        return refusal;
    }
    let ingested = match project.ingest(valid, now_ms) {
        Ok(ingested) => ingested,
        Err(error) => return bad_request(&error, &json!({})),
    };
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
    let mut events: Vec<Value> = Vec::with_capacity(identifications.len());
    for identification in identifications {
        let Value::Object(mut fields) = identification else {
            return bad_request("each identification must be a JSON object", &json!({}));
        };
        fields.insert("event_type".into(), json!("$identify"));
        events.push(Value::Object(fields));
    }
    let parsed: Result<Vec<RawEvent<'_>>, String> = events
        .iter()
        .map(|event| RawEvent::deserialize(event).map_err(|error| error.to_string()))
        .collect();
    let parsed = match parsed {
        Ok(parsed) if parsed.iter().all(|event| event.invalid_field().is_none()) => parsed,
        _ => {
            return bad_request(
                "each identification needs a user_id or device_id and user_properties",
                &json!({}),
            );
        }
    };
    let mut project = state.write();
    let now_ms = project.now_ms();
    if let Some(refusal) = keep(&state, now_ms, &events) {
        return refusal;
    }
    if let Err(error) = project.ingest(&parsed, now_ms) {
        return bad_request(&error, &json!({}));
    }
    (StatusCode::OK, "success").into_response()
}

/// Removes every `user_id` and `device_id` shorter than `min` characters from `events`.
fn drop_short_ids(events: &mut [Value], min: usize) {
    for event in events.iter_mut().filter_map(Value::as_object_mut) {
        event.retain(|key, value| {
            !(matches!(key.as_str(), "user_id" | "device_id")
                && value.as_str().is_some_and(|id| id.chars().count() < min))
        });
    }
}

/// The refusal of well-formed events Amplitude still turns away: IDs shorter than
/// `min_id_length` (400), or users and devices over `events_per_second` (429).
fn over_limits(
    state: &AppState,
    events: &[&RawEvent<'_>],
    min_id_length: Option<usize>,
    events_per_second: Option<f64>,
) -> Option<Response> {
    if let Some(min) = min_id_length {
        let mut short: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            for field in event.short_ids(min) {
                short.entry(field).or_default().push(index);
            }
        }
        if !short.is_empty() {
            return Some(bad_request(
                "Invalid id length for user_id or device_id",
                &json!({"events_with_invalid_id_lengths": short}),
            ));
        }
    }
    let eps = events_per_second?;
    let ids: Vec<_> = events.iter().map(|event| event.ids()).collect();
    let admitted = state
        .throttle
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .admit(&ids, eps);
    admitted.err().map(|throttled| {
        json_response(
            StatusCode::TOO_MANY_REQUESTS,
            &json!({"code": 429, "error": "Too many requests for some devices and users", "eps_threshold": eps, "throttled_users": throttled.users, "throttled_devices": throttled.devices, "throttled_events": throttled.events}),
        )
    })
}

/// Makes an accepted request's events durable (`--state`) before they are applied and
/// acknowledged. A journal that cannot be written gives the 503 to answer, and nothing is
/// applied.
fn keep(state: &AppState, now_ms: i64, events: &[Value]) -> Option<Response> {
    let journal = state.journal.as_ref()?;
    let record = Record {
        now_ms,
        events: events.to_vec(),
        changes: Vec::new(),
    };
    journal.append(&record).err().map(|error| {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"code": 503, "error": format!("the request was not stored: {error}")}),
        )
    })
}
