//! `/api/2/events/segmentation`: a metric of one or two events per interval.
//!
//! - An event *matches* `e` (or `e2`) when its type is the one named (`_active` and `_all`: any
//!   event; `revenue_amount`, `verified_revenue`, `unverified_revenue`: any event with revenue;
//!   `_new`: a user's first event) and it passes every filter. Only users in the segment count.
//! - `uniques`: distinct users with a matching event in the interval; `totals`: matching events;
//!   `average`: totals per unique; `pct_dau`: uniques as a percentage of the users active in the
//!   interval. `n` changes nothing: every user with an event is active.
//! - Property metrics measure the property of the event's first group-by (`revenue` reads the
//!   event's revenue): `sums` adds it up, `value_avg` averages it over events that have it,
//!   `histogram` counts events per value of it (one series per value).
//! - Otherwise the event's group-bys, then `g` and `g2`, split the series; a group-by reads the
//!   event's property or the user's property as it stood at the event, `(none)` when unset: a
//!   user counted under two values in one interval counts once under each.
//! - A segment's user-property conditions are judged at each event, with the properties then in
//!   force; its "who performed" conditions once per user, over what they did up to the end of
//!   the range. Series are ordered by their
//!   total over the range, largest first, and cut to `limit` (100).
//! - `formula` combines `UNIQUES`, `TOTALS`, `PROPSUM` and `PROPAVG` of A and B per interval.
//! - `rollingWindow N` computes each value over the last N intervals together (distinct users
//!   across them); `rollingAverage N` averages the last N values.
//! - `seriesCollapsed` is the metric over the whole range.
//! - Each segment (`s`, repeated) is computed on its own and gives its own series, in the order
//!   of the `s` parameters, `seriesMeta[].segmentIndex` telling them apart; `limit` cuts each
//!   segment's groups, and `hitChunkGroupByLimit` says when it did.

use std::collections::{BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use amp_model::dashboard::{
    Event, Formula, Measure, Segment, SegmentationQuery, Series, SeriesIndices, SeriesLabel,
    SeriesMeta, SeriesResponse,
};
use amp_model::{Interval, PropertyType, Query as _, SegmentationMetric};

use super::{BucketCursor, by_parts, each_segment, fresh, labels, segment_meta};

use crate::matcher::Matcher;
use crate::predicate::{Judge, event_values, group_at, user_values};
use crate::project::Project;
use crate::store::{Event as Stored, Prop, Store};

/// One series' figures per bucket, built user by user: distinct users (also over the rolling
/// window ending at each bucket) and event, sum and measured counts.
#[derive(Debug, Clone)]
struct Cells {
    users: Vec<u64>,
    window_users: Vec<u64>,
    events: Vec<u64>,
    sum: Vec<f64>,
    measured: Vec<u64>,
    total_users: u64,
}

impl Cells {
    fn new(buckets: usize) -> Self {
        Self {
            users: vec![0; buckets],
            window_users: vec![0; buckets],
            events: vec![0; buckets],
            sum: vec![0.0; buckets],
            measured: vec![0; buckets],
            total_users: 0,
        }
    }

    /// The figures of the rolling window ending at `bucket` (just the bucket without a window).
    fn window(&self, bucket: usize, span: usize) -> Figures {
        let first = (bucket + 1).saturating_sub(span);
        Figures {
            users: self.window_users[bucket],
            events: self.events[first..=bucket].iter().sum(),
            sum: self.sum[first..=bucket].iter().sum(),
            measured: self.measured[first..=bucket].iter().sum(),
        }
    }

    /// Adds another part's figures (of other users).
    fn add(&mut self, other: &Self) {
        for (sum, more) in [
            (&mut self.users, &other.users),
            (&mut self.window_users, &other.window_users),
            (&mut self.events, &other.events),
            (&mut self.measured, &other.measured),
        ] {
            for (sum, more) in sum.iter_mut().zip(more) {
                *sum += more;
            }
        }
        for (sum, more) in self.sum.iter_mut().zip(&other.sum) {
            *sum += more;
        }
        self.total_users += other.total_users;
    }

    fn total(&self) -> Figures {
        Figures {
            users: self.total_users,
            events: self.events.iter().sum(),
            sum: self.sum.iter().sum(),
            measured: self.measured.iter().sum(),
        }
    }
}

/// Adds one user's hit buckets (`touched`, each once) to distinct-user counts: per bucket, per
/// window (a window ending at a bucket holds a hit when one of its `span` buckets does), and
/// overall. Only the buckets the user touched are visited: most users are active on few days.
fn count_user(
    touched: &mut [usize],
    span: usize,
    users: &mut [u64],
    window_users: &mut [u64],
    total: &mut u64,
) {
    touched.sort_unstable();
    let mut counted = 0;
    for &bucket in touched.iter() {
        users[bucket] += 1;
        let end = (bucket + span).min(window_users.len());
        for window in &mut window_users[bucket.max(counted)..end] {
            *window += 1;
        }
        counted = counted.max(end);
    }
    *total += u64::from(!touched.is_empty());
}

/// The figures a metric is computed from.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    users: u64,
    events: u64,
    sum: f64,
    measured: u64,
}

