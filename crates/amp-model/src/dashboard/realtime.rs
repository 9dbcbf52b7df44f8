use crate::catalogue::{EndpointSpec, GET_REALTIME_ACTIVE_USERS};
use crate::dashboard::SeriesResponse;
use crate::{Cost, Query, QueryPairs, ValidationError};

/// `GET /api/2/realtime`: active users in 5-minute buckets, today and yesterday. Its one
/// parameter, `i`, accepts only its default of 5, so it is never sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RealtimeQuery;

impl RealtimeQuery {
    /// The query.
    pub fn new() -> Self {
        Self
    }
}

/// The answer of `/api/2/realtime`: `x_values` are `HH:mm`, labels `Today` and `Yesterday`.
pub type RealtimeResponse = SeriesResponse;

impl Query for RealtimeQuery {
    type Response = RealtimeResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_REALTIME_ACTIVE_USERS
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    fn query_pairs(&self) -> QueryPairs {
        QueryPairs::new()
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}
