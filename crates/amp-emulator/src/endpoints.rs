//! One module per endpoint, each computing its answer from the events as the SDK's own response
//! type, and [`COMPUTED`], the table of those endpoints by catalogue entry that the HTTP routes
//! and the saved-chart runner both use. A request is read by the endpoint's generated strict
//! decoder and checked with the validation the SDK runs before sending ([`crate::request`]).
//!
//! Several segments (`s` repeated) are computed one after the other, each its own series (or
//! funnel, or retention and LTV series) with its `segmentIndex`; no segment is one segment of
//! every user.

pub mod annotations;
pub mod chart;
pub mod cohorts;
pub mod composition;
pub mod events_list;
pub mod export;
pub mod funnel;
pub mod ingestion;
pub mod privacy;
pub mod profile;
pub mod realtime;
pub mod releases;
pub mod retention;
pub mod revenue_ltv;
pub mod segmentation;
pub mod session_average;
pub mod session_length;
pub mod sessions_per_user;
pub mod taxonomy;
pub mod user_activity;
pub mod user_search;
pub mod users;

use amp_model::Query;
use amp_model::catalogue::{self, EndpointSpec, RateClass};
use amp_model::dashboard::{
    CompositionQuery, FunnelQuery, ListEventsQuery, Metadata, RealtimeQuery, RetentionQuery,
    RevenueLtvQuery, Segment, SegmentationQuery, Series, SeriesIndices, SeriesMeta, SeriesResponse,
    SessionAverageQuery, SessionLengthQuery, SessionsPerUserQuery, UserActivityQuery,
    UserSearchQuery, UsersQuery,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::calendar::Bucket;
use crate::project::Project;
use crate::request::{Refusal, read};

/// Works through the users in parts on every core, each thread taking the next part when done
/// with one, so that a core slowed by others' work gets less; gives each part's result, in user
/// order. A small project is one part.
fn by_parts<T: Send>(
    project: &Project,
    work: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    const SMALL: usize = 10_000;
    const PARTS_PER_CORE: usize = 8;
    let users = project.store.users.len();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if users < SMALL || cores == 1 {
        return vec![work(0..users)];
    }
    let parts = cores * PARTS_PER_CORE;
    let size = users.div_ceil(parts);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let (work, next) = (&work, &next);
        let running: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let part = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if part >= parts {
                            return done;
                        }
                        let range = (part * size).min(users)..((part + 1) * size).min(users);
                        done.push((part, work(range)));
                    }
                })
            })
            .collect();
        running
            .into_iter()
            .flat_map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(part, _)| *part);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The bucket `ms` falls in.
fn bucket_of(buckets: &[Bucket], ms: i64) -> Option<usize> {
    let index = buckets
        .partition_point(|bucket| bucket.start_ms <= ms)
        .checked_sub(1)?;
    (ms < buckets[index].end_ms).then_some(index)
}

/// Finds the buckets of times that mostly come in order, as a user's events do: from the bucket
/// found last it steps on, and searches only for a time before it.
struct BucketCursor<'a> {
    buckets: &'a [Bucket],
    at: usize,
}

impl<'a> BucketCursor<'a> {
    fn new(buckets: &'a [Bucket]) -> Self {
        Self { buckets, at: 0 }
    }

    /// The bucket `ms` falls in.
    fn find(&mut self, ms: i64) -> Option<usize> {
        if self.buckets.get(self.at)?.start_ms > ms {
            self.at = bucket_of(self.buckets, ms)?;
            return Some(self.at);
        }
        let ahead = self.buckets[self.at..]
            .iter()
            .position(|bucket| ms < bucket.end_ms)?;
        let found = self.at + ahead;
        if ms < self.buckets[found].start_ms {
            return None;
        }
        self.at = found;
        Some(found)
    }
}

/// The x values of `buckets`: their labels.
fn labels(buckets: &[Bucket]) -> Vec<String> {
    buckets.iter().map(|bucket| bucket.label.clone()).collect()
}

