use crate::cost::QueryKind;
use crate::dashboard::{CompositionQuery, SeriesResponse, check_property, check_range};
use crate::{Cost, Query, ValidationError, param};

/// The answer of `/api/2/composition`: `x_values` are the property values, `(none)` for unset.
pub type CompositionResponse = SeriesResponse;

impl Query for CompositionQuery {
    type Response = CompositionResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        check_range(self.range, None)?;
        check_property(param::P, Some(&self.property))
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Other, Some(&self.range), &[], 0)
    }
}
