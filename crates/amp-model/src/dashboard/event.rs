use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dashboard::check_known;
use crate::{FilterOperator, PropertyType, ValidationError};

/// The most group-bys one event may carry.
pub const MAX_EVENT_GROUP_BYS: usize = 2;

/// An event as the Dashboard API takes it in `e`, `e2`, funnel steps, `se` and `re`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// The event name, or one of Amplitude's special events.
    pub event_type: EventType,
    /// Property filters on the event; they do not count as cost conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
    /// Up to two group-bys; property metrics need one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<GroupBy>,
}

impl Event {
    /// An event with no filter and no group-by.
    pub fn new(event_type: impl Into<EventType>) -> Self {
        Self {
            event_type: event_type.into(),
            filters: Vec::new(),
            group_by: Vec::new(),
        }
    }

    /// Adds a property filter.
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Adds a group-by.
    #[must_use]
    pub fn group_by(mut self, group_by: GroupBy) -> Self {
        self.group_by.push(group_by);
        self
    }

    /// Checks the event as parameter `param` (`e`, `e2`, `se`, ...).
    pub fn validate(&self, param: &'static str) -> Result<(), ValidationError> {
        if self.event_type.as_str().trim().is_empty() {
            return Err(ValidationError::new(
                param,
                "`event_type` is empty; name an event or use `_active`/`_all`",
            ));
        }
        if self.group_by.len() > MAX_EVENT_GROUP_BYS {
            return Err(ValidationError::new(
                param,
                format!(
                    "{} group-bys on one event; at most {MAX_EVENT_GROUP_BYS} are allowed",
                    self.group_by.len()
                ),
            ));
        }
        for filter in &self.filters {
            filter.validate(param)?;
        }
        for group_by in &self.group_by {
            check_known(param, "type", &group_by.kind, PropertyType::KNOWN)?;
        }
        if self
            .group_by
            .iter()
            .any(|group_by| group_by.value.trim().is_empty())
        {
            return Err(ValidationError::new(
                param,
                "a group-by has an empty `value`; name the property",
            ));
        }
        Ok(())
    }
}

/// An event name; the special events have their own variants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// `_active`: "\[Amplitude\] Any Active Event".
    AnyActive,
    /// `_all`: "\[Amplitude\] Any Event".
    Any,
    /// `_new`: new users (retention start event).
    New,
    /// `revenue_amount`: "\[Amplitude\] Revenue".
    Revenue,
    /// `verified_revenue`: "\[Amplitude\] Revenue (Verified)".
    VerifiedRevenue,
    /// `unverified_revenue`: "\[Amplitude\] Revenue (Unverified)".
    UnverifiedRevenue,
    /// Any other event, as tracked (custom events carry the `ce:` prefix).
    Named(String),
}

impl EventType {
    /// The name as Amplitude writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AnyActive => "_active",
            Self::Any => "_all",
            Self::New => "_new",
            Self::Revenue => "revenue_amount",
            Self::VerifiedRevenue => "verified_revenue",
            Self::UnverifiedRevenue => "unverified_revenue",
            Self::Named(name) => name,
        }
    }
}

impl From<&str> for EventType {
    fn from(name: &str) -> Self {
        match name {
            "_active" => Self::AnyActive,
            "_all" => Self::Any,
            "_new" => Self::New,
            "revenue_amount" => Self::Revenue,
            "verified_revenue" => Self::VerifiedRevenue,
            "unverified_revenue" => Self::UnverifiedRevenue,
            other => Self::Named(other.to_owned()),
        }
    }
}

impl From<String> for EventType {
    fn from(name: String) -> Self {
        match Self::from(name.as_str()) {
            Self::Named(_) => Self::Named(name),
            special => special,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::wire_enum::deserialize_str(deserializer)
    }
}

/// A property filter on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Filter {
    /// Event or user property.
    pub subprop_type: PropertyType,
    /// Property name; custom user properties carry `gp:`.
    pub subprop_key: String,
    /// Comparison.
    pub subprop_op: FilterOperator,
    /// Values to compare with, as strings.
    pub subprop_value: Vec<String>,
}

