//! Filters and segments evaluated over the store: the ten comparison operators, user and event
//! properties, cohort membership and "who performed" conditions.

use amp_model::dashboard::{Condition, Filter, PerformedCondition, Segment};
use amp_model::{CountComparator, FilterOperator, PropertyType, TimeType};
use serde_json::Value;

use crate::project::Project;
use crate::store::{Event, Prop, StateId, Store, User, value_text};
use crate::timeline::Traits;

const DAY_MS: i64 = 86_400_000;

/// Whether a property whose values are `actual` (empty when unset) passes `op` against
/// `values`. An unset property reads as `(none)`. `contains` ignores case; the numeric
/// operators compare the first value as numbers.
pub fn compare(op: &FilterOperator, actual: &[String], values: &[String]) -> bool {
    let none = [String::from("(none)")];
    let actual = if actual.is_empty() { &none[..] } else { actual };
    let numeric = |test: fn(f64, f64) -> bool| {
        let bound = values
            .first()
            .and_then(|value| value.trim().parse::<f64>().ok());
        bound.is_some_and(|bound| {
            actual.iter().any(|value| {
                value
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|value| test(value, bound))
            })
        })
    };
    let contains = || {
        actual.iter().any(|value| {
            let value = value.to_lowercase();
            values
                .iter()
                .any(|wanted| value.contains(&wanted.to_lowercase()))
        })
    };
    let same_set = || {
        let mut left: Vec<&String> = actual.iter().collect();
        let mut right: Vec<&String> = values.iter().collect();
        left.sort();
        left.dedup();
        right.sort();
        right.dedup();
        left == right
    };
    match op {
        FilterOperator::Is => actual.iter().any(|value| values.contains(value)),
        FilterOperator::IsNot => !actual.iter().any(|value| values.contains(value)),
        FilterOperator::Contains => contains(),
        FilterOperator::DoesNotContain => !contains(),
        FilterOperator::Less => numeric(|value, bound| value < bound),
        FilterOperator::LessOrEqual => numeric(|value, bound| value <= bound),
        FilterOperator::Greater => numeric(|value, bound| value > bound),
        FilterOperator::GreaterOrEqual => numeric(|value, bound| value >= bound),
        FilterOperator::SetIs => same_set(),
        FilterOperator::SetIsNot => !same_set(),
        _ => false,
    }
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(value_text).collect(),
        other => vec![value_text(other)],
    }
}

/// A user property's values in `traits`: built-in names (`country`, `platform`, ...) read the
/// built-in properties; `gp:name` (or a bare custom name) reads the custom ones.
pub fn user_values(store: &Store, traits: &Traits, property: &str) -> Vec<String> {
    if let Some(custom) = property.strip_prefix("gp:") {
        return store
            .custom(traits)
            .get(custom)
            .map(texts)
            .unwrap_or_default();
    }
    match store.attr(traits, property) {
        Some(value) => vec![value.to_owned()],
        None => store
            .custom(traits)
            .get(property)
            .map(texts)
            .unwrap_or_default(),
    }
}

/// The group under a group-by on `property` in `traits`: its (first) value, `(none)` when
/// unset; the one group `""` without a group-by.
pub fn group_in(store: &Store, traits: &Traits, property: Option<&str>) -> String {
    property.map_or_else(String::new, |property| {
        user_values(store, traits, property)
            .into_iter()
            .next()
            .unwrap_or_else(|| "(none)".into())
    })
}

/// The group of `event` under a group-by on user property `property`, as the user's
/// properties stood when it happened.
pub fn group_at(store: &Store, event: &Event, property: Option<&str>) -> String {
    group_in(store, store.traits(event.state), property)
}

/// An event property's values.
pub fn event_values(store: &Store, event: &Event, property: &str) -> Vec<String> {
    match store.event_prop(event, property) {
        None => Vec::new(),
        Some(Prop::Json(value)) => texts(value),
        Some(prop) => vec![store.prop_text(prop)],
    }
}

