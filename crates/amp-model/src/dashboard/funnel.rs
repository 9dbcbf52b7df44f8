use serde::{Deserialize, Serialize};
use serde_with::{DefaultOnNull, serde_as};

use crate::cost::QueryKind;
use crate::dashboard::check_range;
use crate::dashboard::{
    FlexNumber, FunnelQuery, SeriesLabel, check_limit, check_segments_and_groups,
};
use crate::{Cost, Query, ValidationError, param};

impl Query for FunnelQuery {
    type Response = FunnelResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        if self.steps.len() < 2 {
            return Err(ValidationError::new(
                param::E,
                format!(
                    "a funnel needs at least 2 steps, this one has {}",
                    self.steps.len()
                ),
            ));
        }
        for step in &self.steps {
            step.validate(param::E)?;
        }
        if self.conversion_window_secs == Some(0) {
            return Err(ValidationError::new(
                param::CS,
                "the conversion window must be at least 1 second",
            ));
        }
        check_segments_and_groups(&self.segments, &self.group_by)?;
        check_range(self.range, self.interval.as_ref())?;
        check_limit(self.limit)
    }

    fn cost(&self) -> Cost {
        let kind = QueryKind::Funnel {
            steps: self.steps.len(),
            event_group_bys: self.steps.iter().map(|step| step.group_by.len()).sum(),
        };
        Cost::of(
            kind,
            Some(&self.range),
            &self.segments,
            usize::from(self.group_by.is_some()),
        )
    }
}

/// `{"data": [...]}`: one funnel per segment or group value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunnelResponse {
    /// The funnels.
    #[serde(default)]
    pub data: Vec<Funnel>,
    /// Whether the result is whole (sampled, pruned, cut at the group-by limit) and cached.
    #[serde(flatten)]
    pub metadata: crate::dashboard::Metadata,
    /// Top-level keys the SDK does not name (`numSeries`, `perQueryMetadata`, ...), as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl FunnelResponse {
    /// One row per (funnel, step): the tidy view.
    pub fn steps(&self) -> impl Iterator<Item = FunnelStep<'_>> + '_ {
        self.data.iter().enumerate().flat_map(|(index, funnel)| {
            funnel.steps().map(move |step| FunnelStep {
                funnel: index,
                ..step
            })
        })
    }
}

/// One funnel: a segment's or a group value's conversion through the steps.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Funnel {
    /// Which segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<FunnelMeta>,
    /// The group value, with a group-by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_value: Option<SeriesLabel>,
    /// Step labels.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub events: Vec<String>,
    /// Share of the previous step's users completing each step (first 1.0).
    #[serde_as(as = "DefaultOnNull<Vec<FlexNumber>>")]
    #[serde(default)]
    pub step_by_step: Vec<f64>,
    /// Share of entering users completing each step.
    #[serde_as(as = "DefaultOnNull<Vec<FlexNumber>>")]
    #[serde(default)]
    pub cumulative: Vec<f64>,
    /// Users completing each step.
    #[serde_as(as = "DefaultOnNull<Vec<FlexNumber>>")]
    #[serde(default)]
    pub cumulative_raw: Vec<f64>,
    /// Median time to reach each step from the previous one, ms (first 0).
    #[serde_as(as = "DefaultOnNull<Vec<FlexNumber>>")]
    #[serde(default)]
    pub median_trans_times: Vec<f64>,
    /// Average time to reach each step from the previous one, ms.
    #[serde_as(as = "DefaultOnNull<Vec<FlexNumber>>")]
    #[serde(default)]
    pub avg_trans_times: Vec<f64>,
    /// Users completing each step, per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_funnels: Option<DaySeries>,
    /// Median transition times per step, per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_median_trans_times: Option<DaySeries>,
    /// Average transition times per step, per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_avg_trans_times: Option<DaySeries>,
    /// Histogram of time to convert per step; its shape is undocumented, so it is kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_trans_time_distribution: Option<serde_json::Value>,
    /// Histogram of how often users did the previous step; shape undocumented, kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_prev_step_count_distribution: Option<serde_json::Value>,
    /// Keys the SDK does not name (`dayPropsum`, `converted`, `dropoff`, ...), as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl Funnel {
    fn steps(&self) -> impl Iterator<Item = FunnelStep<'_>> + '_ {
        let at = |values: &[f64], index: usize| values.get(index).copied();
        self.events
            .iter()
            .enumerate()
            .map(move |(index, event)| FunnelStep {
                funnel: 0,
                segment: self.meta.as_ref().and_then(|meta| meta.segment_index),
                step: index,
                event,
                users: at(&self.cumulative_raw, index),
                cumulative: at(&self.cumulative, index),
                step_by_step: at(&self.step_by_step, index),
                median_trans_time_ms: at(&self.median_trans_times, index),
            })
    }
}

/// One step of one funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FunnelStep<'a> {
    /// Index of the funnel in `data`.
    pub funnel: usize,
    /// The segment (`meta.segmentIndex`), when Amplitude said.
    pub segment: Option<u32>,
    /// Step index.
    pub step: usize,
    /// Step label.
    pub event: &'a str,
    /// Users completing the step.
    pub users: Option<f64>,
    /// Share of entering users.
    pub cumulative: Option<f64>,
    /// Share of the previous step's users.
    pub step_by_step: Option<f64>,
    /// Median time from the previous step, ms.
    pub median_trans_time_ms: Option<f64>,
}

/// `meta` of a funnel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FunnelMeta {
    /// Which segment.
    #[serde(default)]
    pub segment_index: Option<u32>,
}

/// A per-day breakdown in a funnel: `series[j]` holds one value per step for `x_values[j]`.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DaySeries {
    /// One row per day, one value per step.
    #[serde_as(as = "DefaultOnNull<Vec<Vec<FlexNumber>>>")]
    #[serde(default)]
    pub series: Vec<Vec<f64>>,
    /// Days, `YYYY-MM-DD`.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub x_values: Vec<String>,
    /// Days as shown in charts (`Aug 14`).
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub formatted_x_values: Vec<String>,
}
