//! `/api/2/useractivity`: a user's summary and a page of their events.
//!
//! Events are ordered by time, newest first (`latest`) or oldest first (`earliest`); `offset`
//! skips from that end and `limit` (1,000 by default) bounds the page. The summary's `usage_time`
//! is the total length of the user's sessions in ms; `purchases` counts events with revenue. An
//! unknown Amplitude ID gets an empty summary, as Amplitude answers.

use amp_model::ActivityDirection;
use amp_model::dashboard::UserActivityQuery;
use serde_json::{Map, Value, json};

use super::count;
use crate::project::Project;
use crate::sessions::sessions;
use crate::store::{Event, Store, User};

fn day(project: &Project, ms: i64) -> Value {
    if ms == i64::MAX || ms == i64::MIN {
        Value::Null
    } else {
        json!(project.calendar.day_of(ms).format("%Y-%m-%d").to_string())
    }
}

fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |time| {
        time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    })
}

/// A built-in property of `user` as JSON, `null` when unset.
fn attr(store: &Store, user: &User, key: &str) -> Value {
    store
        .attr(user, key)
        .map_or(Value::Null, |value| Value::String(value.to_owned()))
}

/// An event as user activity shows it.
pub fn event_json(store: &Store, index: u32, event: &Event) -> Value {
    let user = &store.users[event.user as usize];
    let properties: Map<String, Value> = store
        .props(event)
        .map(|(key, value)| (store.strings.name(key).to_owned(), store.prop_json(value)))
        .collect();
    let attr = |key: &str| attr(store, user, key);
    json!({
        "event_id": index,
        "event_type": store.strings.name(event.event_type),
        "event_time": time_text(event.time_ms),
        "session_id": event.session_id,
        "amplitude_id": user.amplitude_id,
        "user_id": user.user_id,
        "device_id": (event.device != u32::MAX).then(|| store.strings.name(event.device)),
        "platform": attr("platform"),
        "os_name": attr("os"),
        "version_name": attr("version"),
        "country": attr("country"),
        "city": attr("city"),
        "region": attr("region"),
        "language": attr("language"),
        "revenue": event.revenue(),
        "event_properties": properties,
        "user_properties": user.props,
    })
}

/// Answers it.
pub fn compute(project: &Project, query: &UserActivityQuery) -> Value {
    let store = &project.store;
    let Some(index) = store.by_amplitude_id(query.user) else {
        return json!({
            "userData": {"num_sessions": 0, "purchases": 0, "revenue": 0, "merged_amplitude_ids": [], "num_events": 0,
                         "canonical_amplitude_id": query.user, "user_id": null, "last_location": null, "usage_time": 0,
                         "last_device_id": null, "device_ids": []},
            "events": [],
        });
    };
    let user = &store.users[index as usize];
    let mut events: Vec<u32> = user.events.clone();
    events.sort_by_key(|&event| (store.events[event as usize].time_ms, event));
    if query.direction != Some(ActivityDirection::Earliest) {
        events.reverse();
    }
    let offset = query.offset.unwrap_or(0) as usize;
    let limit = query.limit.unwrap_or(1_000) as usize;
    let page: Vec<Value> = events
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&event| event_json(store, event, &store.events[event as usize]))
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
    let attr = |key: &str| attr(store, user, key);
    json!({
        "userData": {
            "user_id": user.user_id,
            "canonical_amplitude_id": user.amplitude_id,
            "merged_amplitude_ids": [],
            "num_events": count(user.events.len()),
            "num_sessions": count(own_sessions.len()),
            "usage_time": own_sessions.iter().map(crate::sessions::Session::length_ms).sum::<i64>(),
            "first_used": day(project, user.first_seen_ms),
            "last_used": day(project, user.last_seen_ms),
            "purchases": count(revenues.len()),
            "revenue": revenues.iter().sum::<f64>(),
            "platform": attr("platform"), "os": attr("os"), "version": attr("version"), "device": attr("device"),
            "device_type": attr("device_type"), "carrier": attr("carrier"), "country": attr("country"),
            "region": attr("region"), "city": attr("city"), "dma": attr("DMA"), "language": attr("language"),
            "start_version": attr("start_version"),
            "device_ids": store.device_ids(user).collect::<Vec<_>>(),
            "last_device_id": store.device_ids(user).next_back(),
            "last_location": null,
            "properties": user.props,
        },
        "events": page,
    })
}