/// Whether `event` passes every filter; user-property filters read the user's properties as
/// they stood when it happened.
pub fn event_matches(store: &Store, event: &Event, filters: &[Filter]) -> bool {
    filters.iter().all(|filter| {
        let actual = match filter.subprop_type {
            PropertyType::User => {
                user_values(store, store.traits(event.state), &filter.subprop_key)
            }
            _ => event_values(store, event, &filter.subprop_key),
        };
        compare(&filter.subprop_op, &actual, &filter.subprop_value)
    })
}

/// Whether the user, with their properties now, meets every condition of `segment`, judged at
/// `at_ms` for "who performed" conditions: cohort membership.
pub fn segment_matches(project: &Project, user: u32, segment: &Segment, at_ms: i64) -> bool {
    let traits = project.store.latest(&project.store.users[user as usize]);
    segment
        .conditions
        .iter()
        .all(|condition| condition_matches(project, user, traits, condition, at_ms, 0))
}

/// Whether a condition is on a user property as it stood at each event (rather than on what
/// the user did, or on a cohort).
fn at_each_event(condition: &Condition) -> bool {
    matches!(condition, Condition::Property(property) if property.prop != "userdata_cohort")
}

/// A segment as a chart applies it. Conditions on user properties are judged at each event,
/// with the properties in force when it happened; "who performed" conditions are about events
/// and judged once per user at `at_ms` (the end of the range), as is cohort membership (a
/// cohort is a set of users, not a property of an event).
#[derive(Debug)]
pub struct Judge<'a> {
    project: &'a Project,
    segment: Option<&'a Segment>,
    at_ms: i64,
    /// The last state judged and its verdict: a user's events mostly share one state.
    last: std::cell::Cell<Option<(StateId, bool)>>,
}

impl<'a> Judge<'a> {
    /// The judge of `segment` (everyone, without one), judging what users did up to `at_ms`.
    pub fn new(project: &'a Project, segment: Option<&'a Segment>, at_ms: i64) -> Self {
        Self {
            project,
            segment,
            at_ms,
            last: std::cell::Cell::new(None),
        }
    }

    /// Whether the user meets the conditions on what they did and on cohorts.
    pub fn admits_user(&self, user: u32) -> bool {
        let Some(segment) = self.segment else {
            return true;
        };
        let traits = self
            .project
            .store
            .latest(&self.project.store.users[user as usize]);
        segment
            .conditions
            .iter()
            .filter(|condition| !at_each_event(condition))
            .all(|condition| {
                condition_matches(self.project, user, traits, condition, self.at_ms, 0)
            })
    }

    /// Whether the user properties in force at `event` meet the property conditions.
    pub fn admits_event(&self, event: &Event) -> bool {
        let Some(segment) = self.segment else {
            return true;
        };
        if let Some((state, verdict)) = self.last.get()
            && state == event.state
        {
            return verdict;
        }
        let traits = self.project.store.traits(event.state);
        let verdict = segment
            .conditions
            .iter()
            .filter(|condition| at_each_event(condition))
            .all(|condition| {
                condition_matches(self.project, event.user, traits, condition, self.at_ms, 0)
            });
        self.last.set(Some((event.state, verdict)));
        verdict
    }

