//! `/api/2/realtime`: active users per 5 minutes over today and yesterday, in the project time
//! zone; `xValues` cover the whole day, and today's series ends in `null` for the intervals still
//! to come, as real answers do. `i` must be 5, as Amplitude requires.

use std::collections::HashSet;

use amp_model::dashboard::{RealtimeQuery, Series, SeriesLabel, SeriesResponse};
use chrono::Days;

use crate::project::Project;

const FIVE_MINUTES_MS: i64 = 300_000;

/// Answers it.
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "every endpoint's compute has this signature"
)]
#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
pub fn compute(project: &Project, _query: &RealtimeQuery) -> SeriesResponse {
    let now = project.now_ms();
    let today = project.calendar.day_of(now);
    let today_start = project.calendar.start_of(today);
    let yesterday_start = project.calendar.start_of(today - Days::new(1));
    let tomorrow_start = project.calendar.start_of(today + Days::new(1));
    let slots = usize::try_from((tomorrow_start - today_start) / FIVE_MINUTES_MS).unwrap_or(0);
    let past = usize::try_from((now - today_start) / FIVE_MINUTES_MS + 1).unwrap_or(0);
    let mut today_users = vec![HashSet::new(); slots];
    let mut yesterday_users = vec![HashSet::new(); slots];
    for event in project
        .store
        .events
        .iter()
        .filter(|event| event.time_ms <= now)
    {
        for (start, users) in [
            (today_start, &mut today_users),
            (yesterday_start, &mut yesterday_users),
        ] {
            let slot = usize::try_from((event.time_ms - start).div_euclid(FIVE_MINUTES_MS)).ok();
            if let Some(users) = slot.and_then(|slot| users.get_mut(slot)) {
                users.insert(event.user);
            }
        }
    }
    let counts = |users: &[HashSet<u32>], until: usize| {
        users
            .iter()
            .enumerate()
            .map(|(slot, users)| (slot < until).then_some(users.len() as f64))
            .collect::<Vec<_>>()
    };
    let labels: Vec<String> = (0..slots)
        .map(|slot| {
            project
                .calendar
                .clock(today_start + i64::try_from(slot).unwrap_or(0) * FIVE_MINUTES_MS)
        })
        .collect();
    let mut data = Series::default();
    data.x_values = labels;
    data.series_labels = vec![
        SeriesLabel::Name("Today".into()),
        SeriesLabel::Name("Yesterday".into()),
    ];
    data.series = vec![counts(&today_users, past), counts(&yesterday_users, slots)];
    let mut response = SeriesResponse::default();
    response.data = data;
    response
}
