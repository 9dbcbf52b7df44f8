use crate::catalogue::{EndpointSpec, GET_USERS};
use crate::cost::QueryKind;
use crate::dashboard::{
    DateRange, Segment, SeriesResponse, check_day_interval, check_segment_and_group,
    push_segment_and_group,
};
use crate::{Cost, Interval, Query, QueryPairs, UsersMetric, ValidationError};

/// `GET /api/2/users`: active or new users per day, week or month.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UsersQuery {
    /// Days included.
    pub range: DateRange,
    /// Active (default) or new users.
    pub metric: Option<UsersMetric>,
    /// Daily (default), weekly or monthly.
    pub interval: Option<Interval>,
    /// Only users in this segment.
    pub segment: Option<Segment>,
    /// Group by this property.
    pub group_by: Option<String>,
}

/// The answer of `/api/2/users`.
pub type UsersResponse = SeriesResponse;

impl UsersQuery {
    /// Active users per day over `range`.
    pub fn new(range: DateRange) -> Self {
        Self {
            range,
            metric: None,
            interval: None,
            segment: None,
            group_by: None,
        }
    }
}

impl Query for UsersQuery {
    type Response = UsersResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_USERS
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_day_interval(self.interval.as_ref())?;
        check_segment_and_group(self.segment.as_ref(), self.group_by.as_deref())
    }

    fn query_pairs(&self) -> QueryPairs {
        let mut pairs = QueryPairs::new();
        self.range.push_to(&mut pairs);
        pairs.push_opt("m", self.metric.as_ref());
        pairs.push_opt("i", self.interval.as_ref());
        push_segment_and_group(&mut pairs, self.segment.as_ref(), self.group_by.as_ref());
        pairs
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
