//! `/api/2/sessions/length`: sessions that start in the range, counted by length.
//!
//! Without complete custom bins (unit, minimum and maximum), Amplitude's nine default bins
//! apply. Custom bins run from the minimum to the maximum in steps of the size (a tenth of the
//! span when no size is given); sessions outside them are not counted. Labels are
//! `<start>s-<end>s` in seconds.

use amp_model::dashboard::{SeriesResponse, SessionLengthQuery};
use amp_model::{BinTimeUnit, Query as _};

use super::session_series;
use crate::project::Project;
use crate::sessions::sessions;
use crate::store::number_text;

/// Amplitude's default bins, in ms.
const DEFAULT_BINS_MS: [i64; 10] = [
    0, 3_000, 10_000, 30_000, 60_000, 180_000, 600_000, 1_800_000, 3_600_000, 86_400_000,
];
/// The most custom bins answered.
const MAX_BINS: usize = 1_000;

fn unit_ms(unit: &BinTimeUnit) -> f64 {
    match unit {
        BinTimeUnit::Minutes => 60_000.0,
        BinTimeUnit::Hours => 3_600_000.0,
        BinTimeUnit::Days => 86_400_000.0,
        _ => 1_000.0,
    }
}

/// Answers it.
#[allow(
    clippy::cast_precision_loss,
    reason = "session lengths are far below 2^53 ms"
)]
pub fn compute(project: &Project, query: &SessionLengthQuery) -> SeriesResponse {
    let edges_ms: Vec<f64> = match &query.bins {
        None => DEFAULT_BINS_MS.iter().map(|&edge| edge as f64).collect(),
        Some(bins) => {
            let unit = unit_ms(&bins.unit);
            let size = bins.size.unwrap_or((bins.max - bins.min) / 10.0);
            let mut edges = vec![bins.min * unit];
            while edges.len() <= MAX_BINS && *edges.last().expect("one edge") < bins.max * unit {
                let next = (edges.last().expect("one edge") + size * unit).min(bins.max * unit);
                edges.push(next);
            }
            edges
        }
    };
    let (from, to) = project.calendar.span(query.range);
    let mut counts = vec![0_u64; edges_ms.len() - 1];
    for session in sessions(&project.store, from, to) {
        let length = session.length_ms() as f64;
        if let Some(bin) = edges_ms
            .windows(2)
            .position(|edge| edge[0] <= length && length < edge[1])
        {
            counts[bin] += 1;
        }
    }
    let labels: Vec<String> = edges_ms
        .windows(2)
        .map(|edge| {
            format!(
                "{}s-{}s",
                number_text(edge[0] / 1000.0),
                number_text(edge[1] / 1000.0)
            )
        })
        .collect();
    let counts = counts.into_iter().map(|count| count as f64).collect();
    session_series(project, query.cost().total(), labels, counts)
}
