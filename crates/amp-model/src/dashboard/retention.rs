use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_with::{DefaultOnNull, serde_as};

use crate::cost::QueryKind;
use crate::dashboard::{MAX_RANGE_DAYS, check_range};
use crate::dashboard::{
    RetentionQuery, SeriesLabel, SeriesMeta, check_day_interval, check_segments_and_groups,
};
use crate::{Cost, Query, RetentionMode, ValidationError, param};

impl Query for RetentionQuery {
    type Response = RetentionResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        self.start_event.validate(param::SE)?;
        self.return_event.validate(param::RE)?;
        let bracket_mode = self.mode == Some(RetentionMode::Bracket);
        if bracket_mode && self.brackets.is_empty() {
            return Err(ValidationError::new(
                param::RB,
                format!(
                    "`{}=bracket` needs brackets, e.g. [[0,5]] for day 0 to day 4",
                    param::RM
                ),
            ));
        }
        if !bracket_mode && !self.brackets.is_empty() {
            return Err(ValidationError::new(
                param::RB,
                format!(
                    "brackets are only read with `{}=bracket`; set the mode to bracket",
                    param::RM
                ),
            ));
        }
        if let Some([low, high]) = self.brackets.iter().find(|[low, high]| low >= high) {
            return Err(ValidationError::new(
                param::RB,
                format!(
                    "bracket [{low},{high}] is empty; the upper bound is excluded and must exceed the lower"
                ),
            ));
        }
        if let Some([low, high]) = self
            .brackets
            .iter()
            .find(|[_, high]| u64::from(*high) > MAX_RANGE_DAYS)
        {
            return Err(ValidationError::new(
                param::RB,
                format!(
                    "bracket [{low},{high}] reaches past {MAX_RANGE_DAYS} intervals, further than any project's history"
                ),
            ));
        }
        check_day_interval(self.interval.as_ref())?;
        check_range(self.range, self.interval.as_ref())?;
        check_segments_and_groups(&self.segments, &self.group_by)
    }

    fn cost(&self) -> Cost {
        Cost::of(
            QueryKind::Retention,
            Some(&self.range),
            &self.segments,
            usize::from(self.group_by.is_some()),
        )
    }
}

/// `{"data": ...}` of `/api/2/retention`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RetentionResponse {
    /// The result.
    pub data: RetentionData,
    /// Whether the result is whole (sampled, pruned, cut at the group-by limit) and cached.
    #[serde(flatten)]
    pub metadata: crate::dashboard::Metadata,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl RetentionResponse {
    /// One row per (series, cohort date, position): the tidy view.
    pub fn rows(&self) -> impl Iterator<Item = RetentionRow<'_>> + '_ {
        self.data
            .series
            .iter()
            .enumerate()
            .flat_map(|(series, retention)| {
                let segment = match self.data.series_meta.get(series) {
                    Some(SeriesMeta::Indices(indices)) => indices.segment_index,
                    _ => None,
                };
                retention.dates.iter().flat_map(move |date| {
                    let cells = retention.values.get(date).map_or(&[][..], Vec::as_slice);
                    cells
                        .iter()
                        .enumerate()
                        .map(move |(position, cell)| RetentionRow {
                            series,
                            segment,
                            date,
                            position,
                            count: cell.count,
                            outof: cell.outof,
                            incomplete: cell.incomplete,
                        })
                })
            })
    }
}

/// The retention result: one series per segment or group value.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RetentionData {
    /// The series.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub series: Vec<RetentionSeries>,
    /// Segment and event indices per series.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_meta: Vec<SeriesMeta>,
    /// Group labels per series, when Amplitude sends them.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_labels: Vec<SeriesLabel>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// Retention of one segment or group value.
///
/// `values[date][0]` is the cohort that started on `date`; per Amplitude's 2026-01 wording,
/// position N+1 is the return N intervals out (older wording: position N). The positions are
/// kept as sent.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RetentionSeries {
    /// Cohort dates, newest first, as labels like `Aug 15`.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub dates: Vec<String>,
    /// Per cohort date, one cell per position.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub values: BTreeMap<String, Vec<RetentionCell>>,
    /// All cohorts together, deduplicated.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub combined: Vec<RetentionCell>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// One retention figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RetentionCell {
    /// Users retained.
    #[serde(default)]
    pub count: u64,
    /// Cohort size.
    #[serde(default)]
    pub outof: u64,
    /// Not enough time has passed to know the final figure.
    #[serde(default)]
    pub incomplete: bool,
    /// Set on `combined` cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_set_id: Option<String>,
}

/// One retention figure with its series, cohort date and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RetentionRow<'a> {
    /// Index of the series.
    pub series: usize,
    /// The segment (`seriesMeta[].segmentIndex`), when Amplitude said.
    pub segment: Option<u32>,
    /// The cohort date label.
    pub date: &'a str,
    /// Position in the cohort's values (0 is the cohort itself).
    pub position: usize,
    /// Users retained.
    pub count: u64,
    /// Cohort size.
    pub outof: u64,
    /// Not final yet.
    pub incomplete: bool,
}
