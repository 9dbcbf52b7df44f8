//! Chart annotations (reference 3.3): marks on charts at a time or over a range, global or on
//! one chart, optionally in a category. The v3 API has every operation; the legacy v2 list is
//! kept for projects that still use it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{Param, Problem};

use crate::query::one_unit;
use crate::{Cost, Query, Success, ValidationError};

pub use crate::generated::{
    AnnotationCategoryQuery, AnnotationQuery, AssignAnnotationCategoryQuery,
    CreateAnnotationCategoryQuery, CreateAnnotationQuery, DeleteAnnotationCategoryQuery,
    DeleteAnnotationQuery, ListAnnotationCategoriesQuery, ListAnnotationsQuery,
    ListAnnotationsV2Query, RenameAnnotationCategoryQuery, UpdateAnnotationQuery,
};

/// A time with its offset, written as the annotations API writes it
/// (`2025-11-01T07:00:00+00:00`, RFC 3339); read with any RFC 3339 offset, `Z` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub chrono::DateTime<chrono::FixedOffset>);

impl Timestamp {
    /// The day it falls on, in its own offset.
    pub fn date(&self) -> chrono::NaiveDate {
        self.0.date_naive()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = Problem;

    fn from_str(text: &str) -> Result<Self, Problem> {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(Self)
            .map_err(|_| Problem::WrongType {
                expected: "an ISO 8601 time with its offset (e.g. 2025-11-01T07:00:00+00:00)",
            })
    }
}

impl Param for Timestamp {
    fn to_wire(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn from_wire(text: &str) -> Result<Self, Problem> {
        text.parse()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

one_unit! {
    AnnotationQuery => AnnotationAnswer,
    DeleteAnnotationQuery => Success,
    CreateAnnotationCategoryQuery => CategoryAnswer,
    ListAnnotationCategoriesQuery => CategoryList,
    AnnotationCategoryQuery => CategoryAnswer,
    RenameAnnotationCategoryQuery => RenamedCategoryAnswer,
    DeleteAnnotationCategoryQuery => Success,
    AssignAnnotationCategoryQuery => AnnotationList,
    ListAnnotationsV2Query => AnnotationListV2,
}

impl Query for ListAnnotationsQuery {
    type Response = AnnotationList;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.category.is_some() && self.chart_id.is_some() {
            return Err(ValidationError::new(
                crate::param::CHART_ID,
                "filter by category or by chart_id, not both",
            ));
        }
        ordered(self.start, self.end)
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

impl Query for CreateAnnotationQuery {
    type Response = AnnotationAnswer;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        labelled(&self.label)?;
        ordered(Some(self.start), self.end)
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

impl Query for UpdateAnnotationQuery {
    type Response = AnnotationAnswer;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if let Some(label) = &self.label {
            labelled(label)?;
        }
        ordered(self.start, self.end.flatten())
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// Refuses an empty label.
fn labelled(label: &str) -> Result<(), ValidationError> {
    if label.trim().is_empty() {
        return Err(ValidationError::new(
            crate::param::LABEL,
            "give the annotation a label",
        ));
    }
    Ok(())
}

/// Refuses an end before its start.
fn ordered(start: Option<Timestamp>, end: Option<Timestamp>) -> Result<(), ValidationError> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err(ValidationError::new(
            crate::param::END,
            format!("the end {end} is before the start {start}"),
        )),
        _ => Ok(()),
    }
}

/// A category as annotations show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Category {
    /// Its id.
    pub id: u64,
    /// Its name (`category` in a rename's answer and in bulk assignments).
    #[serde(alias = "category")]
    pub name: String,
}

impl Category {
    /// Category `id` named `name`.
    pub fn new(id: u64, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
        }
    }
}

/// One annotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Annotation {
    /// Its id.
    pub id: u64,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends, for a range.
    #[serde(default)]
    pub end: Option<Timestamp>,
    /// Its label.
    pub label: String,
    /// Its details.
    #[serde(default)]
    pub details: Option<String>,
    /// Its category.
    #[serde(default)]
    pub category: Option<Category>,
    /// The chart it is on; `None` for a global annotation.
    #[serde(default)]
    pub chart_id: Option<String>,
    /// Every other key, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Annotation {
    /// Annotation `id` labelled `label` at `start`, global, with nothing else.
    pub fn new(id: u64, label: impl Into<String>, start: Timestamp) -> Self {
        Self {
            id,
            start,
            end: None,
            label: label.into(),
            details: None,
            category: None,
            chart_id: None,
            other: Map::new(),
        }
    }
}

/// A category as a rename answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RenamedCategory {
    /// Its id.
    pub id: u64,
    /// Its new name.
    pub category: String,
}

impl RenamedCategory {
    /// Category `id`, now named `category`.
    pub fn new(id: u64, category: impl Into<String>) -> Self {
        Self {
            id,
            category: category.into(),
        }
    }
}

/// An annotation of the legacy v2 list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnnotationV2 {
    /// Its id.
    pub id: u64,
    /// Its date as sent: `YYYY-MM-DD`, though a date-time string is seen too.
    pub date: String,
    /// Its label.
    pub label: String,
    /// Its details.
    #[serde(default)]
    pub details: Option<String>,
}

impl AnnotationV2 {
    /// Annotation `id` of `date` labelled `label`.
    pub fn new(
        id: u64,
        date: impl Into<String>,
        label: impl Into<String>,
        details: Option<String>,
    ) -> Self {
        Self {
            id,
            date: date.into(),
            label: label.into(),
            details,
        }
    }
}

/// The envelope of every annotations answer but a delete's: `{"data": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data<T> {
    /// What was asked for.
    pub data: T,
}

/// `{"data": ANNOTATION}`.
pub type AnnotationAnswer = Data<Annotation>;
/// `{"data": [ANNOTATION]}`.
pub type AnnotationList = Data<Vec<Annotation>>;
/// `{"data": CATEGORY}`.
pub type CategoryAnswer = Data<Category>;
/// `{"data": [CATEGORY]}`.
pub type CategoryList = Data<Vec<Category>>;
/// A rename's answer, `{"data": {"id", "category"}}`: the name under `category`.
pub type RenamedCategoryAnswer = Data<RenamedCategory>;
/// The legacy v2 list, `{"data": [{"id", "date", "label", "details"}]}`.
pub type AnnotationListV2 = Data<Vec<AnnotationV2>>;
