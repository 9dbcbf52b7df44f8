//! Answers laid out the way people read these charts, for tables: retention as a cohort
//! triangle, funnels as steps with shares and human durations, several series as a wide table
//! that fits the terminal, profiles in sections. CSV and JSON keep their tidy, lossless forms.

use std::collections::BTreeMap;

use amplitude_api::dashboard::{
    FunnelResponse, Interval, RetentionCell, RetentionMode, RetentionQuery, RetentionResponse,
    SeriesLabel,
};
use amplitude_api::profile::UserProfileResponse;
use chrono::{Datelike as _, Months, NaiveDate};
use serde_json::Value;

use crate::answer::{Bars, Heatmap, Line};
use crate::human;

/// A table written for people: every cell already in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    /// A line above the table, when there are several.
    pub title: Option<String>,
    /// Column names.
    pub header: Vec<String>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<String>>,
    /// Which columns hold numbers (right-aligned).
    pub numeric: Vec<bool>,
    /// Lines under the table.
    pub notes: Vec<String>,
}

/// The widest a wide table may be, in characters.
pub const WIDTH: usize = 100;

/// A label for the unit of `interval`.
fn unit(interval: Option<&Interval>) -> &'static str {
    match interval {
        Some(Interval::Weekly) => "Week",
        Some(Interval::Monthly) => "Month",
        _ => "Day",
    }
}

/// `date` moved on by `count` of `interval`.
fn after(date: NaiveDate, interval: Option<&Interval>, count: u32) -> Option<NaiveDate> {
    match interval {
        Some(Interval::Weekly) => date.checked_add_days(chrono::Days::new(u64::from(count) * 7)),
        Some(Interval::Monthly) => date.checked_add_months(Months::new(count)),
        _ => date.checked_add_days(chrono::Days::new(u64::from(count))),
    }
}

/// A cohort's date from its label: `YYYY-MM-DD`, or Amplitude's `Nov 30`, whose year is the one
/// that puts it on or before the range's end.
fn cohort_date(label: &str, end: NaiveDate) -> Option<NaiveDate> {
    if let Ok(date) = NaiveDate::parse_from_str(label, "%Y-%m-%d") {
        return Some(date);
    }
    [end.year(), end.year() - 1].into_iter().find_map(|year| {
        NaiveDate::parse_from_str(&format!("{label} {year}"), "%b %d %Y")
            .ok()
            .filter(|date| *date <= end)
    })
}

/// A retention cell: the count retained, the share of the cohort, whether it is final.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Retained {
    count: u64,
    share: f64,
    incomplete: bool,
}

impl Retained {
    fn of(cell: &RetentionCell, size: u64) -> Self {
        #[allow(clippy::cast_precision_loss, reason = "a share shown to one decimal")]
        let share = if size == 0 {
            0.0
        } else {
            cell.count as f64 / size as f64
        };
        Self {
            count: cell.count,
            share,
            incomplete: cell.incomplete,
        }
    }

    /// `76.2% 372`, with `*` when not final yet.
    fn text(self) -> String {
        let mark = if self.incomplete { "*" } else { "" };
        format!(
            "{} {}{mark}",
            human::percent(self.share),
            human::count_u64(self.count)
        )
    }
}

/// One retention series as Amplitude draws it: one row per cohort, oldest first, then the
/// `combined` row; one column per interval (or bracket).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohorts {
    /// The series' name, when the answer has several.
    title: Option<String>,
    /// `Day`, `Week` or `Month`.
    unit: &'static str,
    /// Column labels: `Week 0`, ... or `Day 1–6` for a bracket.
    columns: Vec<String>,
    /// Each row's label (a start date or `combined`), its size and its cells; `None` where the
    /// interval has not begun.
    rows: Vec<(String, u64, Vec<Option<Retained>>)>,
}

impl Cohorts {
    /// The cohort table, every cell in words.
    pub fn view(&self) -> View {
        let mut header = vec!["Cohort".to_owned(), "Users".to_owned()];
        header.extend(self.columns.iter().cloned());
        let rows = self
            .rows
            .iter()
            .map(|(label, size, cells)| {
                let mut row = vec![label.clone(), human::count_u64(*size)];
                row.extend(
                    cells
                        .iter()
                        .map(|cell| cell.map_or_else(String::new, Retained::text)),
                );
                row
            })
            .collect();
        let mut numeric = vec![false, true];
        numeric.extend(std::iter::repeat_n(true, self.columns.len()));
        View {
            title: self.title.clone(),
            header,
            rows,
            numeric,
            notes: vec![format!(
                "share of the cohort and users; * not final yet; blank: the {} has not begun",
                self.unit.to_ascii_lowercase()
            )],
        }
    }

