//! `/api/2/users`: active or new users per interval.
//!
//! A user is *active* in a bucket when they have at least one event in it, and *new* in the
//! bucket holding their first event ever. The segment is judged at the end of the range; a
//! group-by reads the user's latest value of the property, `(none)` when unset. With `g` and
//! `g2` a series is one pair of values, labelled `[first, second]`; with one, its value; without,
//! `0`. Each segment gives its own series, in the order of the `s` parameters.

use std::collections::{BTreeMap, HashMap, HashSet};

use amp_model::dashboard::{Segment, Series, SeriesLabel, SeriesResponse, UsersQuery};
use amp_model::{Interval, UsersMetric};

use super::{bucket_of, each_segment, labels, segment_meta};
use crate::calendar::Bucket;
use crate::predicate::{segment_matches, user_group};
use crate::project::Project;

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
    let mut eligible: HashMap<u32, Option<Vec<String>>> = HashMap::new();
    let mut group_of = |user: u32| -> Option<Vec<String>> {
        eligible
            .entry(user)
            .or_insert_with(|| {
                let keep =
                    segment.is_none_or(|segment| segment_matches(project, user, segment, to));
                keep.then(|| {
                    query
                        .group_by
                        .iter()
                        .map(|property| {
                            user_group(store, &store.users[user as usize], Some(property))
                        })
                        .collect()
                })
            })
            .clone()
    };
    let mut seen: HashSet<(Vec<String>, usize, u32)> = HashSet::new();
    if query.metric == Some(UsersMetric::New) {
        for (index, user) in store.users.iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than 4 billion users");
            if (from..to).contains(&user.first_seen_ms)
                && let Some(bucket) = bucket_of(buckets, user.first_seen_ms)
                && let Some(group) = group_of(index)
            {
                seen.insert((group, bucket, index));
            }
        }
    } else {
        for event in store
            .events
            .iter()
            .filter(|event| (from..to).contains(&event.time_ms))
        {
            if let (Some(bucket), Some(group)) =
                (bucket_of(buckets, event.time_ms), group_of(event.user))
            {
                seen.insert((group, bucket, event.user));
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
