use crate::cost::QueryKind;
use crate::dashboard::{SeriesResponse, SessionLengthQuery, check_range};
use crate::wire::{Composite, Param, ParamError, check_known, decode};
use crate::{BinTimeUnit, Cost, Query, ValidationError, param};

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

/// Unit, minimum, maximum and size, in that order; all absent means Amplitude's default bins.
impl Composite<4> for Option<SessionBins> {
    fn to_wire(&self) -> [Option<String>; 4] {
        match self {
            Some(bins) => [
                bins.unit.to_wire(),
                bins.min.to_wire(),
                bins.max.to_wire(),
                bins.size.as_ref().and_then(Param::to_wire),
            ],
            None => [None, None, None, None],
        }
    }

    fn from_wire(names: [&'static str; 4], texts: [Option<&str>; 4]) -> Result<Self, ParamError> {
        fn required<T: Param>(name: &'static str, text: Option<&str>) -> Result<T, ParamError> {
            decode::value(name, text.ok_or(ParamError::Missing { param: name })?)
        }
        let [unit, min, max, size] = texts;
        if unit.is_none() {
            return match texts
                .iter()
                .zip(names)
                .find_map(|(text, name)| text.map(|text| (name, text)))
            {
                Some((name, text)) => Err(ParamError::invalid(
                    name,
                    text,
                    crate::wire::Problem::Other(format!("custom bins need `{}`", names[0])),
                )),
                None => Ok(None),
            };
        }
        Ok(Some(SessionBins {
            unit: required(names[0], unit)?,
            min: required(names[1], min)?,
            max: required(names[2], max)?,
            size: size.map(|text| decode::value(names[3], text)).transpose()?,
        }))
    }
}

/// The answer of `/api/2/sessions/length`: `x_values` are bins such as `"0s-60s"`.
pub type SessionLengthResponse = SeriesResponse;

impl Query for SessionLengthQuery {
    type Response = SessionLengthResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        check_range(self.range, None)?;
        let Some(bins) = &self.bins else {
            return Ok(());
        };
        check_known(
            param::TIME_HISTOGRAM_CONFIG_BIN_TIME_UNIT,
            &bins.unit,
            BinTimeUnit::KNOWN,
        )?;
        if !(bins.min.is_finite() && bins.min >= 0.0) {
            return Err(ValidationError::new(
                param::TIME_HISTOGRAM_CONFIG_BIN_MIN,
                format!("{} must be a number of 0 or more", bins.min),
            ));
        }
        if !(bins.max.is_finite() && bins.max > bins.min) {
            return Err(ValidationError::new(
                param::TIME_HISTOGRAM_CONFIG_BIN_MAX,
                format!("{} must be greater than the minimum {}", bins.max, bins.min),
            ));
        }
        match bins.size {
            Some(size) if !(size.is_finite() && size > 0.0) => Err(ValidationError::new(
                param::TIME_HISTOGRAM_CONFIG_BIN_SIZE,
                format!("{size} must be greater than 0"),
            )),
            _ => Ok(()),
        }
    }

    fn cost(&self) -> Cost {
        Cost::of(QueryKind::Sessions, Some(&self.range), &[], 0)
    }
}