    /// The table as a heatmap of shares.
    pub fn heatmap(&self) -> Heatmap {
        Heatmap {
            title: self.title.clone(),
            columns: self.columns.clone(),
            rows: self
                .rows
                .iter()
                .map(|(label, size, cells)| {
                    (
                        format!("{label} ({})", human::count_u64(*size)),
                        cells
                            .iter()
                            .map(|cell| cell.map(|cell| (cell.share, !cell.incomplete)))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    /// The retention curve: the `combined` row's shares, in percent.
    pub fn curve(&self) -> Option<Line> {
        let (_, _, cells) = self.rows.last().filter(|(label, ..)| label == COMBINED)?;
        Some(Line {
            label: self
                .title
                .clone()
                .unwrap_or_else(|| "retained %".to_owned()),
            points: self
                .columns
                .iter()
                .zip(cells)
                .map(|(column, cell)| (column.clone(), cell.map(|cell| cell.share * 100.0)))
                .collect(),
        })
    }
}

/// The label of the row that sums every cohort.
const COMBINED: &str = "combined";

/// Retention's series as cohort tables: one row per cohort, oldest first, with its start
/// date, its size and one cell per interval (or bracket); cells of intervals that have not
/// begun by `today` are empty; a `combined` row last. Positions follow the 2026-01 docs: the
/// first is the cohort, the next the return in interval 0.
pub fn retention(
    response: &RetentionResponse,
    query: &RetentionQuery,
    today: NaiveDate,
) -> Vec<Cohorts> {
    let interval = query.interval.as_ref();
    let unit = unit(interval);
    let brackets = matches!(query.mode, Some(RetentionMode::Bracket)).then_some(&query.brackets);
    let several = response.data.series.len() > 1;
    response
        .data
        .series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            let count = series
                .values
                .values()
                .chain([&series.combined])
                .map(|cells| cells.len().saturating_sub(1))
                .max()
                .unwrap_or(0);
            let starts: Vec<u32> = (0..count)
                .map(|column| {
                    let column = u32::try_from(column).unwrap_or(u32::MAX);
                    brackets
                        .and_then(|brackets| brackets.get(column as usize))
                        .map_or(column, |[from, _]| *from)
                })
                .collect();
            let columns = (0..count)
                .map(|column| match brackets.and_then(|b| b.get(column)) {
                    Some([from, to]) => format!("{unit} {from}–{}", to.saturating_sub(1)),
                    None => format!("{unit} {column}"),
                })
                .collect();
            let mut cohorts: Vec<(NaiveDate, &Vec<RetentionCell>)> = series
                .dates
                .iter()
                .filter_map(|label| {
                    Some((
                        cohort_date(label, query.range.end())?,
                        series.values.get(label)?,
                    ))
                })
                .collect();
            cohorts.sort_by_key(|(date, _)| *date);
            let size = |cells: &[RetentionCell]| {
                cells.first().map_or(0, |cell| cell.count.max(cell.outof))
            };
            let mut rows: Vec<_> = cohorts
                .iter()
                .map(|(date, cells)| {
                    let size = size(cells);
                    let retained = starts
                        .iter()
                        .enumerate()
                        .map(|(column, start)| {
                            let begun =
                                after(*date, interval, *start).is_some_and(|day| day <= today);
                            cells
                                .get(column + 1)
                                .filter(|_| begun)
                                .map(|cell| Retained::of(cell, size))
                        })
                        .collect();
                    (date.to_string(), size, retained)
                })
                .collect();
            if !series.combined.is_empty() {
                let size = size(&series.combined);
                let retained = (0..count)
                    .map(|column| {
                        series
                            .combined
                            .get(column + 1)
                            .map(|cell| Retained::of(cell, size))
                    })
                    .collect();
                rows.push((COMBINED.to_owned(), size, retained));
            }
            Cohorts {
                title: several.then(|| series_title(response, index)),
                unit,
                columns,
                rows,
            }
        })
        .collect()
}

/// The title of retention series `index`: its group, or its segment.
fn series_title(response: &RetentionResponse, index: usize) -> String {
    match response.data.series_labels.get(index) {
        Some(label) => label_text(label),
        None => format!("segment {}", index + 1),
    }
}

fn label_text(label: &SeriesLabel) -> String {
    match serde_json::to_value(label).unwrap_or_default() {
        Value::String(text) => text,
        Value::Array(parts) => parts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" / "),
        other => other.to_string(),
    }
}

/// What a funnel is called beside others: its group value, or its segment.
fn funnel_name(response: &FunnelResponse, index: usize) -> String {
    let funnel = &response.data[index];
    match (&funnel.group_value, &funnel.meta) {
        (Some(label), _) => label_text(label),
        (None, Some(meta)) => format!("segment {}", meta.segment_index.unwrap_or(0) + 1),
        (None, None) => format!("funnel {}", index + 1),
    }
}

/// A funnel's steps: users, the share of the first step, the conversion from the step before
/// and the median and average time it took. Several funnels (segments, groups) side by side:
/// users and the share of the first step for each.
pub fn funnel(response: &FunnelResponse) -> Vec<View> {
    let at = |values: &[f64], step: usize| values.get(step).copied();
    let Some(first) = response.data.first() else {
        return Vec::new();
    };
    if response.data.len() == 1 {
        let rows = first
            .events
            .iter()
            .enumerate()
            .map(|(step, event)| {
                let later = |text: String| if step == 0 { String::new() } else { text };
                vec![
                    (step + 1).to_string(),
                    event.clone(),
                    at(&first.cumulative_raw, step).map_or_else(String::new, human::count),
                    at(&first.cumulative, step).map_or_else(String::new, human::percent),
                    later(at(&first.step_by_step, step).map_or_else(String::new, human::percent)),
                    later(
                        at(&first.median_trans_times, step)
                            .map_or_else(String::new, human::duration),
                    ),
                    later(
                        at(&first.avg_trans_times, step).map_or_else(String::new, human::duration),
                    ),
                ]
            })
            .collect();
        return vec![View {
            title: None,
            header: [
                "Step",
                "Event",
                "Users",
                "Of first",
                "From previous",
                "Median time",
                "Average time",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            numeric: vec![true, false, true, true, true, true, true],
            notes: Vec::new(),
        }];
    }
    let mut header = vec!["Step".to_owned(), "Event".to_owned()];
    header.extend((0..response.data.len()).map(|index| funnel_name(response, index)));
    let rows = first
        .events
        .iter()
        .enumerate()
        .map(|(step, event)| {
            let mut row = vec![(step + 1).to_string(), event.clone()];
            row.extend(response.data.iter().map(|funnel| {
                match (
                    at(&funnel.cumulative_raw, step),
                    at(&funnel.cumulative, step),
                ) {
                    (Some(users), Some(share)) => {
                        format!("{} ({})", human::count(users), human::percent(share))
                    }
                    (Some(users), None) => human::count(users),
                    _ => String::new(),
                }
            }));
            row
        })
        .collect();
    let mut numeric = vec![true, false];
    numeric.extend(std::iter::repeat_n(true, response.data.len()));
    vec![View {
        title: None,
        header,
        rows,
        numeric,
        notes: vec!["users (share of the first step)".to_owned()],
    }]
}

/// Funnels as bars: users at each step, one bar per funnel; `None` without steps.
pub fn funnel_bars(response: &FunnelResponse) -> Option<Bars> {
    let first = response
        .data
        .first()
        .filter(|first| !first.events.is_empty())?;
    Some(Bars {
        steps: first.events.clone(),
        funnels: response
            .data
            .iter()
            .enumerate()
            .map(|(index, funnel)| {
                let name = if response.data.len() == 1 {
                    "users".to_owned()
                } else {
                    funnel_name(response, index)
                };
                (name, funnel.cumulative_raw.clone())
            })
            .collect(),
    })
}

/// Time series as one row per x value and one column per series, numbers for people. Series
/// that do not fit in [`WIDTH`] columns are summed into `other`, the largest kept first.
pub fn series(lines: &[Line]) -> View {
    let total = |line: &Line| {
        line.points
            .iter()
            .filter_map(|(_, value)| *value)
            .sum::<f64>()
    };
    let mut order: Vec<&Line> = lines.iter().collect();
    if lines.len() > 1 {
        order.sort_by(|a, b| total(b).total_cmp(&total(a)));
    }
    let longest = lines
        .iter()
        .map(|line| line.points.len())
        .max()
        .unwrap_or(0);
    let xs: Vec<&str> = lines
        .iter()
        .find(|line| line.points.len() == longest)
        .map(|line| line.points.iter().map(|(x, _)| x.as_str()).collect())
        .unwrap_or_default();
    let column = |line: &Line| -> Vec<String> {
        (0..longest)
            .map(|index| {
                line.points
                    .get(index)
                    .and_then(|(_, value)| *value)
                    .map_or_else(String::new, human::count)
            })
            .collect()
    };
    let width_of = |name: &str, cells: &[String]| {
        cells
            .iter()
            .map(|cell| cell.chars().count())
            .chain([name.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let mut header = vec!["date".to_owned()];
    let mut columns: Vec<Vec<String>> = Vec::new();
    let mut used = xs.iter().map(|x| x.len()).max().unwrap_or(4).max(4);
    let other_width = 12;
    let mut kept = 0;
    for (index, line) in order.iter().enumerate() {
        let cells = column(line);
        let width = width_of(&line.label, &cells) + 2;
        let room = if index + 1 == order.len() {
            0
        } else {
            other_width
        };
        if used + width + room > WIDTH && kept > 0 {
            break;
        }
        used += width;
        header.push(line.label.clone());
        columns.push(cells);
        kept += 1;
    }
    let mut notes = Vec::new();
    if kept < order.len() {
        let rest = &order[kept..];
        header.push("other".to_owned());
        columns.push(
            (0..longest)
                .map(|index| {
                    let values: Vec<f64> = rest
                        .iter()
                        .filter_map(|line| line.points.get(index).and_then(|(_, value)| *value))
                        .collect();
                    if values.is_empty() {
                        String::new()
                    } else {
                        human::count(values.iter().sum())
                    }
                })
                .collect(),
        );
        notes.push(format!(
            "`other` sums the {} smaller series that do not fit in {WIDTH} columns; --format csv has them all",
            rest.len()
        ));
    }
    let rows = (0..longest)
        .map(|index| {
            std::iter::once(xs.get(index).copied().unwrap_or_default().to_owned())
                .chain(columns.iter().map(|cells| cells[index].clone()))
                .collect()
        })
        .collect();
    let mut numeric = vec![false];
    numeric.extend(std::iter::repeat_n(true, columns.len()));
    View {
        title: None,
        header,
        rows,
        numeric,
        notes,
    }
}

/// A profile in sections: the user, their properties (with any computations asked for, which
/// Amplitude returns among them), cohorts, recommendations and propensities.
pub fn profile(response: &UserProfileResponse) -> Vec<View> {
    let data = &response.user_data;
    let pairs = |title: &str, header: [&str; 2], rows: Vec<[String; 2]>| View {
        title: Some(title.to_owned()),
        header: header.map(String::from).to_vec(),
        rows: rows.into_iter().map(Vec::from).collect(),
        numeric: vec![false, false],
        notes: Vec::new(),
    };
    let mut views = vec![pairs(
        "User",
        ["id", "value"],
        [("user_id", &data.user_id), ("device_id", &data.device_id)]
            .into_iter()
            .filter_map(|(name, value)| Some([name.to_owned(), value.clone()?]))
            .collect(),
    )];
    if let Some(props) = &data.amp_props {
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        views.push(pairs(
            "Properties and computations",
            ["property", "value"],
            sorted
                .into_iter()
                .map(|(name, value)| [name.clone(), crate::output::cell(Some(value))])
                .collect(),
        ));
    }
    if let Some(cohorts) = &data.cohort_ids {
        views.push(View {
            title: Some("Cohorts".to_owned()),
            header: vec!["cohort id".to_owned()],
            rows: cohorts.iter().map(|id| vec![id.clone()]).collect(),
            numeric: vec![false],
            notes: Vec::new(),
        });
    }
    if let Some(recommendations) = &data.recommendations {
        views.push(View {
            title: Some("Recommendations".to_owned()),
            header: ["rec id", "items", "source", "control", "updated"]
                .map(String::from)
                .to_vec(),
            rows: recommendations
                .iter()
                .map(|rec| {
                    vec![
                        rec.rec_id.clone(),
                        rec.items.join(", "),
                        rec.recommendation_source.clone().unwrap_or_default(),
                        if rec.is_control { "yes" } else { "no" }.to_owned(),
                        rec.last_updated
                            .map(|time| time.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
            numeric: vec![false; 5],
            notes: Vec::new(),
        });
    }
    if let Some(propensities) = &data.propensities {
        views.push(View {
            title: Some("Propensities".to_owned()),
            header: ["prediction", "value", "type"].map(String::from).to_vec(),
            rows: propensities
                .iter()
                .map(|propensity| {
                    vec![
                        propensity.pred_id.clone(),
                        format!("{}", propensity.prop),
                        propensity.prop_type.to_string(),
                    ]
                })
                .collect(),
            numeric: vec![false, true, false],
            notes: Vec::new(),
        });
    }
    views
}
