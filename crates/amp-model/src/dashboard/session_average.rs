use crate::dashboard::{SeriesResponse, SessionAverageQuery};

/// The answer of `/api/2/sessions/average`: seconds per day.
pub type SessionAverageResponse = SeriesResponse;

impl_range_query!(SessionAverageQuery, SessionAverageResponse);
