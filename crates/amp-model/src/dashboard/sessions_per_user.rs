use crate::dashboard::{SeriesResponse, SessionsPerUserQuery};

/// The answer of `/api/2/sessions/peruser`.
pub type SessionsPerUserResponse = SeriesResponse;

impl_range_query!(SessionsPerUserQuery, SessionsPerUserResponse);
