use serde::{Deserialize, Deserializer, Serialize};
use serde_with::{DefaultOnNull, serde_as};

use crate::dashboard::ListEventsQuery;
use crate::{Cost, Query};

impl Query for ListEventsQuery {
    type Response = EventsListResponse;

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// `{"data": [...]}` of `/api/2/events/list`.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventsListResponse {
    /// The event types.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub data: Vec<EventInfo>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// One event type. The documented fields, plus those real responses carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventInfo {
    /// The raw event name.
    #[serde(default)]
    pub value: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Events this week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<f64>,
    /// Marked inactive.
    #[serde(default, deserialize_with = "flag")]
    pub non_active: bool,
    /// Deleted.
    #[serde(default, deserialize_with = "flag")]
    pub deleted: bool,
    /// Hidden.
    #[serde(default, deserialize_with = "flag")]
    pub hidden: bool,
    /// Hidden from Pathfinder.
    #[serde(default, deserialize_with = "flag")]
    pub flow_hidden: bool,
    /// Numeric id (real responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Name (real responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Hidden automatically (real responses).
    #[serde(default, deserialize_with = "flag")]
    pub autohidden: bool,
    /// Hidden from the user timeline (real responses send a bool or a number).
    #[serde(default, deserialize_with = "flag")]
    pub timeline_hidden: bool,
    /// Change in totals from last week (real responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals_delta: Option<f64>,
    /// Waiting for approval in the tracking plan (real responses).
    #[serde(default, deserialize_with = "flag")]
    pub in_waitroom: bool,
    /// Approved out of the wait room (real responses).
    #[serde(default, deserialize_with = "flag")]
    pub waitroom_approved: bool,
    /// Keys the SDK does not name (`clusters_hidden`, ...), as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// A flag Amplitude sends as a bool, a number, or null.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(flag) => flag,
        serde_json::Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        serde_json::Value::String(text) => text == "true" || text == "1",
        _ => false,
    })
}
