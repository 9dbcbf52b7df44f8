use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Timelike as _, Utc};

use crate::wire::{Composite, Param, ParamError, Problem};
use crate::{ValidationError, param};

/// One UTC hour, the unit of the Export API's `start` and `end` (`YYYYMMDDTHH` on the wire,
/// and in serde).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde_with::SerializeDisplay,
    serde_with::DeserializeFromStr,
)]
pub struct Hour(NaiveDateTime);

impl Hour {
    /// Hour `hour` (0 to 23) of `date`, UTC; `None` for an hour past 23.
    pub fn new(date: NaiveDate, hour: u32) -> Option<Self> {
        date.and_hms_opt(hour, 0, 0).map(Self)
    }

    /// The hour holding `time`.
    pub fn containing(time: DateTime<Utc>) -> Self {
        let naive = time.naive_utc();
        Self(naive.date().and_time(
            chrono::NaiveTime::from_hms_opt(naive.hour(), 0, 0).expect("an hour of a day"),
        ))
    }

    /// The hour's first instant.
    pub fn start(self) -> DateTime<Utc> {
        self.0.and_utc()
    }

    /// The hour's day.
    pub fn date(self) -> NaiveDate {
        self.0.date()
    }

    /// The hour of the day, 0 to 23.
    pub fn hour(self) -> u32 {
        self.0.hour()
    }

    /// The hour `count` hours later (earlier when negative); `None` past chrono's calendar.
    pub fn plus(self, count: i64) -> Option<Self> {
        self.0
            .checked_add_signed(TimeDelta::try_hours(count)?)
            .map(Self)
    }

    /// Hours from `self` to `later`; negative when `later` is earlier.
    pub fn hours_until(self, later: Self) -> i64 {
        (later.0 - self.0).num_hours()
    }
}

/// `YYYYMMDDTHH`, as the Export API writes it.
impl fmt::Display for Hour {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.format("%Y%m%dT%H"))
    }
}

/// Reads `YYYYMMDDTHH` (the wire form) or `YYYY-MM-DDTHH`.
impl FromStr for Hour {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let refuse = || {
            format!(
                "`{text}` is not an hour: write YYYYMMDDTHH or YYYY-MM-DDTHH (e.g. 20240131T05)"
            )
        };
        let (day, hour) = text.split_once('T').ok_or_else(refuse)?;
        let date = if day.len() == 10 {
            NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
        } else {
            crate::dates::parse_compact(day)
        }
        .ok_or_else(refuse)?;
        if hour.len() != 2 || !hour.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(refuse());
        }
        let hour: u32 = hour.parse().map_err(|_| refuse())?;
        Self::new(date, hour).ok_or_else(refuse)
    }
}

impl Param for Hour {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse().map_err(Problem::Other)
    }
}

/// The longest range one export request may ask for.
pub const MAX_EXPORT_DAYS: i64 = 365;

/// The first and last hours of an export, both included. It cannot be built backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HourRange {
    start: Hour,
    end: Hour,
}

impl HourRange {
    /// The hours from `start` to `end`, both included; `start` after `end` is refused.
    pub fn new(start: Hour, end: Hour) -> Result<Self, ValidationError> {
        if start > end {
            return Err(ValidationError::new(
                param::START,
                format!("{start} is after `end` {end}; start must be on or before end"),
            ));
        }
        Ok(Self { start, end })
    }

    /// One hour.
    pub fn hour(hour: Hour) -> Self {
        Self {
            start: hour,
            end: hour,
        }
    }

    /// The first hour included.
    pub fn start(&self) -> Hour {
        self.start
    }

    /// The last hour included.
    pub fn end(&self) -> Hour {
        self.end
    }

    /// Hours in the range, both ends included.
    pub fn hours(&self) -> u64 {
        self.start.hours_until(self.end).unsigned_abs() + 1
    }

    /// Refuses a range longer than Amplitude's [`MAX_EXPORT_DAYS`].
    pub fn check_span(&self) -> Result<(), ValidationError> {
        let most = u64::try_from(MAX_EXPORT_DAYS * 24).unwrap_or(u64::MAX);
        if self.hours() > most {
            return Err(ValidationError::new(
                param::END,
                format!(
                    "{} to {} spans {} hours; one export covers at most {MAX_EXPORT_DAYS} days ({most} hours)",
                    self.start,
                    self.end,
                    self.hours()
                ),
            ));
        }
        Ok(())
    }

    /// Whether `time` falls in one of the range's hours.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        let hour = Hour::containing(time);
        self.start <= hour && hour <= self.end
    }
}

/// The first and the last hour, `YYYYMMDDTHH` each.
impl Composite<2> for HourRange {
    fn to_wire(&self) -> [Option<String>; 2] {
        [Some(self.start.to_string()), Some(self.end.to_string())]
    }

    fn from_wire(names: [&'static str; 2], texts: [Option<&str>; 2]) -> Result<Self, ParamError> {
        crate::wire::decode::range(names, texts, Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_both_forms_and_refuse_near_misses() {
        let hour: Hour = "20240201T05".parse().unwrap();
        assert_eq!(hour, "2024-02-01T05".parse().unwrap());
        assert_eq!(hour.to_string(), "20240201T05");
        assert_eq!(
            (hour.date().to_string(), hour.hour()),
            ("2024-02-01".into(), 5)
        );
        for bad in [
            "20240201",
            "20240201T5",
            "20240201T24",
            "2024021T05",
            "20240230T00",
            "x",
        ] {
            let error = bad.parse::<Hour>().unwrap_err();
            assert!(error.contains("YYYYMMDDTHH"), "{bad}: {error}");
        }
    }

    #[test]
    fn ranges_count_both_ends_and_keep_to_a_year() {
        let at = |text: &str| text.parse::<Hour>().unwrap();
        let day = HourRange::new(at("20240201T00"), at("20240201T23")).unwrap();
        assert_eq!(day.hours(), 24);
        assert!(day.contains(at("20240201T23").start() + TimeDelta::minutes(59)));
        assert!(!day.contains(at("20240202T00").start()));
        let backwards = HourRange::new(at("20240202T00"), at("20240201T23")).unwrap_err();
        assert_eq!(backwards.param(), param::START);
        let year = HourRange::new(at("20240101T00"), at("20241230T23")).unwrap();
        assert_eq!(year.hours(), 365 * 24);
        year.check_span().unwrap();
        let longer = HourRange::new(at("20240101T00"), at("20241231T00")).unwrap();
        assert_eq!(longer.check_span().unwrap_err().param(), param::END);
    }
}
