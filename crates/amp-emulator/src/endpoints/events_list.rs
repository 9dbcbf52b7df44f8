//! `/api/2/events/list`: every event type, with its count in the current week (from Monday in
//! the project time zone up to now) and the change from the week before over the same span of
//! days (`totals_delta`), sorted by name. Each carries the fields real answers carry: `id` (the
//! same number for the same event type on every call, its name's interned number), `name`, and
//! the hidden and wait-room flags, all false.

use std::collections::BTreeMap;

use amp_model::dashboard::{EventInfo, EventsListResponse, ListEventsQuery};
use chrono::{Datelike, Days};

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
#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
pub fn compute(project: &Project, _query: &ListEventsQuery) -> EventsListResponse {
    let store = &project.store;
    let now = project.now_ms();
    let today = project.calendar.day_of(now);
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let week_start = project.calendar.start_of(monday);
    let last_week_start = project.calendar.start_of(monday - Days::new(7));
    let last_week_now = now - (week_start - last_week_start);
    // Per event type: (its symbol, this week, last week to the same time).
    let mut totals: BTreeMap<&str, (u32, u64, u64)> = BTreeMap::new();
    for event in &store.events {
        let total = totals
            .entry(store.strings.name(event.event_type))
            .or_insert((event.event_type, 0, 0));
        total.1 += u64::from((week_start..=now).contains(&event.time_ms));
        total.2 += u64::from((last_week_start..=last_week_now).contains(&event.time_ms));
    }
    let mut response = EventsListResponse::default();
    response.data = totals
        .into_iter()
        .map(|(name, (symbol, this_week, last_week))| {
            let mut info = EventInfo::default();
            info.id = Some(i64::from(symbol) + 1);
            name.clone_into(&mut info.value);
            info.name = Some(name.to_owned());
            info.display = Some(name.to_owned());
            info.totals = Some(this_week as f64);
            info.totals_delta = Some(this_week as f64 - last_week as f64);
            info
        })
        .collect();
    response
}
