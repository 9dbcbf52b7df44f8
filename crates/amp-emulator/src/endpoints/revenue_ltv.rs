//! `/api/2/revenue/ltv`: what the users who were new in each interval went on to pay.
//!
//! A cohort is the users whose first event falls in the interval. For each day N of 1 to 7, 14,
//! 30, 60 and 90, `rNd` is, over the revenue each user made in their first N days: `m=0` ARPU
//! (revenue per cohort user), `m=1` ARPPU (per paying user), `m=2` total revenue, `m=3` paying
//! users. `count` is the cohort, `paid` and `total_amount` the payers and revenue within 90 days;
//! `complete[date][rNd]` says whether day N has passed for the whole cohort. `combined` takes
//! every cohort together. Dates run newest first. User properties apply at the user's first
//! event, when they were new: a segment's property conditions and a group-by (one) read the
//! properties then ("who performed" conditions are judged once per user); each segment gives
//! its own series, in the order of the `s` parameters, with the `queryIds` real
//! answers carry.

use std::collections::BTreeMap;

use amp_model::dashboard::{
    LtvData, LtvDay, LtvSeries, RevenueLtvQuery, RevenueLtvResponse, Segment, SeriesLabel,
};
use amp_model::{Interval, LtvMetric};
use chrono::NaiveDate;

use super::{each_segment, query_id};
use crate::calendar::bucket_start;
use crate::predicate::{Judge, group_at};
use crate::project::Project;

const DAY_MS: i64 = 86_400_000;
/// The days Amplitude reports.
const HORIZONS: [i64; 11] = [1, 2, 3, 4, 5, 6, 7, 14, 30, 60, 90];

/// One cohort: each user's revenue per day since their first event (days 0 to 89).
type Cohort = Vec<Vec<f64>>;

#[allow(
    clippy::cast_precision_loss,
    reason = "cohorts are far below 2^53 users"
)]
fn figures(users: &[Vec<f64>], metric: &LtvMetric) -> LtvDay {
    let count = users.len() as f64;
    let mut out = LtvDay::default();
    for days in HORIZONS {
        let days = usize::try_from(days).unwrap_or(0);
        let revenue: f64 = users
            .iter()
            .map(|user| user[..days].iter().sum::<f64>())
            .sum();
        let payers = users
            .iter()
            .filter(|user| user[..days].iter().any(|amount| *amount > 0.0))
            .count() as f64;
        let ratio = |top: f64, bottom: f64| if bottom == 0.0 { 0.0 } else { top / bottom };
        let value = match metric {
            LtvMetric::Arppu => ratio(revenue, payers),
            LtvMetric::TotalRevenue => revenue,
            LtvMetric::PayingUsers => payers,
            _ => ratio(revenue, count),
        };
        out.revenue.insert(
            u32::try_from(days).unwrap_or(u32::MAX),
            (value * 100.0).round() / 100.0,
        );
    }
    let payers = users
        .iter()
        .filter(|user| user.iter().any(|amount| *amount > 0.0))
        .count();
    let total: f64 = users.iter().flatten().sum();
    out.count = Some(count);
    out.paid = Some(payers as f64);
    out.total_amount = Some((total * 100.0).round() / 100.0);
    out
}

/// Group -> cohort start day -> each user's revenue per day.
type Groups = BTreeMap<String, BTreeMap<NaiveDate, Cohort>>;

/// The cohorts of one segment, by group.
fn groups_of(project: &Project, query: &RevenueLtvQuery, segment: Option<&Segment>) -> Groups {
    let store = &project.store;
    let calendar = project.calendar;
    let interval = query.interval.clone().unwrap_or(Interval::Daily);
    let (from, to) = calendar.span(query.range);
    let mut groups = Groups::new();
    let judge = Judge::new(project, segment, to);
    for (_, user) in judge.users(0..store.users.len()) {
        let Some(first) = user
            .events
            .first()
            .map(|&first| &store.events[first as usize])
        else {
            continue;
        };
        if !(from..to).contains(&user.first_seen_ms) || !judge.admits_event(first) {
            continue;
        }
        let mut days = vec![0.0; 90];
        for event in user
            .events
            .iter()
            .map(|&event| &store.events[event as usize])
        {
            let day = (event.time_ms - user.first_seen_ms) / DAY_MS;
            if let (Some(amount), Ok(day)) = (event.revenue(), usize::try_from(day))
                && let Some(slot) = days.get_mut(day)
            {
                *slot += amount;
            }
        }
        let group = group_at(store, first, query.group_by.as_deref());
        let cohort = bucket_start(calendar.day_of(user.first_seen_ms), &interval);
        groups
            .entry(group)
            .or_default()
            .entry(cohort)
            .or_default()
            .push(days);
    }
    if groups.is_empty() && query.group_by.is_none() {
        groups.insert(String::new(), BTreeMap::new());
    }
    groups
}

/// Answers it.
pub fn compute(project: &Project, query: &RevenueLtvQuery) -> RevenueLtvResponse {
    let calendar = project.calendar;
    let interval = query.interval.clone().unwrap_or(Interval::Daily);
    let metric = query.metric.clone().unwrap_or(LtvMetric::Arpu);
    let now = project.now_ms();
    let mut data = LtvData::default();
    for segment in each_segment(&query.segments) {
        for (group, cohorts) in groups_of(project, query, segment) {
            let mut series = LtvSeries::default();
            for (day, users) in &cohorts {
                let label = day.format("%Y-%m-%d").to_string();
                let cohort_end = calendar.later_bucket(*day, &interval, 0).1;
                let done = HORIZONS
                    .iter()
                    .map(|days| (format!("r{days}d"), cohort_end + days * DAY_MS <= now))
                    .collect();
                series.values.insert(label.clone(), figures(users, &metric));
                series.complete.insert(label, done);
            }
            let everyone: Vec<Vec<f64>> = cohorts.values().flatten().cloned().collect();
            series.dates = cohorts
                .keys()
                .rev()
                .map(|day| day.format("%Y-%m-%d").to_string())
                .collect();
            series.combined = Some(figures(&everyone, &metric));
            data.series.push(series);
            data.series_labels.push(SeriesLabel::Name(group));
        }
    }
    let mut response = RevenueLtvResponse::default();
    response.data = data;
    response.metadata.query_ids = Some(vec![query_id(project)]);
    response
}
