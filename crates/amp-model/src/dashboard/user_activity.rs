use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_with::{DefaultOnNull, serde_as};

use crate::dashboard::UserActivityQuery;
use crate::dates::{EventTime, IsoDate};
use crate::{Cost, Query, ValidationError, param};

/// The most events one user activity page returns.
const MAX_EVENTS: u32 = 1_000;

impl Query for UserActivityQuery {
    type Response = UserActivityResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        match self.limit {
            Some(0) => Err(ValidationError::new(
                param::LIMIT,
                format!("0 returns no events; use 1 to {MAX_EVENTS}"),
            )),
            Some(limit) if limit > MAX_EVENTS => Err(ValidationError::new(
                param::LIMIT,
                format!("{limit} is above the maximum of {MAX_EVENTS}; page with `offset` instead"),
            )),
            _ => Ok(()),
        }
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// The answer of `/api/2/useractivity` (not wrapped in `data`).
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserActivityResponse {
    /// The user's summary; an unknown Amplitude ID gets an empty one.
    #[serde(default)]
    pub user_data: ActivityUser,
    /// The page of events.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub events: Vec<ActivityEvent>,
    /// Query metadata, in real responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ActivityMetadata>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// A user's summary in user activity.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActivityUser {
    /// User ID.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The Amplitude ID others were merged into.
    #[serde(default)]
    pub canonical_amplitude_id: Option<u64>,
    /// Amplitude IDs merged into this user.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub merged_amplitude_ids: Vec<u64>,
    /// Events in total.
    #[serde(default)]
    pub num_events: Option<u64>,
    /// Sessions in total.
    #[serde(default)]
    pub num_sessions: Option<u64>,
    /// Time in the product, ms.
    #[serde(default)]
    pub usage_time: Option<u64>,
    /// First day seen.
    #[serde_as(as = "Option<IsoDate>")]
    #[serde(default)]
    pub first_used: Option<NaiveDate>,
    /// Last day seen.
    #[serde_as(as = "Option<IsoDate>")]
    #[serde(default)]
    pub last_used: Option<NaiveDate>,
    /// Purchases.
    #[serde(default)]
    pub purchases: Option<u64>,
    /// Revenue.
    #[serde(default)]
    pub revenue: Option<f64>,
    /// Platform.
    #[serde(default)]
    pub platform: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// App version.
    #[serde(default)]
    pub version: Option<String>,
    /// Device.
    #[serde(default)]
    pub device: Option<String>,
    /// Device type.
    #[serde(default)]
    pub device_type: Option<String>,
    /// Carrier.
    #[serde(default)]
    pub carrier: Option<String>,
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Designated market area.
    #[serde(default)]
    pub dma: Option<String>,
    /// Language.
    #[serde(default)]
    pub language: Option<String>,
    /// First app version.
    #[serde(default)]
    pub start_version: Option<String>,
    /// Device IDs seen.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub device_ids: Vec<String>,
    /// Last device ID seen.
    #[serde(default)]
    pub last_device_id: Option<String>,
    /// Last location.
    #[serde(default)]
    pub last_location: Option<Location>,
    /// User properties.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// A latitude and longitude.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

/// One event in user activity: the common fields typed; properties as sent.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActivityEvent {
    /// Event name.
    #[serde(default)]
    pub event_type: String,
    /// When it happened (UTC).
    #[serde_as(as = "Option<EventTime>")]
    #[serde(default)]
    pub event_time: Option<DateTime<Utc>>,
    /// Event ID.
    #[serde(default)]
    pub event_id: Option<i64>,
    /// Session ID (ms since epoch of its start; -1 outside sessions).
    #[serde(default)]
    pub session_id: Option<i64>,
    /// User ID.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Device ID.
    #[serde(default)]
    pub device_id: Option<String>,
    /// Amplitude ID.
    #[serde(default)]
    pub amplitude_id: Option<u64>,
    /// Project ID.
    #[serde(default)]
    pub app: Option<u64>,
    /// Insert ID, for deduplication.
    #[serde(default, rename = "$insert_id")]
    pub insert_id: Option<String>,
    /// Platform.
    #[serde(default)]
    pub platform: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os_name: Option<String>,
    /// App version.
    #[serde(default)]
    pub version_name: Option<String>,
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Event properties.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub event_properties: Map<String, Value>,
    /// User properties at the time of the event.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub user_properties: Map<String, Value>,
    /// When the device logged it, as sent (`YYYY-MM-DD HH:MM:SS.ffffff`).
    #[serde(default)]
    pub client_event_time: Option<String>,
    /// When the device uploaded it, as sent.
    #[serde(default)]
    pub client_upload_time: Option<String>,
    /// When Amplitude received it, as sent.
    #[serde(default)]
    pub server_received_time: Option<String>,
    /// When Amplitude stored it, as sent.
    #[serde(default)]
    pub server_upload_time: Option<String>,
    /// When the user was first seen, as sent.
    #[serde(default)]
    pub user_creation_time: Option<String>,
    /// Amplitude's own event type, for its built-in events.
    #[serde(default)]
    pub amplitude_event_type: Option<String>,
    /// The event type as logged.
    #[serde(default)]
    pub raw_event_type: Option<String>,
    /// The kind of record (`event`).
    #[serde(default)]
    pub data_type: Value,
    /// Operating system and version.
    #[serde(default)]
    pub os: Option<String>,
    /// Operating system version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Device brand.
    #[serde(default)]
    pub device_brand: Option<String>,
    /// Device manufacturer.
    #[serde(default)]
    pub device_manufacturer: Option<String>,
    /// Device model.
    #[serde(default)]
    pub device_model: Option<String>,
    /// Device family.
    #[serde(default)]
    pub device_family: Option<String>,
    /// Device type.
    #[serde(default)]
    pub device_type: Option<String>,
    /// Carrier.
    #[serde(default)]
    pub device_carrier: Option<String>,
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
    /// Designated market area.
    #[serde(default)]
    pub dma: Option<String>,
    /// Language.
    #[serde(default)]
    pub language: Option<String>,
    /// The SDK that logged it.
    #[serde(default)]
    pub library: Option<String>,
    /// IP address.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// First app version.
    #[serde(default)]
    pub start_version: Option<String>,
    /// Amplitude's unique ID of the event.
    #[serde(default)]
    pub uuid: Option<String>,
    /// iOS advertising ID.
    #[serde(default)]
    pub idfa: Option<String>,
    /// Android advertising ID.
    #[serde(default)]
    pub adid: Option<String>,
    /// Latitude.
    #[serde(default)]
    pub location_lat: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub location_lng: Option<f64>,
    /// Whether the user pays (a bool or the string `"true"`), as sent.
    #[serde(default)]
    pub paying: Value,
    /// Sampling rate, as sent.
    #[serde(default)]
    pub sample_rate: Value,
    /// An attribution event.
    #[serde(default)]
    pub is_attribution_event: Option<bool>,
    /// Partner ID, as sent.
    #[serde(default)]
    pub partner_id: Value,
    /// Source ID, as sent.
    #[serde(default)]
    pub source_id: Value,
    /// Group properties.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub group_properties: Map<String, Value>,
    /// Groups the user belongs to.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub groups: Map<String, Value>,
    /// Global user properties.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub global_user_properties: Map<String, Value>,
    /// Amplitude's own data about the event.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub data: Map<String, Value>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// `metadata` of a real user activity response.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActivityMetadata {
    /// Some data could not be read.
    #[serde(default)]
    pub missing_data: Option<bool>,
    /// Served from cache.
    #[serde(default)]
    pub cached: Option<bool>,
    /// Query IDs.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub query_ids: Vec<String>,
}
