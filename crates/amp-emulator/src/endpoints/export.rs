//! `/api/2/export`: the raw events that reached the project in a range of UTC hours, as
//! Amplitude packs them: a zip holding, per hour, one or more gzip members named
//! `<app>/<app>_<YYYY-MM-DD>_<H>#<n>.json.gz` (hour not zero-padded), each of JSON Lines with
//! every export key on every line, `null` where unknown.
//!
//! Events are selected by the time they reached the project (`server_upload_time`): their
//! arrival for ingested events, `server_upload_time` for loaded files (else their event time),
//! and become exportable `export.delay_secs` after that (0 by default; Amplitude's is about two
//! hours). An end hour in the future is fine. A range without events is a 404 with Amplitude's
//! text "Raw data files were not found."; a malformed range or one over 365 days a 400; an
//! archive over `export.max_bytes` Amplitude's 400 "too large".
//!
//! Each line carries the user's properties as they were at that event (`user_properties`, and
//! the built-in ones at the top level: `country`, `city`, ..., `os_name` and `os_version`), the
//! event's own properties, with its revenue as `$revenue`, and the IDs the emulator knows. The
//! user's `user_id` is on every line of that user (Amplitude leaves it off events sent before
//! the user was identified); `uuid` is made from the event's place in the store; what the
//! emulator does not keep (`ip_address`, `location_*`, `$insert_id`, `event_id`, ...) is `null`.
//! Loaded back with `--data`, an export gives the same answers.

use std::io::Write as _;
use std::sync::Arc;

use amp_model::catalogue::RateClass;
use amp_model::export::{
    ExportEvent, ExportQuery, Hour, NO_DATA_MESSAGE, Properties, TOO_LARGE_MESSAGE,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use chrono::{DateTime, Utc};

use crate::ingest::REVENUE_PROPERTY;
use crate::project::Project;
use crate::request;
use crate::respond::{answer_bytes, invalid, rate_limited, refused_credentials};
use crate::state::AppState;
use crate::store::Event;

/// `GET /api/2/export`.
pub async fn handle(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(refused) = refused_credentials(&headers, &state.read()) {
        return refused;
    }
    let query = match request::read::<ExportQuery>(uri.path(), uri.query()) {
        Ok(query) => query,
        Err(refusal) => return invalid(&refusal),
    };
    let _permit = match state.limiter.admit(RateClass::Cost, 1) {
        Ok(permit) => permit,
        Err(refusal) => return rate_limited(RateClass::Cost, &refusal.0),
    };
    let packing = Arc::clone(&state);
    let archive = tokio::task::spawn_blocking(move || archive(&packing.read(), &query)).await;
    match archive {
        Ok(Ok(Some(bytes))) => answer_bytes(&state, "application/zip", || bytes).await,
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, NO_DATA_MESSAGE).into_response(),
        Ok(Err(TooLarge)) => (StatusCode::BAD_REQUEST, TOO_LARGE_MESSAGE).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The archive is larger than `export.max_bytes`.
struct TooLarge;

/// The archive of `query`'s hours, or `None` when no event can be exported from them.
fn archive(project: &Project, query: &ExportQuery) -> Result<Option<Vec<u8>>, TooLarge> {
    let store = &project.store;
    let config = &project.config.export;
    let exportable_before = project.now_ms()
        - i64::try_from(config.delay_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let start = query.range.start().start().timestamp_millis();
    let end = query.range.end().start().timestamp_millis() + 3_600_000;
    let mut chosen: Vec<u32> = (0..)
        .zip(&store.events)
        .filter(|(_, event)| {
            (start..end).contains(&event.uploaded_ms) && event.uploaded_ms <= exportable_before
        })
        .map(|(index, _)| index)
        .collect();
    if chosen.is_empty() {
        return Ok(None);
    }
    chosen.sort_by_key(|&index| (store.events[index as usize].uploaded_ms, index));
    let app = project.config.app_id;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The members are gzip already: stored, not compressed again.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let member_lines = config.member_lines.max(1);
    let mut at = 0;
    while at < chosen.len() {
        let hour = Hour::containing(time(store.events[chosen[at] as usize].uploaded_ms));
        let in_hour = chosen[at..]
            .iter()
            .take_while(|&&index| {
                Hour::containing(time(store.events[index as usize].uploaded_ms)) == hour
            })
            .count();
        for (member, lines) in chosen[at..at + in_hour].chunks(member_lines).enumerate() {
            let name = format!(
                "{app}/{app}_{}_{}#{member}.json.gz",
                hour.date(),
                hour.hour()
            );
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            for &index in lines {
                let line = export_event(project, index);
                serde_json::to_writer(&mut gzip, &line).expect("writing to memory");
                gzip.write_all(b"\n").expect("writing to memory");
            }
            let member = gzip.finish().expect("writing to memory");
            zip.start_file(name, options).expect("writing to memory");
            zip.write_all(&member).expect("writing to memory");
        }
        at += in_hour;
    }
    let bytes = zip.finish().expect("writing to memory").into_inner();
    if bytes.len() as u64 > config.max_bytes {
        return Err(TooLarge);
    }
    Ok(Some(bytes))
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Event `index` as an export line.
fn export_event(project: &Project, index: u32) -> ExportEvent {
    let store = &project.store;
    let event: &Event = &store.events[index as usize];
    let user = &store.users[event.user as usize];
    let traits = store.traits(event.state);
    let attr = |key: &str| store.attr(traits, key).map(str::to_owned);
    let mut event_properties: serde_json::Map<String, serde_json::Value> = store
        .props(event)
        .map(|(key, value)| (store.strings.name(key).to_owned(), store.prop_json(value)))
        .collect();
    if let Some(revenue) = event.revenue() {
        event_properties
            .entry(REVENUE_PROPERTY)
            .or_insert_with(|| revenue.into());
    }
    let os = attr("os");
    let (os_name, os_version) = match os.as_deref().and_then(|os| os.split_once(' ')) {
        Some((name, version)) => (Some(name.into()), Some(version.into())),
        None => (os, None),
    };
    let happened = time(event.time_ms);
    let uploaded = time(event.uploaded_ms);
    let mut line = ExportEvent::default();
    line.app = Some(project.config.app_id);
    line.uuid = Some(format!("00000000-0000-4000-8000-{index:012x}"));
    line.event_type = Some(store.strings.name(event.event_type).into());
    line.event_time = Some(happened);
    line.client_event_time = Some(happened);
    line.client_upload_time = Some(uploaded);
    line.server_received_time = Some(uploaded);
    line.server_upload_time = Some(uploaded);
    line.processed_time = Some(uploaded);
    line.amplitude_id = i64::try_from(user.amplitude_id).ok();
    line.user_id.clone_from(&user.user_id);
    line.device_id = (event.device != u32::MAX).then(|| store.strings.name(event.device).into());
    line.session_id = Some(event.session_id);
    line.event_properties = Some(event_properties.into());
    line.user_properties = Some(store.custom(traits).to_map().into());
    line.groups = Some(Properties::new());
    line.group_properties = Some(Properties::new());
    line.data = Some(Properties::new());
    line.country = attr("country");
    line.city = attr("city");
    line.region = attr("region");
    line.dma = attr("DMA");
    line.language = attr("language");
    line.platform = attr("platform");
    line.version_name = attr("version");
    line.device_model = attr("device");
    line.device_type = attr("device_type");
    line.device_carrier = attr("carrier");
    line.start_version = attr("start_version");
    line.library = attr("library");
    line.os_name = os_name;
    line.os_version = os_version;
    line.paying = attr("paying").map(|paying| paying == "true");
    line
}
