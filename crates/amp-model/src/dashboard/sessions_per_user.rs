use crate::cost::QueryKind;
use crate::dashboard::{SeriesResponse, SessionsPerUserQuery, check_range};
use crate::{Cost, Query, ValidationError};

/// The answer of `/api/2/sessions/peruser`.
pub type SessionsPerUserResponse = SeriesResponse;

impl Query for SessionsPerUserQuery {
    type Response = SessionsPerUserResponse;

    fn validate(&self) -> Result<(), ValidationError> {
        check_range(self.range, None)
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Sessions, Some(&self.range), None, 0)
    }
}