fn is_property_metric(metric: &SegmentationMetric) -> bool {
    matches!(
        metric,
        SegmentationMetric::Histogram | SegmentationMetric::Sums | SegmentationMetric::ValueAvg
    )
}

fn property_of(store: &Store, spec: &Event, event: &Stored) -> Option<f64> {
    let group_by = spec.group_by.first()?;
    if group_by.value == "revenue" {
        return event.revenue();
    }
    let text = match group_by.kind {
        PropertyType::User => user_values(store, store.traits(event.state), &group_by.value)
            .into_iter()
            .next()?,
        _ => match store.event_prop(event, &group_by.value)? {
            Prop::Num(number) => return Some(*number),
            other => store.prop_text(other),
        },
    };
    text.trim().parse().ok()
}

/// The event's own group-by values (those that split the series), user properties as they
/// stood when it happened.
fn event_groups(store: &Store, spec: &Event, skip_first: bool, event: &Stored) -> Vec<String> {
    let first = |values: Vec<String>| values.into_iter().next().unwrap_or_else(|| "(none)".into());
    spec.group_by
        .iter()
        .skip(usize::from(skip_first))
        .map(|group_by| match group_by.kind {
            PropertyType::User => group_at(store, event, Some(&group_by.value)),
            _ => first(event_values(store, event, &group_by.value)),
        })
        .collect()
}

fn value_of(metric: &SegmentationMetric, figures: Figures, active: u64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
    let (users, events, measured, active) = (
        figures.users as f64,
        figures.events as f64,
        figures.measured as f64,
        active as f64,
    );
    let ratio = |top: f64, bottom: f64| if bottom == 0.0 { 0.0 } else { top / bottom };
    match metric {
        SegmentationMetric::Totals | SegmentationMetric::Histogram => events,
        SegmentationMetric::PctDau => ratio(users * 100.0, active),
        SegmentationMetric::Average => ratio(events, users),
        SegmentationMetric::Sums => figures.sum,
        SegmentationMetric::ValueAvg => ratio(figures.sum, measured),
        _ => users,
    }
}

fn measure_of(measure: Measure, figures: Figures) -> f64 {
    let metric = match measure {
        Measure::Uniques => SegmentationMetric::Uniques,
        Measure::Totals => SegmentationMetric::Totals,
        Measure::PropSum => SegmentationMetric::Sums,
        Measure::PropAvg => SegmentationMetric::ValueAvg,
    };
    value_of(&metric, figures, 0)
}

/// Every series' cells, and the active users per bucket, window and range, for `pct_dau`.
struct Tally {
    /// Per event: group key -> cells.
    groups: Vec<FxHashMap<Vec<String>, Cells>>,
    active: Cells,
}

