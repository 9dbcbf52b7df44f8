use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Error as _, MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use serde_with::de::DeserializeAsWrap;
use serde_with::ser::SerializeAsWrap;
use serde_with::{DeserializeAs, Same, SerializeAs};

use crate::dates::EventTime;
use crate::export::Properties;

/// Declares [`ExportEvent`], [`EXPORT_KEYS`] and the event's reading and writing from one list
/// of keys, so that a key is written once.
macro_rules! export_event {
    ($( $(#[doc = $doc:literal])+ $key:literal => $field:ident: $kind:ty as $adapter:ty; )+) => {
        /// One line of an Export API file: a raw event with every key Amplitude writes, typed.
        /// A key Amplitude writes as `null` (or leaves out) is `None`; keys this type does not
        /// know are kept in [`ExportEvent::other`], so an event written back reads the same.
        /// Timestamps are UTC, written `YYYY-MM-DD HH:MM:SS.ffffff` as Amplitude writes them.
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct ExportEvent {
            $( $(#[doc = $doc])+ pub $field: Option<$kind>, )+
            /// Keys not listed above, as sent; written after the known ones.
            pub other: Map<String, Value>,
        }

        /// Every key an export line carries, in the order [`ExportEvent`] writes them.
        pub const EXPORT_KEYS: &[&str] = &[$($key),+];

        /// Every known key, `null` when unknown, then the others.
        impl Serialize for ExportEvent {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(EXPORT_KEYS.len() + self.other.len()))?;
                $(
                    map.serialize_entry(
                        $key,
                        &SerializeAsWrap::<Option<$kind>, Option<$adapter>>::new(&self.$field),
                    )?;
                )+
                for (key, value) in &self.other {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for ExportEvent {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Keys;

                impl<'de> Visitor<'de> for Keys {
                    type Value = ExportEvent;

                    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                        formatter.write_str("an export event (a JSON object)")
                    }

                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExportEvent, A::Error> {
                        let mut event = ExportEvent::default();
                        while let Some(Key(key)) = map.next_key()? {
                            match key.as_ref() {
                                $(
                                    $key => {
                                        event.$field = map
                                            .next_value::<DeserializeAsWrap<Option<$kind>, Option<$adapter>>>()
                                            .map_err(|error| A::Error::custom(format_args!("`{}`: {error}", $key)))?
                                            .into_inner();
                                    }
                                )+
                                _ => {
                                    let value = map.next_value()?;
                                    event.other.insert(key.into_owned(), value);
                                }
                            }
                        }
                        Ok(event)
                    }
                }

                deserializer.deserialize_map(Keys)
            }
        }
    };
}

export_event! {
    /// When Amplitude's servers received the event.
    "server_received_time" => server_received_time: DateTime<Utc> as EventTime;
    /// The project's ID.
    "app" => app: i64 as Same;
    /// Mobile carrier.
    "device_carrier" => device_carrier: String as Same;
    /// City, from the IP address or as sent.
    "city" => city: String as Same;
    /// The user ID, when the event had one.
    "user_id" => user_id: String as Same;
    /// Amplitude's ID of this event.
    "uuid" => uuid: String as Same;
    /// When the event happened (the client time, corrected for the device's clock).
    "event_time" => event_time: DateTime<Utc> as EventTime;
    /// Platform (`iOS`, `Android`, `Web`, ...).
    "platform" => platform: String as Same;
    /// Operating system version.
    "os_version" => os_version: String as Same;
    /// Amplitude's ID of the user.
    "amplitude_id" => amplitude_id: i64 as Same;
    /// When Amplitude processed the event.
    "processed_time" => processed_time: DateTime<Utc> as EventTime;
    /// The app version.
    "version_name" => version_name: String as Same;
    /// IP address.
    "ip_address" => ip_address: String as Same;
    /// Whether the user had paid by then (sometimes written as the string `"true"`).
    "paying" => paying: bool as LenientBool;
    /// Designated market area.
    "dma" => dma: String as Same;
    /// Properties of the event's groups.
    "group_properties" => group_properties: Properties as Same;
    /// The user's properties as they were at this event.
    "user_properties" => user_properties: Properties as Same;
    /// When the client sent the event.
    "client_upload_time" => client_upload_time: DateTime<Utc> as EventTime;
    /// The sender's deduplication ID.
    "$insert_id" => insert_id: String as Same;
    /// The event's type.
    "event_type" => event_type: String as Same;
    /// The SDK that sent it (`amplitude-ios/8.0.0`).
    "library" => library: String as Same;
    /// Attribution IDs, as sent.
    "amplitude_attribution_ids" => amplitude_attribution_ids: Value as Same;
    /// Device type.
    "device_type" => device_type: String as Same;
    /// The app version the user first had.
    "start_version" => start_version: String as Same;
    /// Longitude.
    "location_lng" => location_lng: f64 as Same;
    /// When the event reached Amplitude's servers: the time the Export API selects by.
    "server_upload_time" => server_upload_time: DateTime<Utc> as EventTime;
    /// The event's number on its device.
    "event_id" => event_id: i64 as Same;
    /// Latitude.
    "location_lat" => location_lat: f64 as Same;
    /// Operating system name.
    "os_name" => os_name: String as Same;
    /// The groups the event belongs to.
    "groups" => groups: Properties as Same;
    /// The event's own properties; revenue sits here (`$revenue`, `$price`, `$quantity`).
    "event_properties" => event_properties: Properties as Same;
    /// Amplitude's internal data about the event.
    "data" => data: Properties as Same;
    /// The device ID.
    "device_id" => device_id: String as Same;
    /// Language.
    "language" => language: String as Same;
    /// Country.
    "country" => country: String as Same;
    /// Region (state, province).
    "region" => region: String as Same;
    /// The session's start, in milliseconds since the epoch; `-1` outside a session.
    "session_id" => session_id: i64 as Same;
    /// Device family.
    "device_family" => device_family: String as Same;
    /// Sampling rate; Amplitude writes `null`.
    "sample_rate" => sample_rate: f64 as Same;
    /// The client's own time of the event.
    "client_event_time" => client_event_time: DateTime<Utc> as EventTime;
    // Keys gone from the docs in 2023-01 that real files still carry.
    /// The event schema's version.
    "$schema" => schema: Value as Same;
    /// When Amplitude first saw the user.
    "user_creation_time" => user_creation_time: DateTime<Utc> as EventTime;
    /// Device manufacturer.
    "device_manufacturer" => device_manufacturer: String as Same;
    /// Amplitude's own event type, for events it generates.
    "amplitude_event_type" => amplitude_event_type: String as Same;
    /// Device brand.
    "device_brand" => device_brand: String as Same;
    /// Device model.
    "device_model" => device_model: String as Same;
    /// Whether the event is an attribution event.
    "is_attribution_event" => is_attribution_event: bool as LenientBool;
    /// Android advertising ID.
    "adid" => adid: String as Same;
    /// iOS advertising ID.
    "idfa" => idfa: String as Same;
    /// The sender's deduplication key.
    "$insert_key" => insert_key: String as Same;
    /// What kind of data the line holds (`event`).
    "data_type" => data_type: String as Same;
    /// The tracking plan the event was checked against.
    "plan" => plan: Value as Same;
    /// The source that sent the event.
    "source_id" => source_id: String as Same;
    /// The partner that sent the event.
    "partner_id" => partner_id: String as Same;
    /// Properties shared by every project of the organisation.
    "global_user_properties" => global_user_properties: Properties as Same;
}

/// A key, borrowed from the input when it can be.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;

        impl<'de> Visitor<'de> for Text {
            type Value = Key<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a key")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(text)))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(text)))
            }
        }

        deserializer.deserialize_str(Text)
    }
}

