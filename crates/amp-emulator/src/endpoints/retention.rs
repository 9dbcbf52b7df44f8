//! `/api/2/retention`: of the users who did the start action in an interval, how many came back.
//!
//! - A user joins the cohort of every interval in the range in which they did the start action
//!   (`_new`: the interval of their first event; `_active`, `_all`: any event), from their first
//!   such action in it. User properties apply at the starting action: a segment's property
//!   conditions admit only starting actions at which the user's properties met them, and a
//!   group-by reads the value then; "who performed" conditions are judged once per user.
//! - `values[date][0]` is the cohort; `values[date][N + 1]` counts returns N intervals out (the
//!   2026 reading of Amplitude's docs): in `n-day` mode a return action inside that interval, in
//!   `rolling` mode one in that interval or any later. In `bracket` mode position `k + 1` is the
//!   k-th bracket `[a, b)`: a return in intervals a to b - 1. Interval 0 counts only returns after
//!   the starting action.
//! - Positions run from interval 0 to one less than the number of intervals in the range; one
//!   is `incomplete` while its interval has not ended by "now". `combined` adds every cohort up.
//! - A group-by (one) splits the cohorts by that value. Each segment gives its own
//!   series, `seriesMeta[].segmentIndex` telling them apart.

use std::collections::BTreeMap;

use amp_model::dashboard::{
    RetentionCell, RetentionData, RetentionQuery, RetentionResponse, RetentionSeries, Segment,
    SeriesLabel,
};
use amp_model::{Interval, RetentionMode};
use chrono::NaiveDate;

use super::{by_parts, each_segment, segment_meta};
use crate::calendar::{Calendar, bucket_start};
use crate::matcher::Matcher;
use crate::predicate::{Judge, group_at};
use crate::project::Project;

/// One cohort cell: users retained, cohort size, and whether the period is still running.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    count: u64,
    outof: u64,
    incomplete: bool,
}

/// Each position's first and last interval (inclusive; `None`: unbounded).
type Positions = Vec<(u32, Option<u32>)>;
/// Group -> cohort start day -> cells, the cohort first.
type Cohorts = BTreeMap<String, BTreeMap<NaiveDate, Vec<Cell>>>;

/// What every part of the users is read against: the actions, the positions, the cohorts and
/// the grid of intervals that cohorts and returns fall on (from the first cohort on, long enough
/// for the furthest bounded position of the last cohort).
struct Plan<'a> {
    project: &'a Project,
    query: &'a RetentionQuery,
    segment: Option<&'a Segment>,
    starts: Matcher<'a>,
    returns: Matcher<'a>,
    span: (i64, i64),
    positions: Positions,
    cohort_days: Vec<NaiveDate>,
    grid: Vec<i64>,
    furthest: usize,
}

impl<'a> Plan<'a> {
    fn new(project: &'a Project, query: &'a RetentionQuery, segment: Option<&'a Segment>) -> Self {
        let store = &project.store;
        let calendar = project.calendar;
        let interval = query.interval.clone().unwrap_or(Interval::Daily);
        let length =
            u32::try_from(calendar.buckets(query.range, &interval).len()).unwrap_or(u32::MAX);
        let positions: Positions = match query.mode.clone().unwrap_or(RetentionMode::NDay) {
            RetentionMode::Bracket => query
                .brackets
                .iter()
                .map(|[low, high]| (*low, Some(high.saturating_sub(1))))
                .collect(),
            RetentionMode::Rolling => (0..length).map(|n| (n, None)).collect(),
            _ => (0..length).map(|n| (n, Some(n))).collect(),
        };
        let mut cohort_days: Vec<NaiveDate> = Vec::new();
        let mut day = bucket_start(query.range.start(), &interval);
        while day <= query.range.end() {
            cohort_days.push(day);
            day = calendar.day_of(calendar.later_bucket(day, &interval, 1).0);
        }
        let furthest = positions
            .iter()
            .map(|(first, last)| last.unwrap_or(*first))
            .max()
            .unwrap_or(0) as usize;
        let grid = (0..cohort_days.len() + furthest + 2)
            .map(|k| {
                let k = u32::try_from(k).unwrap_or(u32::MAX);
                calendar.later_bucket(cohort_days[0], &interval, k).0
            })
            .collect();
        Self {
            project,
            query,
            segment,
            starts: Matcher::new(store, &query.start_event),
            returns: Matcher::new(store, &query.return_event),
            span: calendar.span(query.range),
            positions,
            cohort_days,
            grid,
            furthest,
        }
    }

    /// The grid interval `ms` falls in.
    fn slot(&self, ms: i64) -> Option<usize> {
        self.grid
            .partition_point(|&start| start <= ms)
            .checked_sub(1)
    }