impl Tally {
    /// The tally of all users from those of their parts.
    fn merged(parts: Vec<Self>) -> Self {
        let mut parts = parts.into_iter();
        let mut all = parts.next().expect("at least one part");
        for part in parts {
            for (mine, theirs) in all.groups.iter_mut().zip(part.groups) {
                for (key, cells) in theirs {
                    match mine.get_mut(&key) {
                        Some(sum) => sum.add(&cells),
                        None => {
                            mine.insert(key, cells);
                        }
                    }
                }
            }
            all.active.add(&part.active);
        }
        all
    }
}

/// One user's figures for one series, merged into the totals when the user is done. Only the
/// buckets touched are merged, and cleared for the next user.
#[derive(Debug, Clone, Default)]
struct Local {
    touched: Vec<usize>,
    hits: Vec<bool>,
    events: Vec<u64>,
    sum: Vec<f64>,
    measured: Vec<u64>,
}

impl Local {
    fn new(buckets: usize) -> Self {
        Self {
            touched: Vec::new(),
            hits: vec![false; buckets],
            events: vec![0; buckets],
            sum: vec![0.0; buckets],
            measured: vec![0; buckets],
        }
    }

    /// Marks a hit in `bucket`.
    fn hit(&mut self, bucket: usize) {
        if !self.hits[bucket] {
            self.hits[bucket] = true;
            self.touched.push(bucket);
        }
    }

    /// Adds these figures to `cells` and clears them.
    fn merge_into(&mut self, cells: &mut Cells, span: usize) {
        for &bucket in &self.touched {
            cells.events[bucket] += std::mem::take(&mut self.events[bucket]);
            cells.sum[bucket] += std::mem::take(&mut self.sum[bucket]);
            cells.measured[bucket] += std::mem::take(&mut self.measured[bucket]);
            self.hits[bucket] = false;
        }
        count_user(
            &mut self.touched,
            span,
            &mut cells.users,
            &mut cells.window_users,
            &mut cells.total_users,
        );
        self.touched.clear();
    }
}

/// The index of this user's figures for (`spec`, `own` + `request_groups`), adding them if new.
fn slot_for(
    keys: &mut Vec<(usize, Vec<String>)>,
    pool: &mut Vec<Local>,
    spec: usize,
    own: Vec<String>,
    request_groups: &[String],
    buckets: usize,
) -> usize {
    let found = keys.iter().position(|(hit_spec, key)| {
        *hit_spec == spec
            && key.len() == own.len() + request_groups.len()
            && key.starts_with(&own)
            && key.ends_with(request_groups)
    });
    found.unwrap_or_else(|| {
        let mut key = own;
        key.extend(request_groups.iter().cloned());
        keys.push((spec, key));
        if pool.len() < keys.len() {
            pool.push(Local::new(buckets));
        }
        keys.len() - 1
    })
}

