//! One module per endpoint: `parse` reads the query into the amp-model type, `compute` answers
//! it from the events.

pub mod chart;
pub mod composition;
pub mod events_list;
pub mod funnel;
pub mod ingestion;
pub mod profile;
pub mod realtime;
pub mod retention;
pub mod revenue_ltv;
pub mod segmentation;
pub mod session_average;
pub mod session_length;
pub mod sessions_per_user;
pub mod user_activity;
pub mod user_search;
pub mod users;

use serde_json::{Value, json};

use crate::calendar::Bucket;

/// The bucket `ms` falls in.
fn bucket_of(buckets: &[Bucket], ms: i64) -> Option<usize> {
    let index = buckets
        .partition_point(|bucket| bucket.start_ms <= ms)
        .checked_sub(1)?;
    (ms < buckets[index].end_ms).then_some(index)
}

/// `{"data": {...}}` for one ungrouped series over `buckets`.
fn daily_series(buckets: &[Bucket], values: &[f64]) -> Value {
    json!({"data": {
        "series": [values],
        "seriesMeta": [{"segmentIndex": 0}],
        "xValues": buckets.iter().map(|bucket| bucket.label.as_str()).collect::<Vec<_>>(),
    }})
}

/// A whole number as JSON, without a fractional part.
#[allow(clippy::cast_possible_truncation, reason = "counts are far below 2^53")]
fn count(value: usize) -> Value {
    json!(value as u64)
}
