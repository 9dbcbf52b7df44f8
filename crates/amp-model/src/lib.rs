#![doc = include_str!("../README.md")]

pub mod annotations;
pub mod catalogue;
pub mod cohorts;
pub mod cost;
pub mod dashboard;
pub mod dates;
mod error;
pub mod error_body;
pub mod export;
mod generated;
pub mod limits;
pub mod privacy;
pub mod profile;
mod query;
pub mod releases;
mod success;
pub mod taxonomy;
pub mod wire;
mod wire_enum;

pub use cost::Cost;
pub use error::ValidationError;
pub use error_body::{CredentialProblem, ErrorBody, ExceededLimit};
pub use generated::param;
pub use generated::{
    ActivityDirection, BinTimeUnit, CohortIdType, CountComparator, DataType, FilterOperator,
    FunnelMode, FunnelUserType, Interval, LtvMetric, MatchType, MembershipIdType,
    MembershipOperation, OverrideScope, PropensityType, PropertyType, RecType, RetentionMode,
    SegmentationMetric, SegmentationUserType, TimeType, UsersMetric,
};
pub use limits::{CostLimitReading, Limits};
pub use query::{Query, QueryPairs};
pub use success::Success;
pub use wire::{ParamError, Wire};
