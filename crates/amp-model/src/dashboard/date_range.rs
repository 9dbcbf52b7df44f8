use chrono::NaiveDate;

use crate::dates::{format_compact, parse_compact};
use crate::wire::{Composite, ParamError};
use crate::{ValidationError, param};

/// The `start` and `end` days of a query, both included. It cannot be built backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    /// A range from `start` to `end`, both included; `start` after `end` is refused.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, ValidationError> {
        if start > end {
            return Err(ValidationError::new(
                param::START,
                format!("{start} is after `end` {end}; start must be on or before end"),
            ));
        }
        Ok(Self { start, end })
    }

    /// A range from its wire form, `YYYYMMDD` both.
    pub fn parse(start: &str, end: &str) -> Result<Self, ValidationError> {
        let date = |name: &'static str, text: &str| {
            parse_compact(text).ok_or_else(|| {
                ValidationError::new(
                    name,
                    format!("`{text}` is not a date in the form YYYYMMDD (e.g. 20240131)"),
                )
            })
        };
        Self::new(date(param::START, start)?, date(param::END, end)?)
    }

    /// One day.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            start: date,
            end: date,
        }
    }

    /// The first day included.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The last day included.
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Days in the range, both ends included: the cost formula's `days`.
    pub fn days(&self) -> u64 {
        // `new` guarantees end >= start, so the difference is not negative.
        (self.end - self.start).num_days().unsigned_abs() + 1
    }
}

/// The first and the last day, `YYYYMMDD` each.
impl Composite<2> for DateRange {
    fn to_wire(&self) -> [Option<String>; 2] {
        [
            Some(format_compact(self.start)),
            Some(format_compact(self.end)),
        ]
    }

    fn from_wire(names: [&'static str; 2], texts: [Option<&str>; 2]) -> Result<Self, ParamError> {
        crate::wire::decode::range::<NaiveDate, _>(names, texts, Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_count_both_ends_and_refuse_to_run_backwards() {
        let range = DateRange::parse("20240101", "20240131").unwrap();
        assert_eq!(range.days(), 31);
        assert_eq!(DateRange::day(range.start()).days(), 1);
        let error = DateRange::parse("20240201", "20240131").unwrap_err();
        assert_eq!(error.param(), param::START);
        assert!(error.to_string().contains("on or before end"), "{error}");
        assert_eq!(
            DateRange::parse("20240101", "2024-01-31")
                .unwrap_err()
                .param(),
            param::END
        );
    }
}
