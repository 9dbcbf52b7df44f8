//! `--chart`: answers drawn in the terminal with text, lines for time series and retention
//! curves, horizontal bars for funnels. Pictures (`--plot`) are [`crate::plot`]'s.

use std::fmt::Write as _;

use crate::answer::{Answer, Bars, Line};
use crate::human;

/// Markers for the terminal, one per series.
const MARKERS: [char; 6] = ['●', '○', '■', '□', '▲', '◆'];

/// The lowest and highest value, widened so a flat line sits in the middle and zero is shown
/// when every value is positive.
pub fn bounds(lines: &[Line]) -> (f64, f64) {
    let values = lines
        .iter()
        .flat_map(|line| line.points.iter().filter_map(|(_, y)| *y));
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), y| {
        (low.min(y), high.max(y))
    });
    let low = if low.is_finite() { low.min(0.0) } else { 0.0 };
    let high = if high.is_finite() { high } else { 1.0 };
    let high = if high > low { high } else { low + 1.0 };
    // Round outwards to a multiple of a round quarter (1, 2, 2.5 or 5 times a power of ten).
    let quarter = (high - low) / 4.0;
    let power = 10_f64.powf(quarter.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|step| *step >= quarter)
        .unwrap_or(quarter);
    ((low / step).floor() * step, (high / step).ceil() * step)
}

/// What `--chart` draws for `answer`: bars for funnels, else its lines.
pub fn terminal(answer: &Answer) -> String {
    match &answer.bars {
        Some(bars) => self::bars(bars, 40),
        None => lines(&answer.lines, 64, 12),
    }
}

/// Eighths of a character cell, for the end of a bar.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// A bar `width` characters long at `share` 1, to an eighth of a character.
fn bar(share: f64, width: usize) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a bar of a few dozen characters, clamped"
    )]
    let eighths = (share.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut text = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        text.push(EIGHTHS[eighths % 8]);
    }
    text
}

/// Funnels as horizontal bars, `width` characters at the largest step: each step's users
/// and their share of the funnel's first step; several funnels grouped under each step.
pub fn bars(bars: &Bars, width: usize) -> String {
    let largest = bars
        .funnels
        .iter()
        .flat_map(|(_, users)| users.iter().copied())
        .fold(0.0, f64::max);
    let several = bars.funnels.len() > 1;
    let names = if several {
        bars.funnels.iter().map(|(name, _)| name.as_str()).collect()
    } else {
        bars.steps.iter().map(String::as_str).collect::<Vec<_>>()
    };
    let name_width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    let row = |text: &mut String, name: &str, users: &[f64], step: usize| {
        let value = users.get(step).copied().unwrap_or(0.0);
        let first = users.first().copied().unwrap_or(0.0);
        let of_first = if first > 0.0 { value / first } else { 0.0 };
        let share = if largest > 0.0 { value / largest } else { 0.0 };
        let _ = writeln!(
            text,
            "  {name:<name_width$}  {:<width$}  {:>9}  {:>6}",
            bar(share, width),
            human::count(value),
            human::percent(of_first)
        );
    };
    for (step, event) in bars.steps.iter().enumerate() {
        if several {
            let _ = writeln!(text, "{}. {event}", step + 1);
            for (name, users) in &bars.funnels {
                row(&mut text, name, users, step);
            }
        } else if let Some((_, users)) = bars.funnels.first() {
            row(&mut text, event, users, step);
        }
    }
    let _ = writeln!(
        text,
        "  users at each step and their share of the first step"
    );
    text
}