/// A boolean written as `true` or as the string `"true"` / `"false"`; written back as a
/// boolean.
struct LenientBool;

impl SerializeAs<bool> for LenientBool {
    fn serialize_as<S: Serializer>(flag: &bool, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(*flag)
    }
}

impl<'de> DeserializeAs<'de, bool> for LenientBool {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        struct Flag;

        impl Visitor<'_> for Flag {
            type Value = bool;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("true or false")
            }

            fn visit_bool<E: de::Error>(self, flag: bool) -> Result<bool, E> {
                Ok(flag)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<bool, E> {
                match text {
                    "true" | "True" => Ok(true),
                    "false" | "False" => Ok(false),
                    _ => Err(E::invalid_value(de::Unexpected::Str(text), &self)),
                }
            }
        }

        deserializer.deserialize_any(Flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"server_received_time":"2024-03-02 00:00:01.250000","app":374182,"device_carrier":null,"city":"Berlin","user_id":"u1","uuid":"0b9e","event_time":"2024-03-02 00:00:00.000000","platform":"iOS","os_version":"17.2","amplitude_id":123456789012,"processed_time":"2024-03-02 00:00:02.000000","version_name":"2.1","ip_address":null,"paying":"true","dma":null,"group_properties":{},"user_properties":{"plan":"premium","age":31},"client_upload_time":"2024-03-02 00:00:00.900000","$insert_id":"i-1","event_type":"Play Song","library":"amplitude-ios/8.0.0","amplitude_attribution_ids":null,"device_type":"iPhone","start_version":"2.0","location_lng":13.4,"server_upload_time":"2024-03-02 00:00:01.500000","event_id":17,"location_lat":52.5,"os_name":"ios","groups":{},"event_properties":{"$revenue":1.99,"genre":"jazz"},"data":{},"device_id":"d-1","language":"German","country":"Germany","region":"Berlin","session_id":1709337600000,"device_family":"Apple iPhone","sample_rate":null,"client_event_time":"2024-03-02 00:00:00.000000","$schema":12,"a_new_key":[1,2]}"#;

    #[test]
    fn a_line_reads_typed_and_writes_back_the_same_json() {
        let event: ExportEvent = serde_json::from_str(LINE).unwrap();
        assert_eq!(event.event_type.as_deref(), Some("Play Song"));
        assert_eq!(event.amplitude_id, Some(123_456_789_012));
        assert_eq!(event.paying, Some(true));
        assert_eq!(event.session_id, Some(1_709_337_600_000));
        assert_eq!(
            event.server_upload_time.unwrap().timestamp_micros() % 1_000_000,
            500_000
        );
        let properties = event.event_properties.as_ref().unwrap();
        assert_eq!(properties.get("genre"), Some(Value::from("jazz")));
        assert_eq!(properties.get("mood"), None);
        assert_eq!(properties.to_map().len(), 2);
        assert_eq!(event.device_carrier, None);
        assert_eq!(event.other["a_new_key"], serde_json::json!([1, 2]));
        let written = serde_json::to_value(&event).unwrap();
        let mut expected: Value = serde_json::from_str(LINE).unwrap();
        // Every key is written; those the line left out come back as null.
        for key in EXPORT_KEYS {
            expected
                .as_object_mut()
                .unwrap()
                .entry(*key)
                .or_insert(Value::Null);
        }
        expected["paying"] = Value::Bool(true);
        assert_eq!(written, expected);
        let again: ExportEvent = serde_json::from_value(written).unwrap();
        assert_eq!(again, event);
        assert_eq!(EXPORT_KEYS.len(), 55);
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let error =
            serde_json::from_str::<ExportEvent>(r#"{"event_type":"x","amplitude_id":"twelve"}"#)
                .unwrap_err();
        assert!(error.to_string().contains("`amplitude_id`"), "{error}");
        let error =
            serde_json::from_str::<ExportEvent>(r#"{"event_time":"yesterday"}"#).unwrap_err();
        assert!(error.to_string().contains("`event_time`"), "{error}");
    }
}