/// One pass over the users: each user's events are matched into per-series figures that are
/// merged once the user is done, so that a user counts once per bucket without any set.
fn tally(
    project: &Project,
    query: &SegmentationQuery,
    segment: Option<&Segment>,
    specs: &[&Event],
    buckets: &[crate::calendar::Bucket],
    skip_first: bool,
    part: std::ops::Range<usize>,
) -> Tally {
    let store = &project.store;
    let (from, to) = project.calendar.span(query.range);
    let span = query
        .rolling_window
        .map_or(1, |window| window.max(1) as usize);
    let matchers: Vec<Matcher<'_>> = specs.iter().map(|spec| Matcher::new(store, spec)).collect();
    // Only property metrics and formulas read the measured property.
    let measures = skip_first
        || query.formula.is_some()
        || query.metric == Some(SegmentationMetric::Histogram);
    let splits: Vec<bool> = specs
        .iter()
        .map(|spec| spec.group_by.len() > usize::from(skip_first))
        .collect();
    let mut tally = Tally {
        groups: vec![FxHashMap::default(); specs.len()],
        active: Cells::new(buckets.len()),
    };
    // This user's series: (event index, group key); their figures are `pool[..used]`, in order.
    let mut keys: Vec<(usize, Vec<String>)> = Vec::new();
    let mut pool: Vec<Local> = Vec::new();
    let mut active = Local::new(buckets.len());
    let judge = Judge::new(project, segment, to);
    let mut cursor = BucketCursor::new(buckets);
    // The request's group values of each state met, worked out once: users alike share states.
    let mut groups_of_state: Vec<Option<Vec<String>>> = Vec::new();
    for (_, user) in judge.users(part) {
        keys.clear();
        for event in user
            .events
            .iter()
            .map(|&event| &store.events[event as usize])
        {
            if !(from..to).contains(&event.time_ms) || !judge.admits_event(event) {
                continue;
            }
            let Some(bucket) = cursor.find(event.time_ms) else {
                continue;
            };
            active.hit(bucket);
            let state = event.state as usize;
            if groups_of_state.len() <= state {
                groups_of_state.resize(state + 1, None);
            }
            let request_groups = groups_of_state[state].get_or_insert_with(|| {
                query
                    .group_by
                    .iter()
                    .map(|property| group_at(store, event, Some(property)))
                    .collect()
            });
            for (spec_index, (spec, matcher)) in specs.iter().zip(&matchers).enumerate() {
                if !matcher.matches(store, event) {
                    continue;
                }
                let own = if splits[spec_index] {
                    event_groups(store, spec, skip_first, event)
                } else {
                    Vec::new()
                };
                let slot = slot_for(
                    &mut keys,
                    &mut pool,
                    spec_index,
                    own,
                    request_groups,
                    buckets.len(),
                );
                let local = &mut pool[slot];
                local.hit(bucket);
                local.events[bucket] += 1;
                if let Some(value) = measures.then(|| property_of(store, spec, event)).flatten() {
                    local.sum[bucket] += value;
                    local.measured[bucket] += 1;
                }
            }
        }
        for ((spec_index, key), local) in keys.drain(..).zip(&mut pool) {
            local.merge_into(
                tally.groups[spec_index]
                    .entry(key)
                    .or_insert_with(|| Cells::new(buckets.len())),
                span,
            );
        }
        active.merge_into(&mut tally.active, span);
    }
    tally
}

/// One series: its group key, its event (or formula) index, its values and its total.
type Line = (Vec<String>, usize, Vec<f64>, f64);

