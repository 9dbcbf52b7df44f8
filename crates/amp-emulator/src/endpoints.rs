//! One module per endpoint, each computing its answer from the events, and [`COMPUTED`], the
//! table of those endpoints by catalogue entry that the HTTP routes and the saved-chart runner
//! both use. A request is read by the endpoint's generated strict decoder and checked with the
//! validation the SDK runs before sending ([`crate::request`]).

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

use amp_model::Query;
use amp_model::catalogue::{self, EndpointSpec, RateClass};
use amp_model::dashboard::{
    CompositionQuery, FunnelQuery, ListEventsQuery, RealtimeQuery, RetentionQuery, RevenueLtvQuery,
    SegmentationQuery, SessionAverageQuery, SessionLengthQuery, SessionsPerUserQuery,
    UserActivityQuery, UserSearchQuery, UsersQuery,
};
use serde_json::{Value, json};

use crate::calendar::Bucket;
use crate::project::Project;
use crate::request::{Refusal, read};

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

/// A request read and checked: its cost and rate class, and the computation still to run.
pub struct Checked {
    /// Its cost against the project's limits.
    pub cost: u64,
    /// The budget it draws on.
    pub class: RateClass,
    /// Computes the answer over the project.
    pub compute: Box<dyn FnOnce(&Project) -> Value + Send>,
}

/// Reads a request to one computed endpoint from its path and raw query string.
pub type Read = fn(&str, Option<&str>) -> Result<Checked, Refusal>;

fn checked<Q: Query + Send + 'static>(
    path: &str,
    query: Option<&str>,
    compute: fn(&Project, &Q) -> Value,
) -> Result<Checked, Refusal> {
    let query = read::<Q>(path, query)?;
    Ok(Checked {
        cost: query.cost().total(),
        class: Q::SPEC.rate_class,
        compute: Box::new(move |project| compute(project, &query)),
    })
}

/// Every endpoint computed from the events, by its catalogue entry. The Profile API and saved
/// charts have routes of their own (other authentication; a stored request).
pub const COMPUTED: &[(&EndpointSpec, Read)] = &[
    (&catalogue::GET_USERS, |path, query| {
        checked::<UsersQuery>(path, query, users::compute)
    }),
    (&catalogue::GET_SESSION_LENGTH, |path, query| {
        checked::<SessionLengthQuery>(path, query, session_length::compute)
    }),
    (&catalogue::GET_AVERAGE_SESSION_LENGTH, |path, query| {
        checked::<SessionAverageQuery>(path, query, session_average::compute)
    }),
    (&catalogue::GET_SESSIONS_PER_USER, |path, query| {
        checked::<SessionsPerUserQuery>(path, query, sessions_per_user::compute)
    }),
    (&catalogue::GET_USER_COMPOSITION, |path, query| {
        checked::<CompositionQuery>(path, query, composition::compute)
    }),
    (&catalogue::LIST_EVENTS, |path, query| {
        checked::<ListEventsQuery>(path, query, events_list::compute)
    }),
    (&catalogue::GET_EVENT_SEGMENTATION, |path, query| {
        checked::<SegmentationQuery>(path, query, segmentation::compute)
    }),
    (&catalogue::GET_FUNNEL, |path, query| {
        checked::<FunnelQuery>(path, query, funnel::compute)
    }),
    (&catalogue::GET_RETENTION, |path, query| {
        checked::<RetentionQuery>(path, query, retention::compute)
    }),
    (&catalogue::GET_USER_ACTIVITY, |path, query| {
        checked::<UserActivityQuery>(path, query, user_activity::compute)
    }),
    (&catalogue::SEARCH_USERS, |path, query| {
        checked::<UserSearchQuery>(path, query, user_search::compute)
    }),
    (&catalogue::GET_REALTIME_ACTIVE_USERS, |path, query| {
        checked::<RealtimeQuery>(path, query, realtime::compute)
    }),
    (&catalogue::GET_REVENUE_LTV, |path, query| {
        checked::<RevenueLtvQuery>(path, query, revenue_ltv::compute)
    }),
];

/// The reader of the computed endpoint at `path`, if there is one.
pub fn computed(path: &str) -> Option<Read> {
    COMPUTED
        .iter()
        .find(|(spec, _)| spec.path == path)
        .map(|(_, read)| *read)
}
