//! Properties as an event carries them (`event_properties`, `user_properties`), read without
//! building JSON maps: loading reads millions of them, and most user properties are the same
//! as the event before's, which is found out by comparing, not by copying.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::timeline::{Carried, Props};

/// Properties as an event carries them: names and text borrowed from the input where they can
/// be, so that reading them allocates nothing the store does not keep. `null` reads as none; a
/// repeated name keeps its last value, as a JSON object reads.
#[derive(Debug, Default, yoke::Yokeable)]
pub struct Properties<'a>(pub Vec<(Cow<'a, str>, Loose<'a>)>);

/// One property value as read.
#[derive(Debug)]
pub enum Loose<'a> {
    /// A string.
    Text(Cow<'a, str>),
    /// A number, as written.
    Number(serde_json::Number),
    /// A boolean.
    Flag(bool),
    /// Arrays, objects and `null`, as sent.
    Other(Value),
}

impl Loose<'_> {
    /// Whether it is `value`.
    fn is(&self, value: &Value) -> bool {
        match (self, value) {
            (Loose::Text(text), Value::String(other)) => text == other,
            (Loose::Number(number), Value::Number(other)) => number == other,
            (Loose::Flag(flag), Value::Bool(other)) => flag == other,
            (Loose::Other(mine), other) => mine == other,
            _ => false,
        }
    }

    /// As JSON.
    fn to_value(&self) -> Value {
        match self {
            Loose::Text(text) => Value::String(text.to_string()),
            Loose::Number(number) => Value::Number(number.clone()),
            Loose::Flag(flag) => Value::Bool(*flag),
            Loose::Other(other) => other.clone(),
        }
    }
}

impl Properties<'_> {
    /// Whether any name starts with `$`: identify operations.
    pub fn has_operations(&self) -> bool {
        self.0.iter().any(|(name, _)| name.starts_with('$'))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name` when it is a number (the last one given, as a JSON object reads).
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.0.iter().rev().find(|(key, _)| key == name)? {
            (_, Loose::Number(number)) => number.as_f64(),
            _ => None,
        }
    }
}

impl Carried for Properties<'_> {
    fn same_as(&self, props: &Props) -> bool {
        self.0.len() == props.len()
            && self
                .0
                .iter()
                .all(|(name, value)| props.get(name).is_some_and(|other| value.is(other)))
    }

    fn to_map(&self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_value()))
            .collect()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Loose<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(text)))
            }
            fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
                Ok(Loose::Number(number.into()))
            }
            fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
                Ok(Loose::Number(number.into()))
            }
            fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
                Ok(serde_json::Number::from_f64(number)
                    .map_or(Loose::Other(Value::Null), Loose::Number))
            }
            fn visit_bool<E>(self, flag: bool) -> Result<Self::Value, E> {
                Ok(Loose::Flag(flag))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Other(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                Ok(Loose::Other(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut object = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    object.insert(key, value);
                }
                Ok(Loose::Other(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Properties<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Properties<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an object of properties")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Properties::default())
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Properties::default())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut props: Vec<(Cow<'de, str>, Loose<'de>)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<Loose<'de>, Loose<'de>>()? {
                    // JSON names are strings; a name read otherwise is refused.
                    let Loose::Text(key) = key else {
                        return Err(serde::de::Error::custom("a property name that is not text"));
                    };
                    props.retain(|(name, _)| *name != key);
                    props.push((key, value));
                }
                Ok(Properties(props))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The properties, by name.
    fn read(props: &Properties<'_>) -> Vec<(String, String)> {
        let mut read: Vec<(String, String)> = props
            .0
            .iter()
            .map(|(key, value)| {
                let shown = match value {
                    Loose::Text(text) => format!("text {text}"),
                    Loose::Number(number) => format!("number {number}"),
                    Loose::Flag(flag) => format!("flag {flag}"),
                    Loose::Other(other) => format!("json {other}"),
                };
                (key.to_string(), shown)
            })
            .collect();
        read.sort();
        read
    }

    #[test]
    fn properties_read_alike_from_a_line_and_from_json() {
        let line = r#"{"genre":"j\"azz","n":3,"x":1.5,"ok":true,"tags":["a",1],"deep":{"k":null},"none":null,"n":4}"#;
        let expected = [
            ("deep", r#"json {"k":null}"#),
            ("genre", "text j\"azz"),
            ("n", "number 4"),
            ("none", "json null"),
            ("ok", "flag true"),
            ("tags", r#"json ["a",1]"#),
            ("x", "number 1.5"),
        ]
        .map(|(key, value)| (key.to_owned(), value.to_owned()));
        let from_line: Properties<'_> = serde_json::from_str(line).unwrap();
        assert_eq!(read(&from_line), expected);
        let value: Value = serde_json::from_str(line).unwrap();
        let from_value = Properties::deserialize(&value).unwrap();
        assert_eq!(read(&from_value), expected);
        let bare: Properties<'_> = serde_json::from_str("null").unwrap();
        assert!(bare.is_empty());
        assert!(
            serde_json::from_str::<Properties<'_>>(r#""loud""#).is_err(),
            "properties that are not an object are refused"
        );
    }

    #[test]
    fn read_properties_compare_with_stored_ones_exactly() {
        let read: Properties<'_> =
            serde_json::from_str(r#"{"plan":"free","visits":3,"ratio":0.5,"tags":["a"]}"#).unwrap();
        let stored = Props::from_map(read.to_map());
        assert!(read.same_as(&stored));
        assert_eq!(
            Value::Object(stored.to_map()),
            serde_json::json!({"plan": "free", "visits": 3, "ratio": 0.5, "tags": ["a"]}),
            "whole numbers stay whole"
        );
        let other: Properties<'_> =
            serde_json::from_str(r#"{"plan":"free","visits":3.0,"ratio":0.5,"tags":["a"]}"#)
                .unwrap();
        assert!(!other.same_as(&stored));
    }
}
