use serde::{Deserialize, Serialize};

use crate::dashboard::{EventType, Filter, check_known};
use crate::{CountComparator, FilterOperator, TimeType, ValidationError};

/// A segment (`s`): users meeting every condition. An empty segment is "Any users".
///
/// Amplitude documents one segment per request; how several would be encoded is not documented,
/// so a query carries at most one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
#[non_exhaustive]
pub struct Segment {
    /// The conditions, all of which apply.
    pub conditions: Vec<Condition>,
}

impl Segment {
    /// A segment of these conditions.
    pub fn new(conditions: Vec<Condition>) -> Self {
        Self { conditions }
    }

    /// Adds a condition.
    #[must_use]
    pub fn and(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
        self
    }

    /// Refuses conditions Amplitude cannot read, naming parameter `param`.
    pub fn validate(&self, param: &'static str) -> Result<(), ValidationError> {
        self.conditions
            .iter()
            .try_for_each(|condition| condition.validate(param))
    }
}

/// One condition of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Condition {
    /// Users who performed an event a number of times ("who performed").
    Performed(PerformedCondition),
    /// Users whose property matches (also cohort membership, `userdata_cohort`).
    Property(PropertyCondition),
}

impl Condition {
    /// Users whose property `prop` compares with `values` by `op`.
    pub fn property<V: Into<String>>(
        prop: impl Into<String>,
        op: FilterOperator,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::Property(PropertyCondition {
            prop: prop.into(),
            op,
            values: values.into_iter().map(Into::into).collect(),
        })
    }

    /// Users in the behavioural cohort with this id (the id in the cohort's URL).
    pub fn in_cohort(cohort_id: impl Into<String>) -> Self {
        Self::property("userdata_cohort", FilterOperator::Is, [cohort_id.into()])
    }

    /// Users who performed `event_type` `op` `value` times within `time_type`.
    pub fn performed(
        event_type: impl Into<EventType>,
        op: CountComparator,
        value: u64,
        time_type: TimeType,
    ) -> Self {
        Self::Performed(PerformedCondition {
            op,
            event_type: event_type.into(),
            filters: Vec::new(),
            value,
            time_type,
            time_value: None,
        })
    }

    fn validate(&self, param: &'static str) -> Result<(), ValidationError> {
        match self {
            Self::Property(condition) => {
                if condition.prop.trim().is_empty() {
                    return Err(ValidationError::new(
                        param,
                        "a condition has an empty `prop`; name a property",
                    ));
                }
                if condition.values.is_empty() {
                    return Err(ValidationError::new(
                        param,
                        format!(
                            "the condition on `{}` has no `values`; give at least one",
                            condition.prop
                        ),
                    ));
                }
                check_known(param, "op", &condition.op, FilterOperator::KNOWN)?;
            }
            Self::Performed(condition) => {
                if condition.event_type.as_str().trim().is_empty() {
                    return Err(ValidationError::new(
                        param,
                        "a \"who performed\" condition has an empty `event_type`",
                    ));
                }
                check_known(param, "op", &condition.op, CountComparator::KNOWN)?;
                check_known(param, "time_type", &condition.time_type, TimeType::KNOWN)?;
                for filter in &condition.filters {
                    filter.validate(param)?;
                }
                if condition.time_type == TimeType::ForEachInterval
                    && condition.time_value.is_none()
                {
                    return Err(ValidationError::new(
                        param,
                        "`time_type` forEachInterval needs `time_value`, the number of days",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A property condition: `{"prop", "op", "values"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PropertyCondition {
    /// Property: built-in (`country`, `platform`, ...), `gp:<custom>`, or `userdata_cohort`.
    pub prop: String,
    /// Comparison.
    pub op: FilterOperator,
    /// Values, as strings; cohort ids for `userdata_cohort`.
    pub values: Vec<String>,
}

/// A "who performed" condition: `{"type": "event", "event_type", "op", "value", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "event")]
#[non_exhaustive]
pub struct PerformedCondition {
    /// How the count compares with `value`.
    pub op: CountComparator,
    /// The event.
    pub event_type: EventType,
    /// Property filters on the event.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// The count threshold.
    pub value: u64,
    /// The time frame.
    pub time_type: TimeType,
    /// Days, with `forEachInterval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_value: Option<u32>,
}

impl PerformedCondition {
    /// Sets the number of days of a `forEachInterval` time frame.
    #[must_use]
    pub fn within_days(mut self, days: u32) -> Self {
        self.time_value = Some(days);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param;

    #[test]
    fn the_documented_combined_segment_decodes_and_reencodes() {
        let documented = r#"[{"prop":"country","op":"is","values":["United States"]},{"op":">=","type":"event","event_type":"signup - end signup","filters":[],"value":1,"time_type":"allTime"}]"#;
        let segment: Segment = serde_json::from_str(documented).unwrap();
        let expected = Segment::default()
            .and(Condition::property(
                "country",
                FilterOperator::Is,
                ["United States"],
            ))
            .and(Condition::performed(
                "signup - end signup",
                CountComparator::AtLeast,
                1,
                TimeType::AllTime,
            ));
        assert_eq!(segment, expected);
        let reencoded: serde_json::Value = serde_json::to_value(&segment).unwrap();
        assert_eq!(
            reencoded,
            serde_json::from_str::<serde_json::Value>(documented).unwrap()
        );
    }

    #[test]
    fn a_for_each_interval_condition_needs_its_days() {
        let Condition::Performed(condition) = Condition::performed(
            "signup",
            CountComparator::AtLeast,
            0,
            TimeType::ForEachInterval,
        ) else {
            unreachable!("performed() builds a Performed condition")
        };
        let segment = Segment::new(vec![Condition::Performed(condition.clone())]);
        assert!(
            segment
                .validate(param::S)
                .unwrap_err()
                .reason()
                .contains("time_value")
        );
        let segment = Segment::new(vec![Condition::Performed(condition.within_days(30))]);
        segment.validate(param::S).unwrap();
        let json = serde_json::to_string(&segment).unwrap();
        assert!(
            json.contains(r#""time_type":"forEachInterval","time_value":30"#),
            "{json}"
        );
    }

    #[test]
    fn cohort_membership_and_empty_values() {
        let cohort = serde_json::to_string(&Condition::in_cohort("5mjbq8w")).unwrap();
        assert_eq!(
            cohort,
            r#"{"prop":"userdata_cohort","op":"is","values":["5mjbq8w"]}"#
        );
        let empty = Segment::new(vec![Condition::property(
            "country",
            FilterOperator::Is,
            Vec::<String>::new(),
        )]);
        assert_eq!(empty.validate(param::S).unwrap_err().param(), param::S);
    }
}
