//! `/api/2/users`: active or new users per interval.
//!
//! A user is *active* in a bucket when they have at least one event in it, and *new* in the
//! bucket holding their first event ever. User properties apply at the events that make the user
//! active (each of them) or new (the first): a segment's property conditions and the group-bys
//! read the properties then, `(none)` when unset, so a user active under two values in one
//! interval counts once under each; "who performed" conditions are judged once per user at the
//! end of the range. Identify calls alone make no one active or new. With `g` and
//! `g2` a series is one pair of values, labelled `[first, second]`; with one, its value; without,
//! `0`. Each segment gives its own series, in the order of the `s` parameters.

use std::collections::{BTreeMap, HashSet};

use amp_model::dashboard::{Segment, Series, SeriesLabel, SeriesResponse, UsersQuery};
use amp_model::{Interval, UsersMetric};

use super::{bucket_of, each_segment, labels, segment_meta};
use crate::calendar::Bucket;
use crate::predicate::{Judge, group_at};
use crate::project::Project;
use crate::store::Event as Stored;

/// One series: its group values, users per bucket, and distinct users over the range.
type Group = (Vec<String>, Vec<u64>, usize);

/// The series of one segment, largest first.
fn groups_of(
    project: &Project,
    query: &UsersQuery,
    segment: Option<&Segment>,
    buckets: &[Bucket],
) -> Vec<Group> {
    let store = &project.store;
    let (from, to) = project.calendar.span(query.range);
    let judge = Judge::new(project, segment, to);
    let groups_at = |event: &Stored| -> Vec<String> {
        query
            .group_by
            .iter()
            .map(|property| group_at(store, event, Some(property)))
            .collect()
    };
    let mut seen: HashSet<(Vec<String>, usize, u32)> = HashSet::new();
    for (index, user) in judge.users(0..store.users.len()) {
        let mut events = user
            .events
            .iter()
            .map(|&event| &store.events[event as usize]);
        if query.metric == Some(UsersMetric::New) {
            if let Some(first) = events.next()
                && (from..to).contains(&user.first_seen_ms)
                && let Some(bucket) = bucket_of(buckets, user.first_seen_ms)
                && judge.admits_event(first)
            {
                seen.insert((groups_at(first), bucket, index));
            }
            continue;
        }
        for event in events.filter(|event| (from..to).contains(&event.time_ms)) {
            if let Some(bucket) = bucket_of(buckets, event.time_ms)
                && judge.admits_event(event)
            {
                seen.insert((groups_at(event), bucket, index));
            }
        }
    }
    let mut groups: BTreeMap<Vec<String>, (Vec<u64>, HashSet<u32>)> = BTreeMap::new();
    for (group, bucket, user) in seen {
        let entry = groups
            .entry(group)
            .or_insert_with(|| (vec![0; buckets.len()], HashSet::new()));
        entry.0[bucket] += 1;
        entry.1.insert(user);
    }
    if groups.is_empty() && query.group_by.is_empty() {
        groups.insert(Vec::new(), (vec![0; buckets.len()], HashSet::new()));
    }
    let mut ordered: Vec<Group> = groups
        .into_iter()
        .map(|(group, (series, users))| (group, series, users.len()))
        .collect();
    ordered.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    ordered
}

/// Answers it.
#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
pub fn compute(project: &Project, query: &UsersQuery) -> SeriesResponse {
    let buckets = project.calendar.buckets(
        query.range,
        query.interval.as_ref().unwrap_or(&Interval::Daily),
    );
    let mut data = Series::default();
    data.x_values = labels(&buckets);
    for (index, segment) in each_segment(&query.segments).into_iter().enumerate() {
        for (group, series, total) in groups_of(project, query, segment, &buckets) {
            data.series
                .push(series.into_iter().map(|users| Some(users as f64)).collect());
            data.series_collapsed.push(vec![Some(total as f64)]);
            data.series_meta.push(segment_meta(index, None));
            data.series_labels
                .push(match <[String; 1]>::try_from(group) {
                    Ok([one]) => SeriesLabel::Name(one),
                    Err(group) if group.is_empty() => SeriesLabel::Index(0),
                    Err(group) => SeriesLabel::Grouped {
                        index: None,
                        values: group,
                    },
                });
        }
    }
    let mut response = SeriesResponse::default();
    response.data = data;
    response
}
