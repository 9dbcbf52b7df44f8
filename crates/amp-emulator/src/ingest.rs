//! Turning an event as Amplitude receives or exports it into the store, and identify
//! operations on user properties.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::carried::{Loose, Properties};
use crate::store::{Interner, Prop, Store};
use crate::timeline::Carried as _;
use crate::timeline::{Attrs, Change, Custom};

/// An event in Amplitude's Export format or HTTP V2 API format; both are read by the same
/// fields. Unknown fields are ignored.
#[derive(Debug, Deserialize, yoke::Yokeable)]
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
    /// Export: when the event reached Amplitude, in the form of `event_time`.
    #[serde(borrow, default)]
    server_upload_time: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_i64")]
    session_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    amplitude_id: Option<i64>,
    #[serde(borrow, default)]
    event_properties: Properties<'a>,
    #[serde(borrow, default)]
    user_properties: Option<Properties<'a>>,
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

/// The event property an export writes an event's revenue in.
pub const REVENUE_PROPERTY: &str = "$revenue";

/// How an event's `user_properties` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A line of an Export file: the user's whole set at that event.
    Export,
    /// An event sent to the HTTP or Batch API: properties to set (or identify operations).
    Api,
}

/// Adds `raw` to the store. Events without a time take `now_ms()`; an event sent to the API
/// reached the project at `now_ms()`, one read from an export file at its `server_upload_time`
/// (else its event time). `$identify` events update the user's properties from their time on
/// and are not stored as activity.
pub fn apply(
    store: &mut Store,
    raw: &RawEvent<'_>,
    now_ms: impl FnOnce() -> i64,
    source: Source,
) -> Result<(), String> {
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
    let time = raw.time_ms()?;
    let uploaded_ms = match (source, &raw.server_upload_time) {
        (Source::Export, Some(text)) => amp_model::dates::parse_event_time(text)
            .map(|time| time.timestamp_millis())
            .ok_or_else(|| format!("`server_upload_time` `{text}` is not a time"))?,
        (Source::Export, None) => time.unwrap_or_else(now_ms),
        (Source::Api, _) => now_ms(),
    };
    let time_ms = time.unwrap_or(uploaded_ms);
    let amplitude_id = raw.amplitude_id.and_then(|id| u64::try_from(id).ok());
    let device = device_id.map(|id| store.strings.intern(id));
    let index = store.user_for(user_id, device, amplitude_id);
    let change = raw.change(&mut store.strings, source);
    if event_type == "$identify" {
        let user = &mut store.users[index as usize];
        user.first_seen_ms = user.first_seen_ms.min(time_ms);
        store.identify(index, time_ms, change);
        return Ok(());
    }
    // An export carries revenue in its event properties, as `$revenue`.
    let revenue = raw
        .revenue
        .or_else(|| raw.price.map(|price| price * raw.quantity.unwrap_or(1.0)))
        .or_else(|| raw.event_properties.number(REVENUE_PROPERTY));
    let props = raw
        .event_properties
        .0
        .iter()
        .map(|(key, value)| (store.strings.intern(key), prop(store, value)))
        .collect::<Vec<_>>();
    let event_type = store.strings.intern(event_type);
    store.push_event(
        index,
        event_type,
        time_ms,
        uploaded_ms,
        raw.session_id.unwrap_or(-1),
        device.unwrap_or(u32::MAX),
        revenue,
        props,
        change,
    );
    Ok(())
}

fn prop(store: &mut Store, value: &Loose<'_>) -> Prop {
    match value {
        Loose::Text(text) => Prop::Str(store.strings.intern(text)),
        Loose::Number(number) => number.as_f64().map_or_else(
            || Prop::Json(Box::new(Value::Number(number.clone()))),
            Prop::Num,
        ),
        Loose::Flag(flag) => Prop::Bool(*flag),
        Loose::Other(other) => Prop::Json(Box::new(other.clone())),
    }
}

impl RawEvent<'_> {
    /// What the event carries about its user: its built-in properties, and its
    /// `user_properties` as `source` reads them: operations whenever a key starts with `$`.
    fn change(&self, strings: &mut Interner, source: Source) -> Change<&Properties<'_>> {
        let mut attrs = Attrs::default();
        self.apply_attrs(&mut attrs, strings);
        let custom = match &self.user_properties {
            None => Custom::Nothing,
            Some(properties) if properties.has_operations() => {
                Custom::Operations(Box::new(properties.to_map()))
            }
            Some(properties) if source == Source::Export => Custom::Snapshot(properties),
            Some(properties) if properties.is_empty() => Custom::Nothing,
            Some(properties) => Custom::Operations(Box::new(properties.to_map())),
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
