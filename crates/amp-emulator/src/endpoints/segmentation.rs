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
//!   event's property or the user's latest, `(none)` when unset. Series are ordered by their
//!   total over the range, largest first, and cut to `limit` (100).
//! - `formula` combines `UNIQUES`, `TOTALS`, `PROPSUM` and `PROPAVG` of A and B per interval.
//! - `rollingWindow N` computes each value over the last N intervals together (distinct users
//!   across them); `rollingAverage N` averages the last N values.
//! - `seriesCollapsed` is the metric over the whole range.

use std::collections::{BTreeSet, HashMap, HashSet};

use amp_model::dashboard::{Event, EventType, SegmentationQuery};
use amp_model::{Interval, PropertyType, SegmentationMetric, ValidationError};
use serde_json::{Value, json};

use super::bucket_of;
use crate::formula::{Formula, Measure};
use crate::params::Params;
use crate::predicate::{event_matches, event_values, segment_matches, user_values};
use crate::project::Project;
use crate::store::{Event as Stored, Prop, Store};

/// Reads the query; the realtime and hourly intervals cover at most 2 and 7 days.
pub fn parse(params: &Params) -> Result<SegmentationQuery, ValidationError> {
    let mut query = SegmentationQuery::new(params.event("e")?, params.range()?);
    query.second_event = params.json("e2")?;
    query.metric = params.parsed("m")?;
    query.user_type = params.parsed("n")?;
    query.interval = params.parsed("i")?;
    query.segment = params.segment()?;
    query.group_by = params
        .all("g")
        .chain(params.all("g2"))
        .map(str::to_owned)
        .collect();
    query.limit = params.parsed("limit")?;
    query.formula = params.get("formula").map(str::to_owned);
    query.rolling_window = params.parsed("rollingWindow")?;
    query.rolling_average = params.parsed("rollingAverage")?;
    let most_days = match query.interval {
        Some(Interval::Realtime) => 2,
        Some(Interval::Hourly) => 7,
        _ => u64::MAX,
    };
    if query.range.days() > most_days {
        return Err(ValidationError::new(
            "i",
            format!("this interval covers at most {most_days} days; shorten the range"),
        ));
    }
    if let Some(SegmentationMetric::Unknown(name)) = &query.metric {
        return Err(ValidationError::new(
            "m",
            format!("`{name}` is not a metric the emulator computes"),
        ));
    }
    if let Some(text) = &query.formula {
        Formula::parse(text)?;
    }
    Ok(query)
}

/// What is known of one group in one interval.
#[derive(Debug, Clone, Default)]
struct Cell {
    users: HashSet<u32>,
    events: u64,
    sum: f64,
    measured: u64,
}

impl Cell {
    fn merge(&mut self, other: &Cell) {
        self.users.extend(&other.users);
        self.events += other.events;
        self.sum += other.sum;
        self.measured += other.measured;
    }
}

/// Per group: one cell per bucket, and one for the whole range.
type Groups = HashMap<Vec<String>, (Vec<Cell>, Cell)>;

fn is_property_metric(metric: &SegmentationMetric) -> bool {
    matches!(
        metric,
        SegmentationMetric::Histogram | SegmentationMetric::Sums | SegmentationMetric::ValueAvg
    )
}

/// Whether `event` matches `spec`: its type and its filters.
pub fn matches_event(store: &Store, spec: &Event, event: &Stored) -> bool {
    type_matches(store, spec, event) && event_matches(store, event, &spec.filters)
}

fn type_matches(store: &Store, spec: &Event, event: &Stored) -> bool {
    match &spec.event_type {
        EventType::AnyActive | EventType::Any => true,
        EventType::Revenue | EventType::VerifiedRevenue | EventType::UnverifiedRevenue => {
            event.revenue.is_some()
        }
        EventType::New => store.users[event.user as usize].first_seen_ms == event.time_ms,
        other => store.strings.name(event.event_type) == other.as_str(),
    }
}

