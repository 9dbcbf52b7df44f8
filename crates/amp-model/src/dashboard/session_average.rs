use crate::cost::QueryKind;
use crate::dashboard::{SeriesResponse, SessionAverageQuery, check_range};
use crate::{Cost, Query, ValidationError};

/// The answer of `/api/2/sessions/average`: seconds per day.
pub type SessionAverageResponse = SeriesResponse;

impl Query for SessionAverageQuery {
    type Response = SessionAverageResponse;

    fn validate(&self) -> Result<(), ValidationError> {
        check_range(self.range, None)
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Sessions, Some(&self.range), None, 0)
    }
}
