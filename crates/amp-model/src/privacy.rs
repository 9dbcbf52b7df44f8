//! The User Privacy API (reference 6.8): deletion jobs. Users asked for on one day join that
//! day's job; until it runs (`Staging`, `Submitted`) one can be taken out again; once it is
//! `Done` their events and profiles are gone.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::query::one_unit;
use crate::wire::{Param, Problem};
use crate::{Cost, Query, ValidationError};

pub use crate::generated::{CreateDeletionQuery, ListDeletionsQuery, RemoveFromDeletionQuery};

/// The most ids, Amplitude IDs and user IDs together, one request may name.
pub const MAX_DELETION_IDS: usize = 100;

/// The longest range of days a list may cover.
pub const MAX_LIST_MONTHS: u32 = 6;

one_unit! {
    RemoveFromDeletionQuery => Value,
}

impl Query for CreateDeletionQuery {
    type Response = DeletionJob;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        let count = self.amplitude_ids.len() + self.user_ids.len();
        if count == 0 {
            return Err(ValidationError::new(
                crate::param::AMPLITUDE_IDS,
                "name at least one user, by amplitude_ids or user_ids",
            ));
        }
        if count > MAX_DELETION_IDS {
            return Err(ValidationError::new(
                crate::param::AMPLITUDE_IDS,
                format!(
                    "{count} ids; one request takes at most {MAX_DELETION_IDS} (amplitude_ids and user_ids together): split it"
                ),
            ));
        }
        Ok(())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

impl Query for ListDeletionsQuery {
    type Response = Vec<DeletionJob>;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        let (start, end) = (self.start_day.0, self.end_day.0);
        if end < start {
            return Err(ValidationError::new(
                crate::param::END_DAY,
                format!("end_day {end} is before start_day {start}"),
            ));
        }
        let limit = start.checked_add_months(chrono::Months::new(MAX_LIST_MONTHS));
        if limit.is_none_or(|limit| end > limit) {
            return Err(ValidationError::new(
                crate::param::END_DAY,
                format!("the range covers more than {MAX_LIST_MONTHS} months; list it in parts"),
            ));
        }
        Ok(())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// A day as the User Privacy API writes it, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub chrono::NaiveDate);

impl fmt::Display for Day {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Day {
    type Err = Problem;

    fn from_str(text: &str) -> Result<Self, Problem> {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| Problem::WrongType {
                expected: "a day in the form YYYY-MM-DD (e.g. 2024-01-31)",
            })
    }
}

impl Param for Day {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse()
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Where a deletion job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeletionStatus {
    /// Waiting to run; users can still be taken out.
    Staging,
    /// Sent for deletion.
    Submitted,
    /// Run: the users' data is gone.
    Done,
    /// A status the SDK does not know, as sent.
    #[serde(untagged)]
    Other(String),
}

/// One user of a deletion job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletionUser {
    /// The user's Amplitude ID.
    pub amplitude_id: u64,
    /// Who asked.
    #[serde(default)]
    pub requester: Option<String>,
    /// The day it was asked for.
    #[serde(default)]
    pub requested_on_day: Option<Day>,
    /// The user's user ID, when the request named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl DeletionUser {
    /// User `amplitude_id`, asked for on `day` by `requester`.
    pub fn new(amplitude_id: u64, requester: Option<String>, day: Day) -> Self {
        Self {
            amplitude_id,
            requester,
            requested_on_day: Some(day),
            user_id: None,
            other: Map::new(),
        }
    }
}

/// A deletion job: what a create answers (with the ids it could not read), and each item of
/// a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletionJob {
    /// The job's day.
    pub day: Day,
    /// Where it stands.
    pub status: DeletionStatus,
    /// Its users.
    pub amplitude_ids: Vec<DeletionUser>,
    /// The project.
    #[serde(default)]
    pub app: Option<u64>,
    /// When the users' data was scrubbed, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_scrub_done_date: Option<String>,
    /// In a create's answer: the ids that name no user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_ids: Vec<Value>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl DeletionJob {
    /// The job of `day` for project `app`, at `status`, with no users yet.
    pub fn new(day: Day, status: DeletionStatus, app: Option<u64>) -> Self {
        Self {
            day,
            status,
            amplitude_ids: Vec::new(),
            app,
            active_scrub_done_date: None,
            invalid_ids: Vec::new(),
            other: Map::new(),
        }
    }
}
