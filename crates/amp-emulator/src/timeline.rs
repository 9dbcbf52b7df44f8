//! User properties over time. Amplitude judges a user property at the time of each event, so
//! every event points at the properties in force when it happened: what the events and identify
//! calls before it set, in time order, and what its own payload sets. Most users never change,
//! so a user's events share one [`Traits`] until something differs.

use serde_json::{Map, Value};

use crate::store::{Interner, Sym};

/// The built-in user properties Amplitude keeps for each user, by name.
pub const ATTRIBUTES: [&str; 14] = [
    "country",
    "city",
    "region",
    "DMA",
    "language",
    "platform",
    "version",
    "os",
    "device",
    "device_type",
    "carrier",
    "start_version",
    "library",
    "paying",
];

/// No value, in an [`Attrs`] slot.
const UNSET: Sym = Sym::MAX;

/// Built-in properties, interned, in the order of [`ATTRIBUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs([Sym; ATTRIBUTES.len()]);

impl Default for Attrs {
    fn default() -> Self {
        Self([UNSET; ATTRIBUTES.len()])
    }
}

impl Attrs {
    /// The value of built-in property `key`, if it is one and is set.
    pub fn get<'a>(&self, strings: &'a Interner, key: &str) -> Option<&'a str> {
        let slot = ATTRIBUTES.iter().position(|name| *name == key)?;
        (self.0[slot] != UNSET).then(|| strings.name(self.0[slot]))
    }

    /// Sets built-in property `key`; other names are ignored.
    pub fn set(&mut self, strings: &mut Interner, key: &str, value: &str) {
        if let Some(slot) = ATTRIBUTES.iter().position(|name| *name == key) {
            self.0[slot] = strings.intern(value);
        }
    }

    /// These values, with those `newer` sets on top.
    fn overlaid(mut self, newer: &Self) -> Self {
        for (slot, value) in self.0.iter_mut().zip(newer.0) {
            if value != UNSET {
                *slot = value;
            }
        }
        self
    }
}

/// Custom user properties: a short list, where a map would reserve a node per user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props(Vec<(Box<str>, Value)>);

impl Props {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| &**name == key)
            .map(|(_, value)| value)
    }

    /// The properties as a JSON map.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    /// Properties from a JSON map.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(
            map.into_iter()
                .map(|(key, value)| (key.into_boxed_str(), value))
                .collect(),
        )
    }
}

/// A user's properties at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traits {
    /// Built-in properties (`country`, `platform`, `version`, ...).
    pub attrs: Attrs,
    /// Custom user properties.
    pub props: Props,
}

/// What custom properties an event or identify call carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Custom {
    /// None.
    Nothing,
    /// The whole set in force at the event, as an Export line's `user_properties` is.
    Snapshot(Map<String, Value>),
    /// Identify operations (`$set`, `$add`, ...); a key outside any operation is set as it is,
    /// as the HTTP API reads an event's `user_properties`.
    Operations(Map<String, Value>),
}

/// What one event or identify call carries about its user.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The built-in properties it carries; unset slots leave the user's as they were.
    pub attrs: Attrs,
    /// The custom properties it carries.
    pub custom: Custom,
}

impl Change {
    /// Whether applying it twice in a row gives what applying it once does: everything but
    /// `$add`, `$append` and `$prepend`.
    pub fn repeatable(&self) -> bool {
        match &self.custom {
            Custom::Operations(operations) => !["$add", "$append", "$prepend"]
                .iter()
                .any(|name| operations.contains_key(*name)),
            _ => true,
        }
    }

    /// The properties after this change, from `before`.
    pub fn apply(&self, before: &Traits) -> Traits {
        let attrs = before.attrs.overlaid(&self.attrs);
        let props = match &self.custom {
            Custom::Nothing => before.props.clone(),
            Custom::Snapshot(all) => Props::from_map(all.clone()),
            Custom::Operations(operations) => {
                let mut all = before.props.to_map();
                apply_operations(&mut all, operations);
                Props::from_map(all)
            }
        };
        Traits { attrs, props }
    }
}

