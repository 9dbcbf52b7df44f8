//! Turning an event as Amplitude receives or exports it into the store, and identify
//! operations on user properties.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::store::{Interner, Prop, Store};
use crate::timeline::{Attrs, Change, Custom};

/// An event in Amplitude's Export format or HTTP V2 API format; both are read by the same
/// fields. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct RawEvent<'a> {
    #[serde(borrow, default)]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    device_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_type: Option<Cow<'a, str>>,
    /// HTTP API: milliseconds since the epoch.
    #[serde(default, deserialize_with = "lenient_i64")]
    time: Option<i64>,
    /// Export: `2024-01-15 10:00:00.000000` (UTC) or RFC 3339.
    #[serde(borrow, default)]
    event_time: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_i64")]
    session_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    amplitude_id: Option<i64>,
    #[serde(borrow, default)]
    event_properties: EventProps<'a>,
    #[serde(default)]
    user_properties: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "lenient_f64")]
    revenue: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    price: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    quantity: Option<f64>,
    #[serde(borrow, default, alias = "$insert_id")]
    insert_id: Option<Cow<'a, str>>,
    // Built-in user attributes.
    #[serde(borrow, default)]
    country: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    city: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dma: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    language: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    platform: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    app_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    device_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    device_model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    device_carrier: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    carrier: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    start_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    library: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    paying: Option<bool>,
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "a fractional ID or time is cut to a whole one"
)]
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|n| n as i64)),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(number)) => number.as_f64(),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// A boolean sent as `true`, `"true"`, `1` or `"1"`.
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Bool(flag)) => Some(flag),
        Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Some(Value::Number(number)) => number.as_f64().map(|n| n != 0.0),
        _ => None,
    })
}

impl RawEvent<'_> {
    /// The event's time in ms, or `None` when it has none.
    pub fn time_ms(&self) -> Result<Option<i64>, String> {
        if let Some(time) = self.time {
            return Ok(Some(time));
        }
        match &self.event_time {
            Some(text) => amp_model::dates::parse_event_time(text)
                .map(|time| Some(time.timestamp_millis()))
                .ok_or_else(|| format!("`event_time` `{text}` is not a time")),
            None => Ok(None),
        }
    }

    /// The first field that keeps the event from being stored: a missing `event_type`, no
    /// `user_id` or `device_id`, or an `event_time` that is not a time.
    pub fn invalid_field(&self) -> Option<&'static str> {
        let present =
            |value: &Option<Cow<'_, str>>| value.as_deref().is_some_and(|text| !text.is_empty());
        if !present(&self.event_type) {
            Some("event_type")
        } else if !(present(&self.user_id) || present(&self.device_id)) {
            Some("user_id")
        } else if self.time_ms().is_err() {
            Some("event_time")
        } else {
            None
        }
    }

    /// The ID fields shorter than `min` characters: `user_id`, `device_id` or both.
    pub fn short_ids(&self, min: usize) -> impl Iterator<Item = &'static str> + '_ {
        [("user_id", &self.user_id), ("device_id", &self.device_id)]
            .into_iter()
            .filter(move |(_, id)| id.as_deref().is_some_and(|id| id.chars().count() < min))
            .map(|(field, _)| field)
    }

    /// The user ID and device ID, as given.
    pub fn ids(&self) -> (Option<&str>, Option<&str>) {
        (self.user_id.as_deref(), self.device_id.as_deref())
    }

    /// The insert ID, for deduplication.
    pub fn insert_id(&self) -> Option<&str> {
        self.insert_id.as_deref()
    }
}

/// How an event's `user_properties` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A line of an Export file: the user's whole set at that event.
    Export,
    /// An event sent to the HTTP or Batch API: properties to set (or identify operations).
    Api,
}

/// Adds `raw` to the store, taking its `user_properties`. Events without a time take `now_ms`. `$identify` events update the
/// user's properties from their time on and are not stored as activity.
pub fn apply(
    store: &mut Store,
    raw: &mut RawEvent<'_>,
    now_ms: i64,
    source: Source,
) -> Result<(), String> {
    let properties = raw.user_properties.take();
    let raw = &*raw;
    let event_type = raw
        .event_type
        .as_deref()
        .filter(|name| !name.is_empty())
        .ok_or("`event_type` is missing")?;
    let user_id = raw.user_id.as_deref().filter(|id| !id.is_empty());
    let device_id = raw.device_id.as_deref().filter(|id| !id.is_empty());
    if user_id.is_none() && device_id.is_none() {
        return Err("an event needs a `user_id` or a `device_id`".into());
    }
    let time_ms = raw.time_ms()?.unwrap_or(now_ms);
    let amplitude_id = raw.amplitude_id.and_then(|id| u64::try_from(id).ok());
    let index = store.user_for(user_id, device_id, amplitude_id);
    let change = raw.change(properties, &mut store.strings, source);
    if event_type == "$identify" {
        let user = &mut store.users[index as usize];
        user.first_seen_ms = user.first_seen_ms.min(time_ms);
        store.identify(index, time_ms, change);
        return Ok(());
    }
    let revenue = raw
        .revenue
        .or_else(|| raw.price.map(|price| price * raw.quantity.unwrap_or(1.0)));
    let props = raw
        .event_properties
        .0
        .iter()
        .map(|(key, value)| (store.strings.intern(key), prop(store, value)))
        .collect::<Vec<_>>();
    let event_type = store.strings.intern(event_type);
    let device = device_id.map_or(u32::MAX, |id| store.strings.intern(id));
    store.push_event(
        index,
        event_type,
        time_ms,
        raw.session_id.unwrap_or(-1),
        device,
        revenue,
        props,
        change,
    );
    Ok(())
}