    /// The cohorts and returns of the users of `part`.
    fn part(&self, part: std::ops::Range<usize>) -> Cohorts {
        let store = &self.project.store;
        let (from, to) = self.span;
        let judge = Judge::new(self.project, self.segment, to);
        let mut series = Cohorts::new();
        // Per interval after the cohort's: whether the user returned in it (the last: later).
        let mut returned = vec![false; self.furthest + 2];
        for (_, user) in judge.users(part) {
            let events = &user.events;
            let mut joined: Vec<usize> = Vec::new();
            for (at, event) in events
                .iter()
                .map(|&event| &store.events[event as usize])
                .enumerate()
            {
                if !(from..to).contains(&event.time_ms)
                    || !self.starts.matches(store, event)
                    || !judge.admits_event(event)
                {
                    continue;
                }
                let Some(cohort) = self
                    .slot(event.time_ms)
                    .filter(|cohort| !joined.contains(cohort))
                else {
                    continue;
                };
                joined.push(cohort);
                let started = event.time_ms;
                returned.fill(false);
                for later in events[at + 1..]
                    .iter()
                    .map(|&later| &store.events[later as usize])
                    .filter(|later| later.time_ms > started && self.returns.matches(store, later))
                {
                    if let Some(offset) = self.slot(later.time_ms).map(|slot| slot - cohort) {
                        returned[offset.min(self.furthest + 1)] = true;
                    }
                }
                let group = group_at(store, event, self.query.group_by.as_deref());
                let cells = series
                    .entry(group)
                    .or_default()
                    .entry(self.cohort_days[cohort])
                    .or_insert_with(|| vec![Cell::default(); self.positions.len() + 1]);
                cells[0].count += 1;
                cells[0].outof += 1;
                for (position, (first, last)) in self.positions.iter().enumerate() {
                    let last = last.map_or(self.furthest + 1, |last| last as usize);
                    let back = returned
                        .get(*first as usize..=last)
                        .is_some_and(|span| span.contains(&true));
                    cells[position + 1].outof += 1;
                    cells[position + 1].count += u64::from(back);
                }
            }
        }
        series
    }
}

/// Adds the cohorts of another part of the users.
fn merge(series: &mut Cohorts, part: Cohorts) {
    for (group, cohorts) in part {
        let mine = series.entry(group).or_default();
        for (day, cells) in cohorts {
            match mine.get_mut(&day) {
                None => {
                    mine.insert(day, cells);
                }
                Some(sum) => {
                    for (sum, cell) in sum.iter_mut().zip(cells) {
                        sum.count += cell.count;
                        sum.outof += cell.outof;
                    }
                }
            }
        }
    }
}

/// Every user's cohorts and returns, in one segment.
fn cohorts(
    project: &Project,
    query: &RetentionQuery,
    segment: Option<&Segment>,
) -> (Cohorts, Vec<NaiveDate>, Positions) {
    let plan = Plan::new(project, query, segment);
    let mut series = Cohorts::new();
    for part in by_parts(project, |part| plan.part(part)) {
        merge(&mut series, part);
    }
    (series, plan.cohort_days, plan.positions)
}

impl Cell {
    fn typed(self) -> RetentionCell {
        let mut cell = RetentionCell::default();
        cell.count = self.count;
        cell.outof = self.outof;
        cell.incomplete = self.incomplete;
        cell
    }
}

/// Answers it.
pub fn compute(project: &Project, query: &RetentionQuery) -> RetentionResponse {
    let calendar: Calendar = project.calendar;
    let interval = query.interval.clone().unwrap_or(Interval::Daily);
    let now = project.now_ms();
    let grouped = query.group_by.is_some();
    let label = |day: &NaiveDate| day.format("%b %-d").to_string();
    let mut data = RetentionData::default();
    for (index, segment) in each_segment(&query.segments).into_iter().enumerate() {
        let (mut series, cohort_days, positions) = cohorts(project, query, segment);
        if series.is_empty() && !grouped {
            series.insert(String::new(), BTreeMap::new());
        }
        for (group, cohorts) in series {
            let mut rendered = RetentionSeries::default();
            let mut combined = vec![Cell::default(); positions.len() + 1];
            for day in &cohort_days {
                let mut cells = cohorts
                    .get(day)
                    .cloned()
                    .unwrap_or_else(|| vec![Cell::default(); positions.len() + 1]);
                let size = cells[0].count;
                for (position, cell) in cells.iter_mut().enumerate() {
                    cell.outof = size;
                    if position > 0 {
                        let (first, last) = positions[position - 1];
                        let ends = calendar
                            .later_bucket(*day, &interval, last.unwrap_or(first))
                            .1;
                        cell.incomplete = ends > now;
                    }
                    combined[position].count += cell.count;
                    combined[position].outof += cell.outof;
                    combined[position].incomplete |= cell.incomplete;
                }
                rendered
                    .values
                    .insert(label(day), cells.into_iter().map(Cell::typed).collect());
            }
            rendered.dates = cohort_days.iter().rev().map(label).collect();
            rendered.combined = combined.into_iter().map(Cell::typed).collect();
            data.series.push(rendered);
            data.series_meta.push(segment_meta(index, Some(0)));
            if grouped {
                data.series_labels.push(SeriesLabel::Name(group));
            }
        }
    }
    let mut response = RetentionResponse::default();
    response.data = data;
    response
}
