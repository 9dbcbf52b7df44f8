//! Days, weeks, months and their buckets in the project time zone. A named zone's days follow
//! its daylight-saving changes: a day is from one local midnight to the next, 23 or 25 hours
//! long on the days the clocks change.

use amp_model::Interval;
use amp_model::dashboard::DateRange;
use chrono::{Datelike, Days, FixedOffset, Months, NaiveDate, NaiveDateTime, TimeZone};

/// One bucket of a time series: its label and its half-open span in ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:00` below a day.
    pub label: String,
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// End (excluded).
    pub end_ms: i64,
}

/// The nominal start of the `interval` bucket holding `day`: the day, its week's Monday, or its
/// month's 1st.
pub fn bucket_start(day: NaiveDate, interval: &Interval) -> NaiveDate {
    match interval {
        Interval::Weekly => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Interval::Monthly => day.with_day(1).expect("the 1st exists"),
        _ => day,
    }
}

/// A project's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC.
    Fixed(FixedOffset),
    /// An IANA zone, with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// The local time at `ms`.
    fn local(self, ms: i64) -> Option<NaiveDateTime> {
        match self {
            Self::Fixed(offset) => offset
                .timestamp_millis_opt(ms)
                .single()
                .map(|time| time.naive_local()),
            Self::Named(zone) => zone
                .timestamp_millis_opt(ms)
                .single()
                .map(|time| time.naive_local()),
        }
    }

    /// The first instant, ms, at or after the local time `at`: the earlier of a repeated hour,
    /// the end of a skipped one.
    fn instant(self, at: NaiveDateTime) -> i64 {
        let first = |at: NaiveDateTime| match self {
            Self::Fixed(offset) => offset
                .from_local_datetime(&at)
                .earliest()
                .map(|time| time.timestamp_millis()),
            Self::Named(zone) => zone
                .from_local_datetime(&at)
                .earliest()
                .map(|time| time.timestamp_millis()),
        };
        // A skipped local time: the clocks jumped over it, by at most a few hours.
        (0..=24)
            .find_map(|minutes| first(at + chrono::Duration::minutes(minutes * 15)))
            .unwrap_or_else(|| at.and_utc().timestamp_millis())
    }
}

/// The project's calendar.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    zone: Zone,
}

impl Calendar {
    /// The calendar of a time zone.
    pub fn new(zone: Zone) -> Self {
        Self { zone }
    }

    /// The day `ms` falls on.
    pub fn day_of(self, ms: i64) -> NaiveDate {
        self.zone
            .local(ms)
            .map_or(NaiveDate::MIN, |time| time.date())
    }

    /// When `day` begins, ms.
    pub fn start_of(self, day: NaiveDate) -> i64 {
        self.zone
            .instant(day.and_hms_opt(0, 0, 0).expect("midnight exists"))
    }

    /// The span of a range, ms, end excluded.
    pub fn span(self, range: DateRange) -> (i64, i64) {
        (
            self.start_of(range.start()),
            self.start_of(range.end() + Days::new(1)),
        )
    }

    /// The buckets of `range` at `interval`. Weeks start on Monday and months on the 1st; a
    /// bucket is labelled by its own start and counts only the part inside the range.
    pub fn buckets(self, range: DateRange, interval: &Interval) -> Vec<Bucket> {
        let (range_start, range_end) = self.span(range);
        let step_ms = match interval {
            Interval::Realtime => Some(300_000),
            Interval::Hourly => Some(3_600_000),
            _ => None,
        };
        if let Some(step) = step_ms {
            return (range_start..range_end)
                .step_by(usize::try_from(step).expect("positive step"))
                .map(|start| Bucket {
                    label: self.label_time(start),
                    start_ms: start,
                    end_ms: start + step,
                })
                .collect();
        }
        let mut buckets = Vec::new();
        let mut day = bucket_start(range.start(), interval);
        while day <= range.end() {
            let next = match interval {
                Interval::Weekly => day + Days::new(7),
                Interval::Monthly => day + Months::new(1),
                _ => day + Days::new(1),
            };
            buckets.push(Bucket {
                label: day.format("%Y-%m-%d").to_string(),
                start_ms: self.start_of(day).max(range_start),
                end_ms: self.start_of(next).min(range_end),
            });
            day = next;
        }
        buckets
    }

