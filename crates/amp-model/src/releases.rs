//! Releases (reference 3.4): a version shipped, recorded with its time and platforms; shown on
//! charts as an annotation unless `chart_visibility` is false.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::query::one_unit;

pub use crate::generated::CreateReleaseQuery;

one_unit! {
    CreateReleaseQuery => ReleaseCreated,
}

/// The form of a release time: UTC, `yyyy-MM-dd HH:mm:ss`.
const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A release's time, UTC, written `2024-03-01 12:00:00` as the Releases API takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseTime(pub chrono::NaiveDateTime);

impl fmt::Display for ReleaseTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.format(FORMAT))
    }
}

impl std::str::FromStr for ReleaseTime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        chrono::NaiveDateTime::parse_from_str(text, FORMAT)
            .map(Self)
            .map_err(|_| format!("`{text}` is not a release time: write yyyy-MM-dd HH:mm:ss (UTC)"))
    }
}

impl Serialize for ReleaseTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReleaseTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What a release's creation answers: `{"success": true, "release": RELEASE}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReleaseCreated {
    /// Whether it was recorded.
    pub success: bool,
    /// The release.
    pub release: Release,
}

impl ReleaseCreated {
    /// The answer for `release`.
    pub fn new(release: Release) -> Self {
        Self {
            success: true,
            release,
        }
    }
}

/// A release as Amplitude records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Release {
    /// Its id (`xbcehyc`).
    pub id: String,
    /// The project's id.
    #[serde(default)]
    pub app_id: Option<u64>,
    /// The version.
    pub version: String,
    /// When it started.
    pub release_start: ReleaseTime,
    /// When it ended.
    #[serde(default)]
    pub release_end: Option<ReleaseTime>,
    /// Its title.
    pub title: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The platforms it is for.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Whether it shows on charts.
    #[serde(default)]
    pub chart_visibility: Option<bool>,
    /// Every other key (`org_id`, `type`, `params` with who made it and when), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Release {
    /// Release `id` of `version` titled `title`, started at `release_start`.
    pub fn new(
        id: impl Into<String>,
        version: impl Into<String>,
        release_start: ReleaseTime,
        title: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            app_id: None,
            version: version.into(),
            release_start,
            release_end: None,
            title: title.into(),
            description: None,
            platforms: Vec::new(),
            chart_visibility: None,
            other: Map::new(),
        }
    }
}
