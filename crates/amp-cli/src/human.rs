//! Numbers as people read them in tables: thousands separators, shares as percentages with one
//! decimal, durations in human units. CSV and JSON keep the raw numbers.

/// A count with thousands separators: `1234567` → `1,234,567`. Fractions keep two decimals.
pub fn count(value: f64) -> String {
    let negative = value < 0.0;
    let rounded = (value.abs() * 100.0).round() / 100.0;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the whole part of a finite, non-negative count"
    )]
    let whole = rounded.trunc() as u64;
    let grouped = count_u64(whole);
    let fraction = rounded.fract();
    let fraction = if fraction == 0.0 {
        String::new()
    } else {
        format!("{fraction:.2}")
            .trim_start_matches('0')
            .trim_end_matches('0')
            .to_owned()
    };
    format!("{}{grouped}{fraction}", if negative { "-" } else { "" })
}

/// A whole count with thousands separators.
pub fn count_u64(whole: u64) -> String {
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A share (0 to 1) as a percentage with one decimal: `0.7623` → `76.2%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Milliseconds in the two largest units that matter: `86300` → `1m 26s`, three hours five
/// minutes → `3h 05m`, `2d 4h`; under a minute, seconds (`45s`, `0.8s`).
pub fn duration(ms: f64) -> String {
    let seconds = ms.max(0.0) / 1000.0;
    if seconds < 10.0 && seconds.fract() != 0.0 {
        return format!("{seconds:.1}s");
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a non-negative duration in whole seconds"
    )]
    let total = seconds.round() as u64;
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        total % 86_400 / 3_600,
        total % 3_600 / 60,
        total % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, _) => format!("{minutes}m {seconds:02}s"),
        (0, _, _) => format!("{hours}h {minutes:02}m"),
        _ => format!("{days}d {hours}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_shares_and_durations_read_as_people_write_them() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(1_000.0), "1,000");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(-12_345.5), "-12,345.5");
        assert_eq!(count(1.256), "1.26");
        assert_eq!(percent(0.7623), "76.2%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(duration(86_300.0), "1m 26s");
        assert_eq!(duration(11_100_000.0), "3h 05m");
        assert_eq!(duration(187_200_000.0), "2d 4h");
        assert_eq!(duration(45_000.0), "45s");
        assert_eq!(duration(800.0), "0.8s");
        assert_eq!(duration(0.0), "0s");
    }
}
