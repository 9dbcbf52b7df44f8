//! Every date and time format the two APIs use, as `serde_with` adapters and plain functions.
//!
//! Amplitude writes dates four ways: `YYYYMMDD` in Dashboard query strings, `YYYY-MM-DD` in
//! response labels, `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) for event times, and Unix seconds for
//! profile recommendation timestamps. Keeping them here means one parser per format.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};
use serde_with::{DeserializeAs, SerializeAs};

const COMPACT: &str = "%Y%m%d";
const ISO: &str = "%Y-%m-%d";

/// Formats a date as Amplitude's query-string `YYYYMMDD`.
pub fn format_compact(date: NaiveDate) -> String {
    date.format(COMPACT).to_string()
}

/// Parses a query-string date, `YYYYMMDD`.
pub fn parse_compact(text: &str) -> Option<NaiveDate> {
    // chrono accepts fewer digits than the format shows; Amplitude does not.
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        NaiveDate::parse_from_str(text, COMPACT).ok()
    } else {
        None
    }
}

/// Parses an event time: `2024-01-15 10:00:00.000000` (Export and user activity), with or
/// without fractional seconds, or RFC 3339. Times without an offset are UTC.
pub fn parse_event_time(text: &str) -> Option<DateTime<Utc>> {
    if let Some(time) = parse_plain_time(text) {
        return Some(time);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// `YYYY-MM-DD HH:MM:SS` (or with a `T`) and up to nine fractional digits, read directly: the
/// form of every line of an export, read millions of times where chrono's format parser would
/// dominate.
fn parse_plain_time(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes.get(range)?.iter().try_fold(0_u32, |sum, &byte| {
            byte.is_ascii_digit()
                .then(|| sum * 10 + u32::from(byte - b'0'))
        })
    };
    let layout = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 19
        || !layout.iter().all(|&(at, mark)| bytes[at] == mark)
        || !matches!(bytes[10], b' ' | b'T')
    {
        return None;
    }
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(20..bytes.len())? * 10_u32.pow(u32::try_from(9 - digits.len()).ok()?)
        }
        _ => return None,
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0..4)?).ok()?,
        number(5..7)?,
        number(8..10)?,
    )?;
    let time = chrono::NaiveTime::from_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        nanos,
    )?;
    Some(date.and_time(time).and_utc())
}

/// `YYYYMMDD`, the Dashboard query-string form.
pub struct CompactDate;

impl SerializeAs<NaiveDate> for CompactDate {
    fn serialize_as<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format(COMPACT))
    }
}

impl<'de> DeserializeAs<'de, NaiveDate> for CompactDate {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_compact(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a date in the form YYYYMMDD"))
        })
    }
}

/// `YYYY-MM-DD`, the form of response labels and `last_seen`.
pub struct IsoDate;

impl SerializeAs<NaiveDate> for IsoDate {
    fn serialize_as<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format(ISO))
    }
}

impl<'de> DeserializeAs<'de, NaiveDate> for IsoDate {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&text, ISO).map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is not a date in the form YYYY-MM-DD"))
        })
    }
}

/// An event time in any of the forms [`parse_event_time`] reads; written back as
/// `YYYY-MM-DD HH:MM:SS.ffffff`, the form Amplitude sends.
pub struct EventTime;

impl SerializeAs<DateTime<Utc>> for EventTime {
    fn serialize_as<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&time.format("%Y-%m-%d %H:%M:%S%.6f"))
    }
}

impl<'de> DeserializeAs<'de, DateTime<Utc>> for EventTime {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_event_time(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an event time")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_dates_round_trip_and_reject_near_misses() {
        let date = parse_compact("20240229").unwrap();
        assert_eq!(format_compact(date), "20240229");
        for bad in ["2024-02-29", "2024229", "20240230", "2024022x", ""] {
            assert_eq!(parse_compact(bad), None, "{bad}");
        }
    }

    #[test]
    fn event_times_in_every_observed_form() {
        let expected = NaiveDate::from_ymd_opt(2024, 1, 15)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc();
        for text in [
            "2024-01-15 10:00:00.000000",
            "2024-01-15 10:00:00",
            "2024-01-15T10:00:00Z",
            "2024-01-15T12:00:00+02:00",
            "2024-01-15T10:00:00.000",
        ] {
            assert_eq!(parse_event_time(text), Some(expected), "{text}");
        }
        assert_eq!(parse_event_time("yesterday"), None);
        let fraction = parse_event_time("2024-01-15 10:00:00.123456").unwrap();
        assert_eq!(fraction.timestamp_subsec_micros(), 123_456);
        assert_eq!(
            parse_event_time("2024-01-15 10:00:00.5")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        for bad in [
            "2024-02-30 10:00:00",
            "2024-01-15 25:00:00",
            "2024-01-15 10:00:00.",
            "2024-01-15 10:00:0x",
            "2024-01-15 10:00",
            "2024/01/15 10:00:00",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }
}