    /// Every user of `part` (indices into the store's users) that [`Judge::admits_user`]
    /// admits, with their index.
    pub fn users(
        &self,
        part: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (u32, &'a User)> + '_ {
        let users = &self.project.store.users[part.clone()];
        users.iter().zip(part).filter_map(move |(user, index)| {
            let index = u32::try_from(index).expect("fewer than 4 billion users");
            self.admits_user(index).then_some((index, user))
        })
    }
}

/// Cohorts may refer to cohorts; this deep is taken as a cycle.
const MAX_COHORT_DEPTH: usize = 8;

/// Whether `user`, whose properties are `traits`, meets `condition`. A cohort's own property
/// conditions read the user's properties now.
fn condition_matches(
    project: &Project,
    user: u32,
    traits: &Traits,
    condition: &Condition,
    at_ms: i64,
    depth: usize,
) -> bool {
    match condition {
        Condition::Property(condition) if condition.prop == "userdata_cohort" => {
            let member = |id: &String| {
                depth < MAX_COHORT_DEPTH
                    && project
                        .config
                        .cohorts
                        .iter()
                        .find(|cohort| &cohort.id == id)
                        .is_some_and(|cohort| {
                            let now = project.store.latest(&project.store.users[user as usize]);
                            cohort.segment.conditions.iter().all(|inner| {
                                condition_matches(project, user, now, inner, at_ms, depth + 1)
                            })
                        })
                    || project.managed.cohorts.get(id).is_some_and(|uploaded| {
                        let amplitude_id = project.store.users[user as usize].amplitude_id;
                        uploaded.members.contains(&amplitude_id)
                    })
            };
            let is = condition.values.iter().any(member);
            match condition.op {
                FilterOperator::IsNot => !is,
                _ => is,
            }
        }
        Condition::Property(condition) => {
            let actual = user_values(&project.store, traits, &condition.prop);
            compare(&condition.op, &actual, &condition.values)
        }
        Condition::Performed(condition) => performed(project, user, condition, at_ms),
        _ => false,
    }
}

fn performed(project: &Project, user: u32, condition: &PerformedCondition, at_ms: i64) -> bool {
    let store = &project.store;
    let since = match condition.time_type {
        TimeType::AllTime => i64::MIN,
        _ => at_ms - i64::from(condition.time_value.unwrap_or(1)) * DAY_MS,
    };
    let count = store.users[user as usize]
        .events
        .iter()
        .map(|&index| &store.events[index as usize])
        .filter(|event| event.time_ms >= since && event.time_ms < at_ms)
        .filter(|event| store.strings.name(event.event_type) == condition.event_type.as_str())
        .filter(|event| event_matches(store, event, &condition.filters))
        .count();
    let count = u64::try_from(count).unwrap_or(u64::MAX);
    match condition.op {
        CountComparator::AtLeast => count >= condition.value,
        CountComparator::MoreThan => count > condition.value,
        CountComparator::AtMost => count <= condition.value,
        CountComparator::FewerThan => count < condition.value,
        CountComparator::Exactly => count == condition.value,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn all_ten_operators() {
        let us = strings(&["United States"]);
        let cases = [
            (
                FilterOperator::Is,
                strings(&["United States", "France"]),
                true,
            ),
            (FilterOperator::IsNot, strings(&["France"]), true),
            (FilterOperator::Contains, strings(&["states"]), true),
            (FilterOperator::DoesNotContain, strings(&["states"]), false),
        ];
        for (op, values, expected) in cases {
            assert_eq!(compare(&op, &us, &values), expected, "{op}");
        }
        let twelve = strings(&["12"]);
        assert!(compare(&FilterOperator::Less, &twelve, &strings(&["13"])));
        assert!(compare(
            &FilterOperator::LessOrEqual,
            &twelve,
            &strings(&["12"])
        ));
        assert!(!compare(
            &FilterOperator::Greater,
            &twelve,
            &strings(&["12"])
        ));
        assert!(compare(
            &FilterOperator::GreaterOrEqual,
            &twelve,
            &strings(&["12.0"])
        ));
        assert!(!compare(
            &FilterOperator::Greater,
            &strings(&["abc"]),
            &strings(&["1"])
        ));
        let tags = strings(&["b", "a"]);
        assert!(compare(
            &FilterOperator::SetIs,
            &tags,
            &strings(&["a", "b"])
        ));
        assert!(compare(&FilterOperator::SetIsNot, &tags, &strings(&["a"])));
        assert!(compare(&FilterOperator::Is, &[], &strings(&["(none)"])));
        assert!(compare(&FilterOperator::IsNot, &[], &strings(&["France"])));
        assert!(!compare(&FilterOperator::Unknown("regex".into()), &us, &us));
    }
}
