use crate::catalogue::{EndpointSpec, GET_AVERAGE_SESSION_LENGTH};
use crate::cost::QueryKind;
use crate::dashboard::{DateRange, SeriesResponse};
use crate::{Cost, Query, QueryPairs, ValidationError};

/// `GET /api/2/sessions/average`: average session length per day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionAverageQuery {
    /// Days included.
    pub range: DateRange,
}

/// The answer of `/api/2/sessions/average`: seconds per day.
pub type SessionAverageResponse = SeriesResponse;

impl SessionAverageQuery {
    /// The average session length on each day of `range`.
    pub fn new(range: DateRange) -> Self {
        Self { range }
    }
}

impl Query for SessionAverageQuery {
    type Response = SessionAverageResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_AVERAGE_SESSION_LENGTH
    }

    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    fn query_pairs(&self) -> QueryPairs {
        let mut pairs = QueryPairs::new();
        self.range.push_to(&mut pairs);
        pairs
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Sessions, Some(&self.range), None, 0)
    }
}
