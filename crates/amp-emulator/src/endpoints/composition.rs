//! `/api/2/composition`: the users active in the range, counted by their latest value of one
//! property (`(none)` when unset), largest first.

use std::collections::{HashMap, HashSet};

use amp_model::dashboard::CompositionQuery;
use serde_json::{Value, json};

use crate::predicate::user_group;
use crate::project::Project;

/// Answers it.
pub fn compute(project: &Project, query: &CompositionQuery) -> Value {
    let store = &project.store;
    let (from, to) = project.calendar.span(query.range);
    let active: HashSet<u32> = store
        .events
        .iter()
        .filter(|event| (from..to).contains(&event.time_ms))
        .map(|event| event.user)
        .collect();
    let mut counts: HashMap<String, u64> = HashMap::new();
    for user in active {
        let value = user_group(store, &store.users[user as usize], Some(&query.property));
        *counts.entry(value).or_default() += 1;
    }
    let mut ordered: Vec<(String, u64)> = counts.into_iter().collect();
    ordered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    json!({"data": {
        "series": [ordered.iter().map(|(_, count)| count).collect::<Vec<_>>()],
        "seriesLabels": [query.property],
        "xValues": ordered.iter().map(|(value, _)| value).collect::<Vec<_>>(),
    }})
}
