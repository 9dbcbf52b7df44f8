//! `/api/2/sessions/average`: the average length, in seconds, of the sessions that start on
//! each day; 0 on a day without sessions.

use amp_model::dashboard::{SeriesResponse, SessionAverageQuery};
use amp_model::{Interval, Query as _};

use super::{bucket_of, labels, session_series};
use crate::project::Project;
use crate::sessions::sessions;

/// Answers it.
#[allow(
    clippy::cast_precision_loss,
    reason = "session lengths and counts are far below 2^53"
)]
pub fn compute(project: &Project, query: &SessionAverageQuery) -> SeriesResponse {
    let days = project.calendar.buckets(query.range, &Interval::Daily);
    let (from, to) = project.calendar.span(query.range);
    let mut totals = vec![(0_i64, 0_u32); days.len()];
    for session in sessions(&project.store, from, to) {
        if let Some(day) = bucket_of(&days, session.start_ms) {
            totals[day].0 += session.length_ms();
            totals[day].1 += 1;
        }
    }
    let averages: Vec<f64> = totals
        .iter()
        .map(|&(total, count)| {
            if count == 0 {
                0.0
            } else {
                total as f64 / 1000.0 / f64::from(count)
            }
        })
        .collect();
    session_series(project, query.cost().total(), labels(&days), averages)
}