/// The segments a query compares, in order; "all users" (`None`) when it names none.
fn each_segment(segments: &[Segment]) -> Vec<Option<&Segment>> {
    if segments.is_empty() {
        vec![None]
    } else {
        segments.iter().map(Some).collect()
    }
}

/// `seriesMeta` of a row of segment `segment` (and event `event`, when the answer says).
fn segment_meta(segment: usize, event: Option<usize>) -> SeriesMeta {
    let mut indices = SeriesIndices::default();
    indices.segment_index = u32::try_from(segment).ok();
    indices.event_index = event.and_then(|event| u32::try_from(event).ok());
    SeriesMeta::Indices(indices)
}

/// The metadata of an answer computed just now over every event: not cached, not sampled,
/// nothing pruned; `cut` when groups were dropped at the group-by limit.
fn fresh(project: &Project, cost: u64, cut: bool) -> Metadata {
    let mut metadata = Metadata::default();
    metadata.was_cached = Some(false);
    metadata.time_computed = Some(project.now_ms());
    metadata.cache_freshness = Some("FRESH".into());
    #[allow(clippy::cast_precision_loss, reason = "costs are far below 2^53")]
    let cost = cost as f64;
    metadata.nova_cost = Some(cost);
    metadata.min_sample_rate = Some(1.0);
    metadata.pruned_result = Some(false);
    metadata.hit_chunk_group_by_limit = Some(cut);
    metadata.missed_cache_and_not_computed = Some(false);
    metadata.partial_merged_and_new_user_information = Some(false);
    metadata.realtime_data_missing = Some(false);
    metadata.query_ids = Some(vec![query_id(project)]);
    metadata
}

/// An ID for the query being answered, as real answers list in `queryIds`.
fn query_id(project: &Project) -> String {
    format!("emulator-{}", project.now_ms())
}

/// The answer of a session endpoint: one series of `values` at `x_values`, with the metadata
/// and `withSets` real session answers carry.
fn session_series(
    project: &Project,
    cost: u64,
    x_values: Vec<String>,
    values: Vec<f64>,
) -> SeriesResponse {
    let mut data = Series::default();
    data.x_values = x_values;
    data.series = vec![values.into_iter().map(Some).collect()];
    data.series_meta = vec![segment_meta(0, None)];
    let mut response = SeriesResponse::default();
    response.data = data;
    response.metadata = fresh(project, cost, false);
    response.extra.insert("withSets".into(), Value::Bool(false));
    response
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

fn checked<Q>(
    path: &str,
    query: Option<&str>,
    compute: fn(&Project, &Q) -> Q::Response,
) -> Result<Checked, Refusal>
where
    Q: Query + Send + 'static,
    Q::Response: Serialize,
{
    let query = read::<Q>(path, query)?;
    Ok(Checked {
        cost: query.cost().total(),
        class: Q::SPEC.rate_class,
        compute: Box::new(move |project| {
            serde_json::to_value(compute(project, &query)).unwrap_or_else(
                |error| json!({"error": format!("the emulator could not write its answer: {error}")}),
            )
        }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_finds_what_a_search_finds_in_any_order() {
        let buckets: Vec<Bucket> = (0..3)
            .map(|n| Bucket {
                label: n.to_string(),
                start_ms: n * 10,
                end_ms: n * 10 + 10,
            })
            .collect();
        let mut cursor = BucketCursor::new(&buckets);
        for ms in [5, 15, 15, 25, 3, 29, 30, -1, 10, 0, 31, 20] {
            assert_eq!(cursor.find(ms), bucket_of(&buckets, ms), "{ms}");
        }
        assert_eq!(BucketCursor::new(&[]).find(1), None);
    }

    #[test]
    fn parts_cover_every_user_once_in_order() {
        let mut project = Project::new(crate::Config::default()).unwrap();
        for user in 0..12_345 {
            project
                .store
                .user_for(Some(&format!("u{user}")), None, None);
        }
        let parts = by_parts(&project, |part| part);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        assert_eq!(parts.len(), if cores == 1 { 1 } else { cores * 8 });
        let mut next = 0;
        for part in parts {
            assert_eq!(part.start, next);
            next = part.end;
        }
        assert_eq!(next, 12_345);
    }
}
