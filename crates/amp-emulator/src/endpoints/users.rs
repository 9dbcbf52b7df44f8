//! `/api/2/users`: active or new users per interval.
//!
//! A user is *active* in a bucket when they have at least one event in it, and *new* in the
//! bucket holding their first event ever. The segment is judged at the end of the range; a
//! group-by reads the user's latest value of the property, `(none)` when unset.

use std::collections::{BTreeMap, HashMap, HashSet};

use amp_model::dashboard::UsersQuery;
use amp_model::{Interval, UsersMetric};
use serde_json::{Value, json};

use super::bucket_of;
use crate::predicate::{segment_matches, user_group};
use crate::project::Project;

/// Answers it.
pub fn compute(project: &Project, query: &UsersQuery) -> Value {
    let store = &project.store;
    let buckets = project.calendar.buckets(
        query.range,
        query.interval.as_ref().unwrap_or(&Interval::Daily),
    );
    let (from, to) = project.calendar.span(query.range);
    let mut eligible: HashMap<u32, Option<String>> = HashMap::new();
    let mut group_of = |user: u32| -> Option<String> {
        eligible
            .entry(user)
            .or_insert_with(|| {
                let keep = query
                    .segment
                    .as_ref()
                    .is_none_or(|segment| segment_matches(project, user, segment, to));
                keep.then(|| {
                    user_group(
                        store,
                        &store.users[user as usize],
                        query.group_by.as_deref(),
                    )
                })
            })
            .clone()
    };
    let mut seen: HashSet<(String, usize, u32)> = HashSet::new();
    if query.metric == Some(UsersMetric::New) {
        for (index, user) in store.users.iter().enumerate() {
            let index = u32::try_from(index).expect("fewer than 4 billion users");
            if (from..to).contains(&user.first_seen_ms)
                && let Some(bucket) = bucket_of(&buckets, user.first_seen_ms)
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
                (bucket_of(&buckets, event.time_ms), group_of(event.user))
            {
                seen.insert((group, bucket, event.user));
            }
        }
    }
    let mut groups: BTreeMap<String, (Vec<u64>, HashSet<u32>)> = BTreeMap::new();
    for (group, bucket, user) in seen {
        let entry = groups
            .entry(group)
            .or_insert_with(|| (vec![0; buckets.len()], HashSet::new()));
        entry.0[bucket] += 1;
        entry.1.insert(user);
    }
    if groups.is_empty() && query.group_by.is_none() {
        groups.insert(String::new(), (vec![0; buckets.len()], HashSet::new()));
    }
    let mut ordered: Vec<(String, Vec<u64>, usize)> = groups
        .into_iter()
        .map(|(group, (series, users))| (group, series, users.len()))
        .collect();
    ordered.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let labels: Vec<Value> = ordered
        .iter()
        .map(|(group, ..)| {
            if query.group_by.is_some() {
                json!(group)
            } else {
                json!(0)
            }
        })
        .collect();
    json!({"data": {
        "series": ordered.iter().map(|(_, series, _)| series).collect::<Vec<_>>(),
        "seriesLabels": labels,
        "seriesCollapsed": ordered.iter().map(|(.., total)| json!([{"setId": "", "value": total}])).collect::<Vec<_>>(),
        "seriesMeta": ordered.iter().map(|_| json!({"segmentIndex": 0})).collect::<Vec<_>>(),
        "xValues": buckets.iter().map(|bucket| bucket.label.as_str()).collect::<Vec<_>>(),
    }})
}
