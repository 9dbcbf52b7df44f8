use crate::catalogue::{EndpointSpec, GET_SESSIONS_PER_USER};
use crate::cost::QueryKind;
use crate::dashboard::{DateRange, SeriesResponse};
use crate::{Cost, Query, QueryPairs, ValidationError};

/// `GET /api/2/sessions/peruser`: average sessions per user per day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionsPerUserQuery {
    /// Days included.
    pub range: DateRange,
}

/// The answer of `/api/2/sessions/peruser`.
pub type SessionsPerUserResponse = SeriesResponse;

impl SessionsPerUserQuery {
    /// Sessions per user on each day of `range`.
    pub fn new(range: DateRange) -> Self {
        Self { range }
    }
}

impl Query for SessionsPerUserQuery {
    type Response = SessionsPerUserResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_SESSIONS_PER_USER
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
