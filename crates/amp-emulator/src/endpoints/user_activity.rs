//! `/api/2/useractivity`: a user's summary and a page of their events.
//!
//! Events are ordered by time, newest first (`latest`) or oldest first (`earliest`); `offset`
//! skips from that end and `limit` (1,000 by default) bounds the page. The summary's `usage_time`
//! is the total length of the user's sessions in ms; `purchases` counts events with revenue. An
//! unknown Amplitude ID gets an empty summary, as Amplitude answers. Each event shows the user
//! properties in force when it happened; the summary shows the latest.

use amp_model::ActivityDirection;
use amp_model::dashboard::{ActivityEvent, ActivityUser, UserActivityQuery, UserActivityResponse};
use chrono::NaiveDate;
use serde_json::json;

use crate::project::Project;
use crate::sessions::sessions;
use crate::store::{Event, Store};
use crate::timeline::Traits;

fn day(project: &Project, ms: i64) -> Option<NaiveDate> {
    (ms != i64::MAX && ms != i64::MIN).then(|| project.calendar.day_of(ms))
}

/// A built-in property in `traits`, when set.
fn attr(store: &Store, traits: &Traits, key: &str) -> Option<String> {
    store.attr(traits, key).map(str::to_owned)
}

/// A count as the summary writes it.
fn count(value: usize) -> Option<u64> {
    u64::try_from(value).ok()
}

/// An event as user activity shows it, with the user properties in force when it happened.
fn event_of(store: &Store, index: u32, event: &Event) -> ActivityEvent {
    let user = &store.users[event.user as usize];
    let then = store.traits(event.state);
    let attr = |key: &str| attr(store, then, key);
    let mut shown = ActivityEvent::default();
    shown.event_id = Some(i64::from(index));
    store
        .strings
        .name(event.event_type)
        .clone_into(&mut shown.event_type);
    shown.event_time = chrono::DateTime::from_timestamp_millis(event.time_ms);
    shown.session_id = Some(event.session_id);
    shown.amplitude_id = Some(user.amplitude_id);
    shown.user_id.clone_from(&user.user_id);
    shown.device_id =
        (event.device != u32::MAX).then(|| store.strings.name(event.device).to_owned());
    shown.platform = attr("platform");
    shown.os_name = attr("os");
    shown.version_name = attr("version");
    shown.country = attr("country");
    shown.city = attr("city");
    shown.event_properties = store
        .props(event)
        .map(|(key, value)| (store.strings.name(key).to_owned(), store.prop_json(value)))
        .collect();
    shown.user_properties = store.custom(then).to_map();
    shown.region = attr("region");
    shown.language = attr("language");
    shown
        .extra
        .insert("revenue".to_owned(), json!(event.revenue()));
    shown
}

/// Answers it.
pub fn compute(project: &Project, query: &UserActivityQuery) -> UserActivityResponse {
    let store = &project.store;
    let mut response = UserActivityResponse::default();
    let Some(index) = store.by_amplitude_id(query.user) else {
        let summary = &mut response.user_data;
        summary.canonical_amplitude_id = Some(query.user);
        summary.num_events = Some(0);
        summary.num_sessions = Some(0);
        summary.usage_time = Some(0);
        summary.purchases = Some(0);
        summary.revenue = Some(0.0);
        return response;
    };
    let user = &store.users[index as usize];
    let mut events: Vec<u32> = user.events.clone();
    if query.direction != Some(ActivityDirection::Earliest) {
        events.reverse();
    }
    let offset = query.offset.unwrap_or(0) as usize;
    let limit = query.limit.unwrap_or(1_000) as usize;
    response.events = events
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&event| event_of(store, event, &store.events[event as usize]))
        .collect();
    let own_sessions: Vec<_> = sessions(store, i64::MIN, i64::MAX)
        .into_iter()
        .filter(|session| session.user == index)
        .collect();
    let revenues: Vec<f64> = user
        .events
        .iter()
        .filter_map(|&event| store.events[event as usize].revenue())
        .collect();
    let now = store.latest(user);
    let attr = |key: &str| attr(store, now, key);
    let mut summary = ActivityUser::default();
    summary.user_id.clone_from(&user.user_id);
    summary.canonical_amplitude_id = Some(user.amplitude_id);
    summary.num_events = count(user.events.len());
    summary.num_sessions = count(own_sessions.len());
    summary.usage_time = u64::try_from(
        own_sessions
            .iter()
            .map(crate::sessions::Session::length_ms)
            .sum::<i64>(),
    )
    .ok();
    summary.first_used = day(project, user.first_seen_ms);
    summary.last_used = day(project, user.last_seen_ms);
    summary.purchases = count(revenues.len());
    summary.revenue = Some(revenues.iter().sum());
    summary.platform = attr("platform");
    summary.os = attr("os");
    summary.version = attr("version");
    summary.device = attr("device");
    summary.device_type = attr("device_type");
    summary.carrier = attr("carrier");
    summary.country = attr("country");
    summary.region = attr("region");
    summary.city = attr("city");
    summary.dma = attr("DMA");
    summary.language = attr("language");
    summary.start_version = attr("start_version");
    summary.device_ids = store.device_ids(user).map(str::to_owned).collect();
    summary.last_device_id = store.device_ids(user).next_back().map(str::to_owned);
    summary.properties = store.custom(now).to_map();
    response.user_data = summary;
    response
}