fn property_of(store: &Store, spec: &Event, event: &Stored) -> Option<f64> {
    let group_by = spec.group_by.first()?;
    if group_by.value == "revenue" {
        return event.revenue;
    }
    let text = match group_by.kind {
        PropertyType::User => user_values(&store.users[event.user as usize], &group_by.value)
            .into_iter()
            .next()?,
        _ => match store.event_prop(event, &group_by.value)? {
            Prop::Num(number) => return Some(*number),
            other => store.prop_text(other),
        },
    };
    text.trim().parse().ok()
}

fn group_key(
    store: &Store,
    spec: &Event,
    skip_first: bool,
    request_groups: &[String],
    event: &Stored,
) -> Vec<String> {
    let user = &store.users[event.user as usize];
    let first = |values: Vec<String>| values.into_iter().next().unwrap_or_else(|| "(none)".into());
    let from_event = spec
        .group_by
        .iter()
        .skip(usize::from(skip_first))
        .map(|group_by| match group_by.kind {
            PropertyType::User => first(user_values(user, &group_by.value)),
            _ => first(event_values(store, event, &group_by.value)),
        });
    from_event
        .chain(
            request_groups
                .iter()
                .map(|property| first(user_values(user, property))),
        )
        .collect()
}

fn value_of(metric: &SegmentationMetric, cell: &Cell, active: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
    let (users, events, measured) = (
        cell.users.len() as f64,
        cell.events as f64,
        cell.measured as f64,
    );
    let ratio = |top: f64, bottom: f64| if bottom == 0.0 { 0.0 } else { top / bottom };
    match metric {
        SegmentationMetric::Totals | SegmentationMetric::Histogram => events,
        #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
        SegmentationMetric::PctDau => ratio(users * 100.0, active as f64),
        SegmentationMetric::Average => ratio(events, users),
        SegmentationMetric::Sums => cell.sum,
        SegmentationMetric::ValueAvg => ratio(cell.sum, measured),
        _ => users,
    }
}

fn measure_of(measure: Measure, cell: &Cell) -> f64 {
    let metric = match measure {
        Measure::Uniques => SegmentationMetric::Uniques,
        Measure::Totals => SegmentationMetric::Totals,
        Measure::PropSum => SegmentationMetric::Sums,
        Measure::PropAvg => SegmentationMetric::ValueAvg,
    };
    value_of(&metric, cell, 0)
}

