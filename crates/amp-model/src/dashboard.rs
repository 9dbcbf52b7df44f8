//! The Dashboard REST API: the shared query pieces (events, segments, date ranges), the shared
//! result shape ([`Series`]), and one query and response per endpoint.

mod chart;
mod composition;
mod date_range;
mod event;
mod events_list;
mod funnel;
mod realtime;
mod retention;
mod revenue_ltv;
mod segment;
mod segmentation;
mod series;
mod session_average;
mod session_length;
mod sessions_per_user;
mod user_activity;
mod user_search;
mod users;

pub use chart::{ChartCsv, ChartCsvQuery, ChartCsvResponse, ChartData, ChartQuery, ChartResponse};
pub use composition::{CompositionQuery, CompositionResponse};
pub use date_range::DateRange;
pub use event::{Event, EventType, Filter, GroupBy, MAX_EVENT_GROUP_BYS};
pub use events_list::{EventInfo, EventsListResponse, ListEventsQuery};
pub use funnel::{DaySeries, Funnel, FunnelMeta, FunnelQuery, FunnelResponse, FunnelStep};
pub use realtime::{RealtimeQuery, RealtimeResponse};
pub use retention::{
    RetentionCell, RetentionData, RetentionQuery, RetentionResponse, RetentionRow, RetentionSeries,
};
pub use revenue_ltv::{LtvData, LtvDay, LtvRow, LtvSeries, RevenueLtvQuery, RevenueLtvResponse};
pub use segment::{Condition, PerformedCondition, PropertyCondition, Segment};
pub use segmentation::{MAX_GROUP_BYS, SegmentationQuery, SegmentationResponse};
pub use series::{FlexNumber, Row, Series, SeriesIndices, SeriesLabel, SeriesMeta, SeriesResponse};
pub use session_average::{SessionAverageQuery, SessionAverageResponse};
pub use session_length::{SessionBins, SessionLengthQuery, SessionLengthResponse};
pub use sessions_per_user::{SessionsPerUserQuery, SessionsPerUserResponse};
pub use user_activity::{
    ActivityEvent, ActivityMetadata, ActivityUser, Location, UserActivityQuery,
    UserActivityResponse,
};
pub use user_search::{UserMatch, UserSearchQuery, UserSearchResponse};
pub use users::{UsersQuery, UsersResponse};

use crate::{Interval, QueryPairs, ValidationError};

/// The most group values `limit` may ask for.
pub const MAX_LIMIT: u32 = 1_000;

fn check_limit(limit: Option<u32>) -> Result<(), ValidationError> {
    match limit {
        Some(0) => Err(ValidationError::new(
            "limit",
            format!("0 returns nothing; use 1 to {MAX_LIMIT}"),
        )),
        Some(limit) if limit > MAX_LIMIT => Err(ValidationError::new(
            "limit",
            format!("{limit} is above the maximum of {MAX_LIMIT}"),
        )),
        _ => Ok(()),
    }
}

fn check_property(param: &'static str, property: Option<&str>) -> Result<(), ValidationError> {
    match property {
        Some(name) if name.trim().is_empty() => Err(ValidationError::new(
            param,
            "the property name is empty; name a property such as `country` or `gp:plan`",
        )),
        _ => Ok(()),
    }
}

/// Users, retention and LTV take daily, weekly or monthly buckets only.
fn check_day_interval(interval: Option<&Interval>) -> Result<(), ValidationError> {
    match interval {
        Some(interval @ (Interval::Realtime | Interval::Hourly)) => Err(ValidationError::new(
            "i",
            format!("{interval} is not allowed here; use 1 (daily), 7 (weekly) or 30 (monthly)"),
        )),
        _ => Ok(()),
    }
}

/// Checks the segment (`s`) and the one group-by (`g`) of users, funnels, retention and LTV.
fn check_segment_and_group(
    segment: Option<&Segment>,
    group_by: Option<&str>,
) -> Result<(), ValidationError> {
    segment.map_or(Ok(()), Segment::validate)?;
    check_property("g", group_by)
}

/// Writes `s` unless the segment is absent or empty ("Any users" is the default).
fn push_segment(pairs: &mut QueryPairs, segment: Option<&Segment>) {
    if let Some(segment) = segment.filter(|segment| !segment.conditions.is_empty()) {
        pairs.push_json("s", segment);
    }
}

/// Writes `s` and the one group-by `g`.
fn push_segment_and_group(
    pairs: &mut QueryPairs,
    segment: Option<&Segment>,
    group_by: Option<&String>,
) {
    push_segment(pairs, segment);
    pairs.push_opt("g", group_by);
}
