//! Behavioral Cohorts (reference 3.1 and 6.6): the project's cohorts, and the asynchronous
//! download of one cohort's members: a request answered `202` with a request id, its status
//! polled until `JOB COMPLETED`, then a CSV file whose header names its columns (`user_id`,
//! `amplitude_id`, and the user properties asked for).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::query::one_unit;
use crate::{Cost, Query, ValidationError};

pub use crate::generated::{
    CohortFileQuery, CohortMembershipQuery, CohortRequestQuery, CohortStatusQuery,
    CohortUploadQuery, ListCohortsQuery,
};
use crate::{MembershipIdType, MembershipOperation};

one_unit! {
    ListCohortsQuery => CohortList,
    CohortStatusQuery => CohortJob,
    CohortFileQuery => CohortFile,
}

/// The most ids one upload may list.
pub const MAX_UPLOAD_IDS: usize = 100_000;

impl Query for CohortUploadQuery {
    type Response = CohortUploaded;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.name.trim().is_empty() {
            return Err(ValidationError::new(
                crate::param::NAME,
                "give the cohort a name",
            ));
        }
        if self.ids.len() > MAX_UPLOAD_IDS {
            return Err(ValidationError::new(
                crate::param::IDS,
                format!(
                    "{} ids; one upload takes at most {MAX_UPLOAD_IDS}: upload the first {MAX_UPLOAD_IDS}, then add the rest with membership changes",
                    self.ids.len()
                ),
            ));
        }
        if self.owner.trim().is_empty() {
            return Err(ValidationError::new(
                crate::param::OWNER,
                "give the owner's login email",
            ));
        }
        Ok(())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

impl Query for CohortMembershipQuery {
    type Response = MembershipsUpdated;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.memberships.is_empty() {
            return Err(ValidationError::new(
                crate::param::MEMBERSHIPS,
                "give at least one change (ADD or REMOVE of some ids)",
            ));
        }
        let ids: usize = self.memberships.iter().map(|change| change.ids.len()).sum();
        if ids > MAX_UPLOAD_IDS {
            return Err(ValidationError::new(
                crate::param::MEMBERSHIPS,
                format!("{ids} ids; one request takes at most {MAX_UPLOAD_IDS}: split it"),
            ));
        }
        Ok(())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
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

/// What an upload answers: the cohort's id (absent when `skip_save` only checked it) and how
/// its ids matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CohortUploaded {
    /// The cohort created or replaced.
    #[serde(rename = "cohortId", default, skip_serializing_if = "Option::is_none")]
    pub cohort_id: Option<String>,
    /// How the ids matched.
    #[serde(default)]
    pub metadata: UploadMetadata,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// How an upload's ids matched users.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadMetadata {
    /// Ids that matched a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<u64>,
    /// Ids sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<u64>,
    /// Some of the ids that matched no user.
    #[serde(default)]
    pub invalid_ids_sample: Vec<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl UploadMetadata {
    /// The metadata of `totals` ids of which `matched` matched, with a sample of the others.
    pub fn new(matched: u64, totals: u64, invalid_ids_sample: Vec<String>) -> Self {
        Self {
            matched: Some(matched),
            totals: Some(totals),
            invalid_ids_sample,
            other: Map::new(),
        }
    }
}

impl CohortUploaded {
    /// The answer for cohort `cohort_id` (`None` when only checked).
    pub fn new(cohort_id: Option<String>, metadata: UploadMetadata) -> Self {
        Self {
            cohort_id,
            metadata,
            other: Map::new(),
        }
    }
}

/// One change of a cohort's members: `ids` of `id_type` added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Membership {
    /// The ids.
    pub ids: Vec<String>,
    /// Which ids they are.
    pub id_type: MembershipIdType,
    /// Added or removed.
    pub operation: MembershipOperation,
}

impl Membership {
    /// Adds `ids` of `id_type`.
    pub fn add(id_type: MembershipIdType, ids: Vec<String>) -> Self {
        Self {
            ids,
            id_type,
            operation: MembershipOperation::Add,
        }
    }

    /// Removes `ids` of `id_type`.
    pub fn remove(id_type: MembershipIdType, ids: Vec<String>) -> Self {
        Self {
            ids,
            id_type,
            operation: MembershipOperation::Remove,
        }
    }
}

/// What a membership request answers: per change, the ids that matched no user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipsUpdated {
    /// The cohort.
    pub cohort_id: String,
    /// One result per change, in order.
    pub memberships_result: Vec<MembershipResult>,
}

/// One change's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipResult {
    /// Ids that matched no user, left out.
    #[serde(default)]
    pub skipped_ids: Vec<String>,
    /// Which ids the change listed.
    pub id_type: MembershipIdType,
    /// What it did.
    pub operation: MembershipOperation,
}

impl MembershipsUpdated {
    /// The answer for `cohort_id`.
    pub fn new(cohort_id: impl Into<String>, memberships_result: Vec<MembershipResult>) -> Self {
        Self {
            cohort_id: cohort_id.into(),
            memberships_result,
        }
    }
}

impl MembershipResult {
    /// The result of `change`, `skipped_ids` left out.
    pub fn of(change: &Membership, skipped_ids: Vec<String>) -> Self {
        Self {
            skipped_ids,
            id_type: change.id_type.clone(),
            operation: change.operation.clone(),
        }
    }
}
