use crate::catalogue::{EndpointSpec, GET_USER_COMPOSITION};
use crate::cost::QueryKind;
use crate::dashboard::{DateRange, SeriesResponse, check_property};
use crate::{Cost, Query, QueryPairs, ValidationError};

/// `GET /api/2/composition`: how users spread over the values of one property.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompositionQuery {
    /// Days included.
    pub range: DateRange,
    /// The user property (`p`): `country`, `platform`, `gp:<custom>`, ...
    pub property: String,
}

/// The answer of `/api/2/composition`: `x_values` are the property values, `(none)` for unset.
pub type CompositionResponse = SeriesResponse;

impl CompositionQuery {
    /// The composition of `property` over `range`.
    pub fn new(range: DateRange, property: impl Into<String>) -> Self {
        Self {
            range,
            property: property.into(),
        }
    }
}

impl Query for CompositionQuery {
    type Response = CompositionResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_USER_COMPOSITION
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_property("p", Some(&self.property))
    }

    fn query_pairs(&self) -> QueryPairs {
        let mut pairs = QueryPairs::new();
        self.range.push_to(&mut pairs);
        pairs.push("p", &self.property);
        pairs
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Other, Some(&self.range), None, 0)
    }
}
