use crate::dashboard::{RealtimeQuery, SeriesResponse};
use crate::{Cost, Query};

/// The answer of `/api/2/realtime`: `x_values` are `HH:mm`, labels `Today` and `Yesterday`.
pub type RealtimeResponse = SeriesResponse;

impl Query for RealtimeQuery {
    type Response = RealtimeResponse;

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}
