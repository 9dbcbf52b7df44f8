//! User properties over time. Amplitude judges a user property at the time of each event, so
//! every event points at the properties in force when it happened: what the events and identify
//! calls before it set, in time order, and what its own payload sets. Most users never change,
//! so a user's events share one [`Traits`] until something differs; and sets of properties,
//! states and changes are interned project-wide, so users alike share them too.

use rustc_hash::FxHashMap;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Custom user properties: a short list in key order, where a map would reserve nodes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props(Vec<(Box<str>, Value)>);

/// Custom properties as an event carries them, before they are stored.
pub trait Carried {
    /// Whether they are exactly `props`.
    fn same_as(&self, props: &Props) -> bool;
    /// As a JSON map.
    fn to_map(&self) -> Map<String, Value>;
}

impl Props {
    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

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

/// Index of a set of custom properties in a [`PropsTable`].
pub type PropsId = u32;

/// Every distinct set of custom properties, once; the first is the empty set.
#[derive(Debug)]
pub struct PropsTable {
    sets: Vec<Props>,
    /// Each set by its JSON text (keys in order, so equal sets have one text).
    ids: FxHashMap<String, PropsId>,
}

impl Default for PropsTable {
    fn default() -> Self {
        let mut table = Self {
            sets: Vec::new(),
            ids: FxHashMap::default(),
        };
        table.intern(Map::new());
        table
    }
}

impl PropsTable {
    /// The set `id`.
    pub fn get(&self, id: PropsId) -> &Props {
        &self.sets[id as usize]
    }

    /// The id of the set `map`, added if new.
    pub fn intern(&mut self, map: Map<String, Value>) -> PropsId {
        // Writing a map with string keys cannot fail.
        let text = serde_json::to_string(&map).unwrap_or_default();
        if let Some(&id) = self.ids.get(&text) {
            return id;
        }
        let id = PropsId::try_from(self.sets.len()).expect("fewer than 4 billion sets");
        self.sets.push(Props::from_map(map));
        self.ids.insert(text, id);
        id
    }
}

/// A user's properties at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Traits {
    /// Built-in properties (`country`, `platform`, `version`, ...).
    pub attrs: Attrs,
    /// Custom user properties.
    pub props: PropsId,
}

/// What custom properties an event or identify call carries: a snapshot `S` is a JSON map as
/// read, a [`PropsId`] once stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Custom<S> {
    /// None.
    Nothing,
    /// The whole set in force at the event, as an Export line's `user_properties` is.
    Snapshot(S),
    /// Identify operations (`$set`, `$add`, ...); a key outside any operation is set as it is,
    /// as the HTTP API reads an event's `user_properties`.
    Operations(Box<Map<String, Value>>),
}

/// What one event or identify call carries about its user.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<S = PropsId> {
    /// The built-in properties it carries; unset slots leave the user's as they were.
    pub attrs: Attrs,
    /// The custom properties it carries.
    pub custom: Custom<S>,
}

impl<C: Carried> Change<&C> {
    /// The change as stored, its snapshot interned in `table`; `like` is a stored snapshot
    /// that is likely the same (the user's previous one), compared before anything is copied.
    pub fn stored(self, table: &mut PropsTable, like: Option<PropsId>) -> Change {
        let custom = match self.custom {
            Custom::Nothing => Custom::Nothing,
            Custom::Operations(operations) => Custom::Operations(operations),
            Custom::Snapshot(map) => Custom::Snapshot(
                like.filter(|&id| map.same_as(table.get(id)))
                    .unwrap_or_else(|| table.intern(map.to_map())),
            ),
        };
        Change {
            attrs: self.attrs,
            custom,
        }
    }
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

    /// The properties after this change, from `before`; sets it makes are added to `table`.
    pub fn apply(&self, before: Traits, table: &mut PropsTable) -> Traits {
        let attrs = before.attrs.overlaid(&self.attrs);
        let props = match &self.custom {
            Custom::Nothing => before.props,
            Custom::Snapshot(id) => *id,
            Custom::Operations(operations) => {
                let mut all = table.get(before.props).to_map();
                apply_operations(&mut all, operations);
                table.intern(all)
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
        let mut table = PropsTable::default();
        let object = |value: Value| value.as_object().unwrap().clone();
        let mut before = Traits::default();
        before.attrs.set(&mut strings, "country", "Germany");
        before.attrs.set(&mut strings, "platform", "iOS");
        before.props = table.intern(object(json!({"plan": "free"})));
        let mut attrs = Attrs::default();
        attrs.set(&mut strings, "country", "Japan");
        let moved = Change {
            attrs,
            custom: Custom::Operations(Box::new(object(json!({"$add": {"visits": 1}})))),
        };
        let after = moved.apply(before, &mut table);
        assert_eq!(after.attrs.get(&strings, "country"), Some("Japan"));
        assert_eq!(after.attrs.get(&strings, "platform"), Some("iOS"));
        assert_eq!(
            Value::Object(table.get(after.props).to_map()),
            json!({"plan": "free", "visits": 1.0})
        );
        assert!(!moved.repeatable());
        let tiers: crate::carried::Properties<'_> = serde_json::from_str(r#"{"tier": 2}"#).unwrap();
        let snapshot = Change {
            attrs: Attrs::default(),
            custom: Custom::Snapshot(&tiers),
        }
        .stored(&mut table, Some(before.props));
        assert!(snapshot.repeatable());
        let tier = snapshot.apply(after, &mut table);
        assert_eq!(
            Value::Object(table.get(tier.props).to_map()),
            json!({"tier": 2})
        );
        // The same set is one entry, however it was reached.
        assert_eq!(table.intern(object(json!({"tier": 2}))), tier.props);
        assert_eq!(table.intern(Map::new()), 0);
    }
}
