//! `/api/2/composition`: the users active in the range, counted by their latest value of one
//! property (`(none)` when unset), largest first, with the `queryIds` real answers carry. The
//! latest value, not one at each event: Amplitude's composition chart counts users that way.

use std::collections::{HashMap, HashSet};

use amp_model::dashboard::{CompositionQuery, Series, SeriesLabel, SeriesResponse};

use crate::predicate::group_in;
use crate::project::Project;

/// Answers it.
#[allow(clippy::cast_precision_loss, reason = "counts are far below 2^53")]
pub fn compute(project: &Project, query: &CompositionQuery) -> SeriesResponse {
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
        let value = group_in(
            store,
            store.latest(&store.users[user as usize]),
            Some(&query.property),
        );
        *counts.entry(value).or_default() += 1;
    }
    let mut ordered: Vec<(String, u64)> = counts.into_iter().collect();
    ordered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut data = Series::default();
    data.series = vec![
        ordered
            .iter()
            .map(|(_, count)| Some(*count as f64))
            .collect(),
    ];
    data.series_labels = vec![SeriesLabel::Name(query.property.clone())];
    data.x_values = ordered.into_iter().map(|(value, _)| value).collect();
    let mut response = SeriesResponse::default();
    response.data = data;
    response.metadata.query_ids = Some(vec![super::query_id(project)]);
    response
}
