use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A JSON object of free-form properties (`event_properties`, `user_properties`, `groups`,
/// ...), kept as the JSON text it was read from: reading an export builds no map per event,
/// and writing one back copies the text. [`Properties::get`] reads one property,
/// [`Properties::to_map`] and [`Properties::deserialize_into`] all of them.
#[derive(Clone)]
pub struct Properties(Box<RawValue>);

impl Properties {
    /// No properties: `{}`.
    pub fn new() -> Self {
        Self(RawValue::from_string("{}".to_owned()).expect("`{}` is JSON"))
    }

    /// The value of property `key`, if the object has it.
    pub fn get(&self, key: &str) -> Option<Value> {
        let fields: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_str(self.0.get()).ok()?;
        serde_json::from_str(fields.get(key)?.get()).ok()
    }

    /// Every property, as a map.
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }

    /// The properties read into a type of the caller's.
    pub fn deserialize_into<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }

    /// The object's JSON text.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Whether the object has no property.
    pub fn is_empty(&self) -> bool {
        self.to_map().is_empty()
    }
}

impl Default for Properties {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Self {
        let text = serde_json::to_string(&map).expect("a map of JSON values writes");
        Self(RawValue::from_string(text).expect("written JSON is JSON"))
    }
}

/// Objects are equal when their properties are, however their text is spaced or ordered.
impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get() || self.to_map() == other.to_map()
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0.get())
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if raw.get().trim_start().starts_with('{') {
            Ok(Self(raw))
        } else {
            Err(D::Error::custom(format_args!(
                "expected a JSON object of properties, found `{}`",
                raw.get()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Mine {
        plays: u32,
    }

    #[test]
    fn properties_read_one_or_all_and_write_their_text_back() {
        let properties: Properties =
            serde_json::from_str(r#"{ "genre": "jazz", "plays": 3, "tags": ["a"] }"#).unwrap();
        assert_eq!(properties.get("plays"), Some(Value::from(3)));
        assert_eq!(properties.get("none"), None);
        assert_eq!(properties.to_map()["tags"], serde_json::json!(["a"]));
        assert_eq!(
            serde_json::to_string(&properties).unwrap(),
            r#"{ "genre": "jazz", "plays": 3, "tags": ["a"] }"#
        );
        let compact: Properties =
            serde_json::from_str(r#"{"tags":["a"],"genre":"jazz","plays":3}"#).unwrap();
        assert_eq!(properties, compact);
        assert!(Properties::new().is_empty() && !properties.is_empty());
        let error = serde_json::from_str::<Properties>("[1]").unwrap_err();
        assert!(
            error.to_string().contains("expected a JSON object"),
            "{error}"
        );
        assert_eq!(properties.deserialize_into::<Mine>().unwrap().plays, 3);
    }
}
