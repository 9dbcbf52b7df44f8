use crate::cost::QueryKind;
use crate::dashboard::check_range;
use crate::dashboard::{SeriesResponse, UsersQuery, check_day_interval, check_segment_and_group};
use crate::{Cost, Query, ValidationError};

/// The answer of `/api/2/users`.
pub type UsersResponse = SeriesResponse;

impl Query for UsersQuery {
    type Response = UsersResponse;

    fn validate(&self) -> Result<(), ValidationError> {
        check_day_interval(self.interval.as_ref())?;
        check_range(self.range, self.interval.as_ref())?;
        check_segment_and_group(self.segment.as_ref(), self.group_by.as_deref())
    }

    fn cost(&self) -> Cost {
        Cost::of(
            QueryKind::Other,
            Some(&self.range),
            self.segment.as_ref(),
            usize::from(self.group_by.is_some()),
        )
    }
}