/// A line chart for the terminal, `width` × `height` characters of plot area.
pub fn lines(lines: &[Line], width: usize, height: usize) -> String {
    let lines = &lines[..lines.len().min(MARKERS.len())];
    let Some(count) = lines.iter().map(|line| line.points.len()).max() else {
        return String::new();
    };
    let (low, high) = bounds(lines);
    let mut grid = vec![vec![' '; width]; height];
    let column = |index: usize| {
        if count > 1 {
            index * (width - 1) / (count - 1)
        } else {
            0
        }
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a row of a small grid, clamped"
    )]
    let row = |value: f64| {
        let share = (value - low) / (high - low);
        (height - 1) - ((share * (height - 1) as f64).round() as usize).min(height - 1)
    };
    for (series, line) in lines.iter().enumerate() {
        // A missing value is a gap: no line to it or from it.
        for pair in line.points.windows(2).enumerate() {
            let (index, [(_, Some(from)), (_, Some(to))]) = pair else {
                continue;
            };
            let (start, end) = (column(index), column(index + 1));
            for x in start + 1..end {
                #[allow(clippy::cast_precision_loss, reason = "small grid")]
                let share = (x - start) as f64 / (end - start) as f64;
                let at = row(from + (to - from) * share);
                if let Some(cell) = grid[at].get_mut(x).filter(|cell| **cell == ' ') {
                    *cell = '·';
                }
            }
        }
        for (index, (_, value)) in line.points.iter().enumerate() {
            if let Some(value) = value {
                grid[row(*value)][column(index)] = MARKERS[series];
            }
        }
    }
    let labels = [
        human::count(high),
        human::count(f64::midpoint(low, high)),
        human::count(low),
    ];
    let gutter = labels.iter().map(String::len).max().unwrap_or(0);
    let mut text = String::new();
    for (index, cells) in grid.iter().enumerate() {
        let label = match index {
            0 => &labels[0],
            _ if index == height / 2 => &labels[1],
            _ if index == height - 1 => &labels[2],
            _ => "",
        };
        let cells: String = cells.iter().collect();
        let _ = writeln!(text, "{label:>gutter$} ┤{}", cells.trim_end());
    }
    let _ = writeln!(text, "{:gutter$} └{}", "", "─".repeat(width));
    let points = &lines[0].points;
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let room = width.saturating_sub(first.chars().count());
        let _ = writeln!(text, "{:gutter$}  {first}{last:>room$}", "");
    }
    for (series, line) in lines.iter().enumerate() {
        let _ = writeln!(text, "{:gutter$}  {} {}", "", MARKERS[series], line.label);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_value_is_a_gap_not_a_zero() {
        let line = |values: &[Option<f64>]| Line {
            label: "Today".into(),
            points: values
                .iter()
                .enumerate()
                .map(|(x, value)| (x.to_string(), *value))
                .collect(),
        };
        let whole = lines(&[line(&[Some(4.0), Some(4.0), Some(4.0)])], 30, 5);
        let gapped = lines(&[line(&[Some(4.0), None, Some(4.0)])], 30, 5);
        let count = |text: &str, wanted: char| text.chars().filter(|c| *c == wanted).count();
        // One marker in the legend besides those on the plot.
        assert_eq!(count(&whole, '●'), 3 + 1, "{whole}");
        assert_eq!(count(&gapped, '●'), 2 + 1, "{gapped}");
        assert!(count(&whole, '·') > 0, "{whole}");
        assert_eq!(count(&gapped, '·'), 0, "no line across the gap: {gapped}");
        let bottom = gapped.lines().nth(4).unwrap();
        assert!(!bottom.contains('●'), "nothing drawn at 0: {gapped}");
    }

    #[test]
    fn bars_are_as_long_as_their_share_of_the_largest_step() {
        let drawn = bars(
            &Bars {
                steps: vec!["Search".into(), "Play".into()],
                funnels: vec![("users".into(), vec![1_000.0, 250.0])],
            },
            40,
        );
        let rows: Vec<&str> = drawn.lines().collect();
        let blocks = |row: &str| row.chars().filter(|c| *c == '█').count();
        assert_eq!(blocks(rows[0]), 40, "{drawn}");
        assert_eq!(blocks(rows[1]), 10, "{drawn}");
        assert!(rows[0].ends_with("1,000  100.0%"), "{drawn}");
        assert!(rows[1].ends_with("250   25.0%"), "{drawn}");
        assert_eq!(bar(0.5 / 40.0, 40), "▌", "half a cell is half a block");
    }
}