/// Applies identify operations to user properties in Amplitude's order: `$clearAll`, `$unset`,
/// `$setOnce`, `$set`, `$add`, `$append`, `$prepend`, `$remove`. A key outside an operation is
/// set as it is.
pub fn apply_operations(props: &mut Map<String, Value>, operations: &Map<String, Value>) {
    let entries = |name: &str| {
        operations
            .get(name)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    };
    if operations.contains_key("$clearAll") {
        props.clear();
    }
    for (key, _) in entries("$unset") {
        props.remove(key);
    }
    for (key, value) in entries("$setOnce") {
        props.entry(key.clone()).or_insert_with(|| value.clone());
    }
    for (key, value) in
        entries("$set").chain(operations.iter().filter(|(key, _)| !key.starts_with('$')))
    {
        props.insert(key.clone(), value.clone());
    }
    for (key, value) in entries("$add") {
        let current = props.get(key).and_then(number_of).unwrap_or(0.0);
        if let Some(amount) = number_of(value) {
            props.insert(key.clone(), serde_json::json!(current + amount));
        }
    }
    for (key, value) in entries("$append") {
        let mut list = as_list(props.remove(key));
        list.extend(as_list(Some(value.clone())));
        props.insert(key.clone(), Value::Array(list));
    }
    for (key, value) in entries("$prepend") {
        let mut list = as_list(Some(value.clone()));
        list.extend(as_list(props.remove(key)));
        props.insert(key.clone(), Value::Array(list));
    }
    for (key, value) in entries("$remove") {
        let gone = as_list(Some(value.clone()));
        if let Some(Value::Array(list)) = props.get_mut(key) {
            list.retain(|item| !gone.contains(item));
        }
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn as_list(value: Option<Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identify_operations_apply_in_amplitude_order() {
        let mut props = json!({"plan": "free", "visits": 2, "tags": ["a"], "old": 1})
            .as_object()
            .unwrap()
            .clone();
        let operations = json!({
            "$set": {"plan": "premium"},
            "$setOnce": {"plan": "ignored", "first_source": "ad"},
            "$add": {"visits": 3, "fresh": "1.5"},
            "$append": {"tags": "b", "list": 1},
            "$prepend": {"tags": "z"},
            "$unset": {"old": "-"},
            "$remove": {"tags": "a"},
            "loose": true
        });
        apply_operations(&mut props, operations.as_object().unwrap());
        assert_eq!(
            Value::Object(props.clone()),
            json!({"plan": "premium", "first_source": "ad", "visits": 5.0, "fresh": 1.5, "tags": ["z", "b"], "list": [1], "loose": true})
        );
        apply_operations(
            &mut props,
            json!({"$clearAll": "-", "$set": {"a": 1}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(Value::Object(props), json!({"a": 1}));
    }

    #[test]
    fn a_change_keeps_what_it_does_not_carry() {
        let mut strings = Interner::default();
        let mut before = Traits::default();
        before.attrs.set(&mut strings, "country", "Germany");
        before.attrs.set(&mut strings, "platform", "iOS");
        before.props = Props::from_map(json!({"plan": "free"}).as_object().unwrap().clone());
        let mut attrs = Attrs::default();
        attrs.set(&mut strings, "country", "Japan");
        let moved = Change {
            attrs,
            custom: Custom::Operations(json!({"$add": {"visits": 1}}).as_object().unwrap().clone()),
        };
        let after = moved.apply(&before);
        assert_eq!(after.attrs.get(&strings, "country"), Some("Japan"));
        assert_eq!(after.attrs.get(&strings, "platform"), Some("iOS"));
        assert_eq!(
            Value::Object(after.props.to_map()),
            json!({"plan": "free", "visits": 1.0})
        );
        assert!(!moved.repeatable());
        let snapshot = Change {
            attrs: Attrs::default(),
            custom: Custom::Snapshot(json!({"tier": 2}).as_object().unwrap().clone()),
        };
        assert!(snapshot.repeatable());
        assert_eq!(
            Value::Object(snapshot.apply(&after).props.to_map()),
            json!({"tier": 2})
        );
    }
}
