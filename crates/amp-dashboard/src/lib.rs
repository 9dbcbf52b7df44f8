#![doc = include_str!("../README.md")]

mod chart_csv;
mod generated;
mod user_activity_pages;

pub use amp_model::dashboard::*;
pub use amp_model::{
    ActivityDirection, BinTimeUnit, CountComparator, FilterOperator, FunnelMode, FunnelUserType,
    Interval, LtvMetric, MatchType, PropertyType, RetentionMode, SegmentationMetric,
    SegmentationUserType, TimeType, UsersMetric,
};
pub use generated::*;
pub use user_activity_pages::{MAX_PAGE, first_match_activity, user_events};