/// The series of one segment, ordered and cut to `limit` per event; whether any were cut.
#[allow(
    clippy::too_many_lines,
    reason = "one series per group, formula or not, then rolling averages and the limit"
)]
fn lines_of(
    project: &Project,
    query: &SegmentationQuery,
    segment: Option<&Segment>,
    buckets: &[crate::calendar::Bucket],
) -> (Vec<Line>, bool) {
    let metric = query.metric.clone().unwrap_or(SegmentationMetric::Uniques);
    let formula = query
        .formula
        .as_deref()
        .and_then(|text| Formula::parse(text).ok())
        .filter(|_| metric == SegmentationMetric::Formula);
    let specs: Vec<&Event> = std::iter::once(&query.event)
        .chain(&query.second_event)
        .collect();
    // Histograms split by the measured property; the other property metrics only read it.
    let skip_first = is_property_metric(&metric) && metric != SegmentationMetric::Histogram;
    let span = query
        .rolling_window
        .map_or(1, |window| window.max(1) as usize);
    let parts = by_parts(project, |part| {
        tally(project, query, segment, &specs, buckets, skip_first, part)
    });
    let Tally { groups, active } = Tally::merged(parts);
    let mut series: Vec<Line> = Vec::new();
    let empty = Cells::new(buckets.len());
    if let Some(formula) = &formula {
        let keys: BTreeSet<&Vec<String>> = groups.iter().flat_map(FxHashMap::keys).collect();
        for key in keys {
            let cells_of = |event: usize| {
                groups
                    .get(event)
                    .and_then(|groups| groups.get(key))
                    .unwrap_or(&empty)
            };
            let values: Vec<f64> = (0..buckets.len())
                .map(|bucket| {
                    formula.evaluate(&|measure, event| {
                        measure_of(measure, cells_of(event).window(bucket, span))
                    })
                })
                .collect();
            let total =
                formula.evaluate(&|measure, event| measure_of(measure, cells_of(event).total()));
            series.push((key.clone(), 0, values, total));
        }
    } else {
        for (index, groups) in groups.iter().enumerate() {
            for (key, cells) in groups {
                let values = (0..buckets.len())
                    .map(|bucket| {
                        value_of(
                            &metric,
                            cells.window(bucket, span),
                            active.window_users[bucket],
                        )
                    })
                    .collect();
                series.push((
                    key.clone(),
                    index,
                    values,
                    value_of(&metric, cells.total(), active.total_users),
                ));
            }
        }
        // Without a group-by there is always one series, zero when nothing matched.
        let grouped = !query.group_by.is_empty()
            || specs
                .iter()
                .any(|spec| spec.group_by.len() > usize::from(skip_first));
        if series.is_empty() && !grouped {
            series.push((
                Vec::new(),
                0,
                vec![0.0; buckets.len()],
                value_of(&metric, Figures::default(), 0),
            ));
        }
    }
    if let Some(average) = query.rolling_average.filter(|n| *n > 1) {
        for (_, _, values, _) in &mut series {
            let raw = values.clone();
            for (index, value) in values.iter_mut().enumerate() {
                let first = (index + 1).saturating_sub(average as usize);
                #[allow(clippy::cast_precision_loss, reason = "a window of a few intervals")]
                let mean = raw[first..=index].iter().sum::<f64>() / (index + 1 - first) as f64;
                *value = mean;
            }
        }
    }
    series.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then(b.3.total_cmp(&a.3))
            .then_with(|| a.0.cmp(&b.0))
    });
    let limit = query.limit.unwrap_or(100) as usize;
    let mut kept_per_event: HashMap<usize, usize> = HashMap::new();
    let before = series.len();
    series.retain(|(_, index, _, _)| {
        let kept = kept_per_event.entry(*index).or_default();
        *kept += 1;
        *kept <= limit
    });
    let cut = series.len() < before;
    (series, cut)
}

/// Answers it: each segment's series in the order of the `s` parameters.
pub fn compute(project: &Project, query: &SegmentationQuery) -> SeriesResponse {
    let buckets = project.calendar.buckets(
        query.range,
        query.interval.as_ref().unwrap_or(&Interval::Daily),
    );
    let formula = query
        .formula
        .as_deref()
        .filter(|_| query.metric == Some(SegmentationMetric::Formula));
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let mut cut = false;
    for (index, segment) in each_segment(&query.segments).into_iter().enumerate() {
        let (segment_lines, segment_cut) = lines_of(project, query, segment, &buckets);
        cut |= segment_cut;
        lines.extend(segment_lines.into_iter().map(|line| (index, line)));
    }
    let grouped = lines.iter().any(|(_, (key, ..))| !key.is_empty());
    let mut data = Series::default();
    data.x_values = labels(&buckets);
    for (segment, (key, index, values, total)) in lines {
        data.series.push(values.into_iter().map(Some).collect());
        data.series_collapsed.push(vec![Some(total)]);
        let event = i64::try_from(index).unwrap_or(i64::MAX);
        data.series_labels.push(if grouped {
            SeriesLabel::Grouped {
                index: Some(event),
                values: key,
            }
        } else {
            SeriesLabel::Index(event)
        });
        data.series_meta.push(match formula {
            Some(text) => {
                let mut indices = SeriesIndices::default();
                indices.segment_index = u32::try_from(segment).ok();
                indices.formula_index = u32::try_from(index).ok();
                indices.formula = Some(text.to_owned());
                SeriesMeta::Indices(indices)
            }
            None => segment_meta(segment, Some(index)),
        });
    }
    let mut response = SeriesResponse::default();
    response.data = data;
    response.metadata = fresh(project, query.cost().total(), cut);
    response
}