/// Answers it.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over the events, then one series per group"
)]
pub fn compute(project: &Project, query: &SegmentationQuery) -> Value {
    let store = &project.store;
    let metric = query.metric.clone().unwrap_or(SegmentationMetric::Uniques);
    let formula = query
        .formula
        .as_deref()
        .and_then(|text| Formula::parse(text).ok())
        .filter(|_| metric == SegmentationMetric::Formula);
    let buckets = project.calendar.buckets(
        query.range,
        query.interval.as_ref().unwrap_or(&Interval::Daily),
    );
    let (from, to) = project.calendar.span(query.range);
    let specs: Vec<&Event> = std::iter::once(&query.event)
        .chain(&query.second_event)
        .collect();
    // Histograms split by the measured property; the other property metrics only read it.
    let skip_first = is_property_metric(&metric) && metric != SegmentationMetric::Histogram;

    let mut eligible: HashMap<u32, bool> = HashMap::new();
    let mut active: Vec<HashSet<u32>> = vec![HashSet::new(); buckets.len()];
    let mut all_active: HashSet<u32> = HashSet::new();
    let mut groups: Vec<Groups> = vec![Groups::new(); specs.len()];
    for event in store
        .events
        .iter()
        .filter(|event| (from..to).contains(&event.time_ms))
    {
        let Some(bucket) = bucket_of(&buckets, event.time_ms) else {
            continue;
        };
        let keep = *eligible.entry(event.user).or_insert_with(|| {
            query
                .segment
                .as_ref()
                .is_none_or(|segment| segment_matches(project, event.user, segment, to))
        });
        if !keep {
            continue;
        }
        active[bucket].insert(event.user);
        all_active.insert(event.user);
        for (index, spec) in specs.iter().enumerate() {
            if !matches_event(store, spec, event) {
                continue;
            }
            let key = group_key(store, spec, skip_first, &query.group_by, event);
            let (cells, total) = groups[index]
                .entry(key)
                .or_insert_with(|| (vec![Cell::default(); buckets.len()], Cell::default()));
            let measured = property_of(store, spec, event);
            for cell in [&mut cells[bucket], total] {
                cell.users.insert(event.user);
                cell.events += 1;
                if let Some(value) = measured {
                    cell.sum += value;
                    cell.measured += 1;
                }
            }
        }
    }

    // Each series: its label key, its event or formula index, its values and its total.
    let mut series: Vec<(Vec<String>, usize, Vec<f64>, f64)> = Vec::new();
    let window = |cells: &[Cell], active: &[HashSet<u32>], bucket: usize| -> (Cell, usize) {
        let span = query
            .rolling_window
            .map_or(1, |window| window.max(1) as usize);
        let first = (bucket + 1).saturating_sub(span);
        let mut merged = Cell::default();
        let mut users: HashSet<u32> = HashSet::new();
        for index in first..=bucket {
            merged.merge(&cells[index]);
            users.extend(&active[index]);
        }
        (merged, users.len())
    };
    let empty = vec![Cell::default(); buckets.len()];
    if let Some(formula) = &formula {
        let mut terms = Vec::new();
        formula.terms(&mut terms);
        let keys: BTreeSet<&Vec<String>> = groups.iter().flat_map(|groups| groups.keys()).collect();
        for key in keys {
            let cells_of = |event: usize| groups.get(event).and_then(|groups| groups.get(key));
            let values: Vec<f64> = (0..buckets.len())
                .map(|bucket| {
                    formula.evaluate(&|measure, event| {
                        let cells = cells_of(event).map_or(&empty[..], |(cells, _)| &cells[..]);
                        measure_of(measure, &window(cells, &active, bucket).0)
                    })
                })
                .collect();
            let total = formula.evaluate(&|measure, event| {
                cells_of(event).map_or(0.0, |(_, total)| measure_of(measure, total))
            });
            series.push((key.clone(), 0, values, total));
        }
    } else {
        for (index, groups) in groups.iter().enumerate() {
            for (key, (cells, total)) in groups {
                let values = (0..buckets.len())
                    .map(|bucket| {
                        let (cell, active_users) = window(cells, &active, bucket);
                        value_of(&metric, &cell, active_users)
                    })
                    .collect();
                series.push((
                    key.clone(),
                    index,
                    values,
                    value_of(&metric, total, all_active.len()),
                ));
            }
        }
        // Without a group-by there is always one series, zero when nothing matched.
        let grouped = !query.group_by.is_empty()
            || specs
                .iter()
                .any(|spec| spec.group_by.len() > usize::from(skip_first));
        if series.is_empty() && !grouped {
            let total = if metric == SegmentationMetric::Uniques {
                0.0
            } else {
                value_of(&metric, &Cell::default(), 0)
            };
            series.push((Vec::new(), 0, vec![0.0; buckets.len()], total));
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
    series.retain(|(_, index, _, _)| {
        let kept = kept_per_event.entry(*index).or_default();
        *kept += 1;
        *kept <= limit
    });
    let grouped = series.iter().any(|(key, ..)| !key.is_empty());
    let labels: Vec<Value> = series
        .iter()
        .map(|(key, index, ..)| {
            if grouped {
                let mut label = vec![json!(index)];
                label.extend(key.iter().map(|value| json!(value)));
                Value::Array(label)
            } else {
                json!(index)
            }
        })
        .collect();
    let meta: Vec<Value> = series
        .iter()
        .map(|(_, index, ..)| match &query.formula {
            Some(text) if formula.is_some() => {
                json!({"segmentIndex": 0, "formulaIndex": index, "formula": text})
            }
            _ => json!({"segmentIndex": 0, "eventIndex": index}),
        })
        .collect();
    json!({"data": {
        "series": series.iter().map(|(_, _, values, _)| values).collect::<Vec<_>>(),
        "seriesLabels": labels,
        "seriesCollapsed": series.iter().map(|(.., total)| json!([{"setId": "", "value": total}])).collect::<Vec<_>>(),
        "seriesMeta": meta,
        "xValues": buckets.iter().map(|bucket| bucket.label.as_str()).collect::<Vec<_>>(),
    }})
}