fn prop(store: &mut Store, value: &Loose<'_>) -> Prop {
    match value {
        Loose::Text(text) => Prop::Str(store.strings.intern(text)),
        Loose::Number(number) => Prop::Num(*number),
        Loose::Flag(flag) => Prop::Bool(*flag),
        Loose::Other(other) => Prop::Json(Box::new(other.clone())),
    }
}

/// An event's properties as read: names and text borrowed from the input where they can be, so
/// that reading them allocates nothing the store does not keep. `null` reads as none.
#[derive(Debug, Default)]
struct EventProps<'a>(Vec<(Cow<'a, str>, Loose<'a>)>);

/// One event property value as read.
#[derive(Debug)]
enum Loose<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Flag(bool),
    /// Arrays, objects and `null`, as sent.
    Other(Value),
}

/// Text borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        #[allow(
            clippy::cast_precision_loss,
            reason = "property numbers are compared as f64, as before"
        )]
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
                Ok(Loose::Number(number as f64))
            }
            fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
                Ok(Loose::Number(number as f64))
            }
            fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
                Ok(Loose::Number(number))
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

impl<'de: 'a, 'a> Deserialize<'de> for EventProps<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EventProps<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an object of event properties")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(EventProps::default())
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(EventProps::default())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut props: Vec<(Cow<'de, str>, Loose<'de>)> = Vec::new();
                while let Some((Text(key), value)) = map.next_entry::<Text<'de>, Loose<'de>>()? {
                    // A repeated name keeps its last value, as a JSON object reads.
                    props.retain(|(name, _)| *name != key);
                    props.push((key, value));
                }
                Ok(EventProps(props))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl RawEvent<'_> {
    /// What the event carries about its user: its built-in properties, and `properties` (its
    /// `user_properties`) as `source` reads them: operations whenever a key starts with `$`.
    fn change(
        &self,
        properties: Option<Map<String, Value>>,
        strings: &mut Interner,
        source: Source,
    ) -> Change<Map<String, Value>> {
        let mut attrs = Attrs::default();
        self.apply_attrs(&mut attrs, strings);
        let custom = match properties {
            None => Custom::Nothing,
            Some(properties) if properties.keys().any(|key| key.starts_with('$')) => {
                Custom::Operations(Box::new(properties))
            }
            Some(properties) if source == Source::Export => Custom::Snapshot(properties),
            Some(properties) if properties.is_empty() => Custom::Nothing,
            Some(properties) => Custom::Operations(Box::new(properties)),
        };
        Change { attrs, custom }
    }

    /// Copies the built-in user attributes the event carries.
    fn apply_attrs(&self, attrs: &mut Attrs, strings: &mut Interner) {
        let mut set = |key: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|value| !value.is_empty()) {
                attrs.set(strings, key, value);
            }
        };
        set("country", self.country.as_deref());
        set("city", self.city.as_deref());
        set("region", self.region.as_deref());
        set("DMA", self.dma.as_deref());
        set("language", self.language.as_deref());
        set("platform", self.platform.as_deref());
        set(
            "version",
            self.version_name.as_deref().or(self.app_version.as_deref()),
        );
        set("device", self.device_model.as_deref());
        set("device_type", self.device_type.as_deref());
        set(
            "carrier",
            self.device_carrier.as_deref().or(self.carrier.as_deref()),
        );
        set("start_version", self.start_version.as_deref());
        set("library", self.library.as_deref());
        let os = match (self.os_name.as_deref(), self.os_version.as_deref()) {
            (Some(name), Some(version)) => Some(Cow::Owned(format!("{name} {version}"))),
            (Some(name), None) => Some(Cow::Borrowed(name)),
            _ => None,
        };
        set("os", os.as_deref());
        set(
            "paying",
            self.paying
                .map(|paying| if paying { "true" } else { "false" }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The properties, by name.
    fn read(props: &EventProps<'_>) -> Vec<(String, String)> {
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
    fn event_properties_read_alike_from_a_line_and_from_json() {
        let line = r#"{"event_type":"Play","user_id":"u","event_properties":{"genre":"j\"azz","n":3,"x":1.5,"ok":true,"tags":["a",1],"deep":{"k":null},"none":null,"n":4}}"#;
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
        let from_line: RawEvent<'_> = serde_json::from_str(line).unwrap();
        assert_eq!(read(&from_line.event_properties), expected);
        let value: Value = serde_json::from_str(line).unwrap();
        let from_value = RawEvent::deserialize(&value).unwrap();
        assert_eq!(read(&from_value.event_properties), expected);
        let bare: RawEvent<'_> =
            serde_json::from_str(r#"{"event_type":"Play","event_properties":null}"#).unwrap();
        assert!(bare.event_properties.0.is_empty());
        assert!(
            serde_json::from_str::<RawEvent<'_>>(r#"{"event_properties":"loud"}"#).is_err(),
            "properties that are not an object are refused"
        );
    }
}