    /// The span, ms, of the bucket `n` intervals after the one starting on `start`.
    pub fn later_bucket(self, start: NaiveDate, interval: &Interval, n: u32) -> (i64, i64) {
        let shift = |count: u32| match interval {
            Interval::Weekly => start + Days::new(7 * u64::from(count)),
            Interval::Monthly => start + Months::new(count),
            _ => start + Days::new(u64::from(count)),
        };
        (self.start_of(shift(n)), self.start_of(shift(n + 1)))
    }

    fn label_time(self, ms: i64) -> String {
        self.zone.local(ms).map_or_else(String::new, |time| {
            time.format("%Y-%m-%dT%H:%M:00").to_string()
        })
    }

    /// `HH:MM` of `ms`.
    pub fn clock(self, ms: i64) -> String {
        self.zone
            .local(ms)
            .map_or_else(String::new, |time| time.format("%H:%M").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_are_clipped_to_the_range() {
        let calendar = Calendar::new(Zone::Fixed(FixedOffset::east_opt(0).unwrap()));
        let range = DateRange::parse("20240103", "20240110").unwrap();
        let weeks = calendar.buckets(range, &Interval::Weekly);
        let labels: Vec<&str> = weeks.iter().map(|bucket| bucket.label.as_str()).collect();
        assert_eq!(labels, ["2024-01-01", "2024-01-08"]);
        assert_eq!(weeks[0].start_ms, calendar.start_of(range.start()));
        assert_eq!(calendar.buckets(range, &Interval::Daily).len(), 8);
        assert_eq!(
            calendar
                .buckets(DateRange::day(range.start()), &Interval::Hourly)
                .len(),
            24
        );
        let months = calendar.buckets(
            DateRange::parse("20240115", "20240301").unwrap(),
            &Interval::Monthly,
        );
        assert_eq!(
            months.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
            ["2024-01-01", "2024-02-01", "2024-03-01"]
        );
    }

    #[test]
    fn days_begin_at_midnight_in_the_project_zone() {
        let paris = Calendar::new(Zone::Fixed(FixedOffset::east_opt(3600).unwrap()));
        let day = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(paris.start_of(day), 1_704_150_000_000);
        assert_eq!(paris.day_of(1_704_150_000_000), day);
        assert_eq!(paris.day_of(1_704_149_999_999), day.pred_opt().unwrap());
    }

    #[test]
    fn named_zones_have_a_23_and_a_25_hour_day() {
        let berlin = Calendar::new(Zone::Named(chrono_tz::Europe::Berlin));
        let hours = |day: &str| {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
            (berlin.start_of(day + Days::new(1)) - berlin.start_of(day)) / 3_600_000
        };
        assert_eq!(hours("2024-03-30"), 24);
        assert_eq!(hours("2024-03-31"), 23, "clocks go forward");
        assert_eq!(hours("2024-10-27"), 25, "clocks go back");
        let sunday = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
        assert_eq!(
            berlin.start_of(sunday),
            1_711_839_600_000,
            "23:00 UTC the day before"
        );
        let hourly = berlin.buckets(DateRange::day(sunday), &Interval::Hourly);
        assert_eq!(hourly.len(), 23);
        assert_eq!(
            hourly[2].label, "2024-03-31T03:00:00",
            "02:00 does not exist that day"
        );
        let los_angeles = Calendar::new(Zone::Named(chrono_tz::America::Los_Angeles));
        assert_eq!(
            los_angeles.day_of(1_710_061_200_000),
            NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
            "2024-03-10 09:00 UTC is 01:00 PST"
        );
    }
}
