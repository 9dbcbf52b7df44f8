//! `/api/2/sessions/peruser`: sessions that start on each day divided by the users who started
//! them; 0 on a day without sessions.

use std::collections::HashSet;

use amp_model::dashboard::{SeriesResponse, SessionsPerUserQuery};
use amp_model::{Interval, Query as _};

use super::{bucket_of, labels, session_series};
use crate::project::Project;
use crate::sessions::sessions;

/// Answers it.
#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
pub fn compute(project: &Project, query: &SessionsPerUserQuery) -> SeriesResponse {
    let days = project.calendar.buckets(query.range, &Interval::Daily);
    let (from, to) = project.calendar.span(query.range);
    let mut per_day: Vec<(usize, HashSet<u32>)> = vec![(0, HashSet::new()); days.len()];
    for session in sessions(&project.store, from, to) {
        if let Some(day) = bucket_of(&days, session.start_ms) {
            per_day[day].0 += 1;
            per_day[day].1.insert(session.user);
        }
    }
    let ratios: Vec<f64> = per_day
        .iter()
        .map(|(count, users)| {
            if users.is_empty() {
                0.0
            } else {
                *count as f64 / users.len() as f64
            }
        })
        .collect();
    session_series(project, query.cost().total(), labels(&days), ratios)
}
