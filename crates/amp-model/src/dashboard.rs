//! The Dashboard REST API: the shared query pieces (events, segments, date ranges), the shared
//! result shape ([`Series`]), and one query and response per endpoint.

/// `impl Query` for a query of a date range alone (average session length, sessions per user).
macro_rules! impl_range_query {
    ($query:ty, $response:ty) => {
        impl $crate::Query for $query {
            type Response = $response;

            fn validate_rules(&self) -> Result<(), $crate::ValidationError> {
                $crate::dashboard::check_range(self.range, None)
            }

            fn cost(&self) -> $crate::Cost {
                $crate::Cost::of($crate::cost::QueryKind::Sessions, Some(&self.range), &[], 0)
            }
        }
    };
}

/// `impl Query` for a query of daily, weekly or monthly buckets with segments and group-bys
/// (active and new users, revenue LTV): the rules and the cost they share.
macro_rules! impl_bucketed_query {
    ($query:ty, $response:ty) => {
        impl $crate::Query for $query {
            type Response = $response;

            fn validate_rules(&self) -> Result<(), $crate::ValidationError> {
                $crate::dashboard::check_day_interval(self.interval.as_ref())?;
                $crate::dashboard::check_range(self.range, self.interval.as_ref())?;
                $crate::dashboard::check_segments_and_groups(&self.segments, &self.group_by)
            }

            fn cost(&self) -> $crate::Cost {
                $crate::Cost::of(
                    $crate::cost::QueryKind::Other,
                    Some(&self.range),
                    &self.segments,
                    self.group_by.iter().count(),
                )
            }
        }
    };
}

mod chart;
mod composition;
mod date_range;
mod event;
mod events_list;
mod formula;
mod funnel;
mod metadata;
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

pub use crate::generated::{
    ChartCsvQuery, ChartQuery, CompositionQuery, FunnelQuery, ListEventsQuery, RealtimeQuery,
    RetentionQuery, RevenueLtvQuery, SegmentationQuery, SessionAverageQuery, SessionLengthQuery,
    SessionsPerUserQuery, UserActivityQuery, UserSearchQuery, UsersQuery,
};
pub use chart::{ChartCsv, ChartCsvResponse, ChartData, ChartResponse};
pub use composition::CompositionResponse;
pub use date_range::DateRange;
pub use event::{Event, EventType, Filter, GroupBy, MAX_EVENT_GROUP_BYS};
pub use events_list::{EventInfo, EventsListResponse};
pub use formula::{Formula, MAX_FORMULA_DEPTH, Measure};
pub use funnel::{DaySeries, Funnel, FunnelMeta, FunnelResponse, FunnelStep};
pub use metadata::{Extra, Metadata};
pub use realtime::RealtimeResponse;
pub use retention::{
    RetentionCell, RetentionData, RetentionResponse, RetentionRow, RetentionSeries,
};
pub use revenue_ltv::{LtvData, LtvDay, LtvRow, LtvSeries, RevenueLtvResponse};
pub use segment::{Condition, PerformedCondition, PropertyCondition, Segment};
pub use segmentation::SegmentationResponse;
pub use series::{FlexNumber, Row, Series, SeriesIndices, SeriesLabel, SeriesMeta, SeriesResponse};
pub use session_average::SessionAverageResponse;
pub use session_length::{SessionBins, SessionLengthResponse};
pub use sessions_per_user::SessionsPerUserResponse;
pub use user_activity::{
    ActivityEvent, ActivityMetadata, ActivityUser, Location, UserActivityResponse,
};
pub use user_search::{UserMatch, UserSearchResponse};
pub use users::UsersResponse;

use crate::{Interval, ValidationError, param};

/// The most request-level group-bys a query takes (`g` and `g2` on the wire).
pub const MAX_GROUP_BYS: usize = 2;

/// The most group values `limit` may ask for.
pub const MAX_LIMIT: u32 = 1_000;

fn check_limit(limit: Option<u32>) -> Result<(), ValidationError> {
    match limit {
        Some(0) => Err(ValidationError::new(
            param::LIMIT,
            format!("0 returns nothing; use 1 to {MAX_LIMIT}"),
        )),
        Some(limit) if limit > MAX_LIMIT => Err(ValidationError::new(
            param::LIMIT,
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

/// Refuses a server value inside the JSON of `param` that Amplitude does not define (`key` is
/// its JSON key), as Amplitude refuses it.
fn check_known<T: PartialEq + std::fmt::Display>(
    param: &'static str,
    key: &str,
    value: &T,
    known: &[T],
) -> Result<(), ValidationError> {
    crate::wire::check_known(param, value, known)
        .map_err(|error| ValidationError::new(param, format!("`{key}` {}", error.reason())))
}

/// The longest range a query may cover: ten years, further back than any project's history, so
/// that no query asks for an absurd number of buckets (Amplitude's docs cap daily series at 365
/// days without saying whether a longer range is refused or cut).
pub const MAX_RANGE_DAYS: u64 = 3_660;

/// The most days the real-time (5-minute) interval covers, as Amplitude documents.
pub const MAX_REALTIME_DAYS: u64 = 2;
/// The most days the hourly interval covers, as Amplitude documents.
pub const MAX_HOURLY_DAYS: u64 = 7;

/// Refuses a range longer than its interval allows.
fn check_range(range: DateRange, interval: Option<&Interval>) -> Result<(), ValidationError> {
    let (most, name) = match interval {
        Some(Interval::Realtime) => (MAX_REALTIME_DAYS, param::I),
        Some(Interval::Hourly) => (MAX_HOURLY_DAYS, param::I),
        _ => (MAX_RANGE_DAYS, param::END),
    };
    if range.days() > most {
        return Err(ValidationError::new(
            name,
            format!(
                "the range covers {} days; this interval covers at most {most} days, so shorten the range",
                range.days()
            ),
        ));
    }
    Ok(())
}

/// Users, retention and LTV take daily, weekly or monthly buckets only.
fn check_day_interval(interval: Option<&Interval>) -> Result<(), ValidationError> {
    match interval {
        Some(interval @ (Interval::Realtime | Interval::Hourly)) => Err(ValidationError::new(
            param::I,
            format!("{interval} is not allowed here; use 1 (daily), 7 (weekly) or 30 (monthly)"),
        )),
        _ => Ok(()),
    }
}

/// Checks the segments (`s`) and the request-level group-bys (`g`, `g2`): each segment, each
/// property name, and Amplitude's rule that a group-by is "available only when there is a
/// single segment".
fn check_segments_and_groups<'a>(
    segments: &[Segment],
    group_bys: impl IntoIterator<Item = &'a String>,
) -> Result<(), ValidationError> {
    for segment in segments {
        segment.validate(param::S)?;
    }
    let mut grouped = 0;
    for property in group_bys {
        check_property(param::G, Some(property))?;
        grouped += 1;
    }
    if grouped > MAX_GROUP_BYS {
        return Err(ValidationError::new(
            param::G,
            format!(
                "{grouped} group-bys; Amplitude allows at most {MAX_GROUP_BYS} (`{}` and `{}`)",
                param::G,
                param::G2
            ),
        ));
    }
    if grouped > 0 && segments.len() > 1 {
        return Err(ValidationError::new(
            param::G,
            format!(
                "Amplitude allows a group-by only with a single segment, and this query has {}; drop the group-by or compare one segment",
                segments.len()
            ),
        ));
    }
    Ok(())
}
