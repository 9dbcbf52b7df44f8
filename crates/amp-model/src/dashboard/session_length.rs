use crate::catalogue::{EndpointSpec, GET_SESSION_LENGTH};
use crate::cost::QueryKind;
use crate::dashboard::{DateRange, SeriesResponse};
use crate::{BinTimeUnit, Cost, Query, QueryPairs, ValidationError};

/// `GET /api/2/sessions/length`: how many sessions fall in each length bin.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionLengthQuery {
    /// Days included.
    pub range: DateRange,
    /// Custom bins; without them Amplitude uses its nine default bins (3 s up to 1 day).
    pub bins: Option<SessionBins>,
}

/// Custom session-length bins. Unit, minimum and maximum go together; without a size
/// Amplitude chooses the bin sizes itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionBins {
    /// The unit of `min`, `max` and `size`.
    pub unit: BinTimeUnit,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Width of each bin.
    pub size: Option<f64>,
}

impl SessionBins {
    /// Bins from `min` to `max` in `unit`, sized by Amplitude.
    pub fn new(unit: BinTimeUnit, min: f64, max: f64) -> Self {
        Self {
            unit,
            min,
            max,
            size: None,
        }
    }

    /// Bins of width `size`.
    #[must_use]
    pub fn size(mut self, size: f64) -> Self {
        self.size = Some(size);
        self
    }
}

/// The answer of `/api/2/sessions/length`: `x_values` are bins such as `"0s-60s"`.
pub type SessionLengthResponse = SeriesResponse;

impl SessionLengthQuery {
    /// Session lengths over `range` in the default bins.
    pub fn new(range: DateRange) -> Self {
        Self { range, bins: None }
    }
}

impl Query for SessionLengthQuery {
    type Response = SessionLengthResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_SESSION_LENGTH
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let Some(bins) = &self.bins else {
            return Ok(());
        };
        if !(bins.min.is_finite() && bins.min >= 0.0) {
            return Err(ValidationError::new(
                "timeHistogramConfigBinMin",
                format!("{} must be a number of 0 or more", bins.min),
            ));
        }
        if !(bins.max.is_finite() && bins.max > bins.min) {
            return Err(ValidationError::new(
                "timeHistogramConfigBinMax",
                format!("{} must be greater than the minimum {}", bins.max, bins.min),
            ));
        }
        match bins.size {
            Some(size) if !(size.is_finite() && size > 0.0) => Err(ValidationError::new(
                "timeHistogramConfigBinSize",
                format!("{size} must be greater than 0"),
            )),
            _ => Ok(()),
        }
    }

    fn query_pairs(&self) -> QueryPairs {
        let mut pairs = QueryPairs::new();
        self.range.push_to(&mut pairs);
        if let Some(bins) = &self.bins {
            pairs.push("timeHistogramConfigBinTimeUnit", &bins.unit);
            pairs.push("timeHistogramConfigBinMin", bins.min);
            pairs.push("timeHistogramConfigBinMax", bins.max);
            pairs.push_opt("timeHistogramConfigBinSize", bins.size);
        }
        pairs
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Sessions, Some(&self.range), None, 0)
    }
}