impl Filter {
    /// Checks the filter, part of parameter `param`.
    pub(crate) fn validate(&self, param: &'static str) -> Result<(), ValidationError> {
        if self.subprop_key.trim().is_empty() {
            return Err(ValidationError::new(
                param,
                "a filter has an empty `subprop_key`; name the property",
            ));
        }
        if self.subprop_value.is_empty() {
            return Err(ValidationError::new(
                param,
                format!(
                    "the filter on `{}` has no `subprop_value`; give at least one value",
                    self.subprop_key
                ),
            ));
        }
        check_known(
            param,
            "subprop_type",
            &self.subprop_type,
            PropertyType::KNOWN,
        )?;
        check_known(param, "subprop_op", &self.subprop_op, FilterOperator::KNOWN)
    }

    /// A filter on an event property.
    pub fn event<V: Into<String>>(
        key: impl Into<String>,
        op: FilterOperator,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::new(PropertyType::Event, key, op, values)
    }

    /// A filter on a user property (custom ones need the `gp:` prefix).
    pub fn user<V: Into<String>>(
        key: impl Into<String>,
        op: FilterOperator,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::new(PropertyType::User, key, op, values)
    }

    fn new<V: Into<String>>(
        subprop_type: PropertyType,
        key: impl Into<String>,
        subprop_op: FilterOperator,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self {
            subprop_type,
            subprop_key: key.into(),
            subprop_op,
            subprop_value: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// A group-by on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupBy {
    /// Event or user property.
    #[serde(rename = "type")]
    pub kind: PropertyType,
    /// Property name.
    pub value: String,
}

impl GroupBy {
    /// Group by an event property.
    pub fn event(property: impl Into<String>) -> Self {
        Self {
            kind: PropertyType::Event,
            value: property.into(),
        }
    }

    /// Group by a user property.
    pub fn user(property: impl Into<String>) -> Self {
        Self {
            kind: PropertyType::User,
            value: property.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param;

    #[test]
    fn the_documented_event_round_trips_exactly() {
        let documented = r#"{"event_type":"CompletedProfile","filters":[{"subprop_type":"event","subprop_key":"EmailVerified","subprop_op":"is","subprop_value":["true"]},{"subprop_type":"user","subprop_key":"gp:SignUpDate","subprop_op":"is","subprop_value":["2021-08-18"]}],"group_by":[{"type":"user","value":"platform"}]}"#;
        let built = Event::new("CompletedProfile")
            .filter(Filter::event("EmailVerified", FilterOperator::Is, ["true"]))
            .filter(Filter::user(
                "gp:SignUpDate",
                FilterOperator::Is,
                ["2021-08-18"],
            ))
            .group_by(GroupBy::user("platform"));
        assert_eq!(serde_json::to_string(&built).unwrap(), documented);
        assert_eq!(serde_json::from_str::<Event>(documented).unwrap(), built);
    }

    #[test]
    fn special_event_types_keep_their_wire_names() {
        for name in [
            "_active",
            "_all",
            "_new",
            "revenue_amount",
            "verified_revenue",
            "unverified_revenue",
            "ce:Mine",
        ] {
            assert_eq!(EventType::from(name).as_str(), name);
            assert_eq!(EventType::from(name.to_owned()), EventType::from(name));
        }
        assert_eq!(EventType::from("_active"), EventType::AnyActive);
        assert_eq!(
            serde_json::to_string(&Event::new("Play Song")).unwrap(),
            r#"{"event_type":"Play Song"}"#
        );
    }

    #[test]
    fn bad_events_are_refused_with_the_parameter_named() {
        assert_eq!(
            Event::new(" ").validate(param::E2).unwrap_err().param(),
            param::E2
        );
        let three = Event::new("a")
            .group_by(GroupBy::user("x"))
            .group_by(GroupBy::user("y"))
            .group_by(GroupBy::user("z"));
        assert!(
            three
                .validate(param::E)
                .unwrap_err()
                .reason()
                .contains("at most 2")
        );
        let empty_values =
            Event::new("a").filter(Filter::event("k", FilterOperator::Is, Vec::<String>::new()));
        assert!(
            empty_values
                .validate(param::E)
                .unwrap_err()
                .reason()
                .contains("no `subprop_value`")
        );
        assert!(
            Event::new("a")
                .filter(Filter::event("k", FilterOperator::Is, ["v"]))
                .validate(param::E)
                .is_ok()
        );
    }
}
