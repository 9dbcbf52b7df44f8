//! `/api/2/events/list`: every event type, with its count in the current week (from Monday in
//! the project time zone up to now), sorted by name.

use std::collections::BTreeMap;

use amp_model::dashboard::ListEventsQuery;
use chrono::{Datelike, Days};
use serde_json::{Value, json};

use crate::project::Project;

/// Reads the query; it has no parameters.
#[allow(
    clippy::unnecessary_wraps,
    reason = "every endpoint's parse has this signature"
)]
/// Answers it.
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "every endpoint's compute has this signature"
)]
pub fn compute(project: &Project, _query: &ListEventsQuery) -> Value {
    let store = &project.store;
    let now = project.now_ms();
    let today = project.calendar.day_of(now);
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let week_start = project.calendar.start_of(monday);
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for event in &store.events {
        let total = totals
            .entry(store.strings.name(event.event_type))
            .or_default();
        if (week_start..=now).contains(&event.time_ms) {
            *total += 1;
        }
    }
    let data: Vec<Value> = totals
        .into_iter()
        .map(|(name, totals)| {
            json!({"non_active": false, "value": name, "totals": totals, "deleted": false, "flow_hidden": false, "hidden": false, "display": name})
        })
        .collect();
    json!({"data": data})
}
