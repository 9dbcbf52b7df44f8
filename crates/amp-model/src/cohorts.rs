//! Behavioral Cohorts (reference 3.1 and 6.6): the project's cohorts, and the asynchronous
//! download of one cohort's members: a request answered `202` with a request id, its status
//! polled until `JOB COMPLETED`, then a CSV file whose header names its columns (`user_id`,
//! `amplitude_id`, and the user properties asked for).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Cost, Query, ValidationError};

pub use crate::generated::{
    CohortFileQuery, CohortRequestQuery, CohortStatusQuery, ListCohortsQuery,
};

/// Queries of one request each, not cost queries: one unit, the request's share of the five
/// concurrent requests every REST endpoint shares.
macro_rules! one_unit {
    ($($query:ty => $response:ty),* $(,)?) => {$(
        impl Query for $query {
            type Response = $response;

            fn cost(&self) -> Cost {
                Cost::MINIMUM
            }
        }
    )*};
}

one_unit! {
    ListCohortsQuery => CohortList,
    CohortStatusQuery => CohortJob,
    CohortFileQuery => CohortFile,
}

impl Query for CohortRequestQuery {
    type Response = CohortJob;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.props == Some(0) && !self.prop_keys.is_empty() {
            return Err(ValidationError::new(
                crate::param::PROP_KEYS,
                "propKeys asks for properties; send it with props=1",
            ));
        }
        Ok(())
    }

    /// One unit, as the other cohort queries; its own limits are the `CohortRequest` class's.
    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// `GET /api/3/cohorts`: every cohort of the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortList {
    /// The cohorts.
    pub cohorts: Vec<Cohort>,
}

/// A cohort as the list describes it. Amplitude's many other keys (`definition`,
/// `syncMetadata`, `view_count`, ...) are kept in `other`, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Cohort {
    /// Its id, as in the cohort's URL.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The project it belongs to.
    #[serde(rename = "appId", default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
    /// Its member count when last computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Whether it is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
    /// Its owners' logins.
    #[serde(default)]
    pub owners: Vec<String>,
    /// When it was last computed, in Unix seconds.
    #[serde(
        rename = "lastComputed",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_computed: Option<i64>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Where a cohort download stands (`async_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobStatus {
    /// `JOB INPROGRESS`: poll again.
    InProgress,
    /// `JOB COMPLETED`: the file can be fetched.
    Completed,
    /// A status the SDK does not know, kept as sent.
    Other(String),
}

impl JobStatus {
    /// Its wire form.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress => "JOB INPROGRESS",
            Self::Completed => "JOB COMPLETED",
            Self::Other(other) => other,
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.as_str() {
            "JOB INPROGRESS" => Self::InProgress,
            "JOB COMPLETED" => Self::Completed,
            _ => Self::Other(text),
        })
    }
}

/// A cohort download job: the answer to the request (`202`, no status yet) and to each poll of
/// its status (`202` while in progress, `200` when completed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortJob {
    /// The job's id, for its status and its file.
    pub request_id: String,
    /// The cohort it downloads.
    pub cohort_id: String,
    /// Where it stands; absent in the answer to the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_status: Option<JobStatus>,
}

impl CohortJob {
    /// A job just requested, or one at `status`.
    pub fn new(request_id: impl Into<String>, cohort_id: impl Into<String>) -> Self {
        Self {
            request_id: request_id.into(),
            cohort_id: cohort_id.into(),
            async_status: None,
        }
    }

    /// The job at `status`.
    #[must_use]
    pub fn at(mut self, status: JobStatus) -> Self {
        self.async_status = Some(status);
        self
    }
}

/// The columns of a cohort file that are not properties.
pub const USER_ID: &str = "user_id";
/// The Amplitude ID column.
pub const AMPLITUDE_ID: &str = "amplitude_id";

/// A downloaded cohort file, whole: its columns and one member per row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortFile {
    /// The header's column names, in order.
    pub columns: Vec<String>,
    /// The members.
    pub members: Vec<CohortMember>,
}

impl CohortFile {
    /// A file of `columns` and `members`.
    pub fn new(columns: Vec<String>, members: Vec<CohortMember>) -> Self {
        Self { columns, members }
    }
}

/// One member of a cohort file: its ids and the other columns (the user properties asked for),
/// by the header's names in the header's order. An empty cell is an absent value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortMember {
    /// `user_id`, when the user has one.
    pub user_id: Option<String>,
    /// `amplitude_id`.
    pub amplitude_id: Option<u64>,
    /// Every other column with a value.
    pub properties: Vec<(String, String)>,
}

impl CohortMember {
    /// The member of a row whose cells are named by `columns`.
    ///
    /// # Errors
    ///
    /// An `amplitude_id` that is not a whole number, with the column and value.
    pub fn from_row<'a>(
        columns: &[String],
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        let mut member = Self::default();
        for (column, cell) in columns.iter().zip(cells) {
            if cell.is_empty() {
                continue;
            }
            match column.as_str() {
                USER_ID => member.user_id = Some(cell.to_owned()),
                AMPLITUDE_ID => {
                    member.amplitude_id =
                        Some(cell.parse().map_err(|_| {
                            format!("{AMPLITUDE_ID} `{cell}` is not a whole number")
                        })?);
                }
                _ => member.properties.push((column.clone(), cell.to_owned())),
            }
        }
        Ok(member)
    }

    /// The value of property column `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, value)| value.as_str())
    }
}
