use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_with::{DefaultOnNull, serde_as};

use crate::catalogue::{EndpointSpec, GET_CHART_CSV, GET_CHART_RESULTS};
use crate::dashboard::Series;
use crate::{Cost, Query, QueryPairs, ValidationError};

fn check_chart_id(chart_id: &str) -> Result<(), ValidationError> {
    if chart_id.is_empty()
        || !chart_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ValidationError::new(
            "chart_id",
            format!(
                "`{chart_id}` is not a chart ID; use the letters and digits after /chart/ in the chart's URL"
            ),
        ));
    }
    Ok(())
}

/// `GET /api/3/chart/{chart_id}/query`: a saved chart's results as JSON.
///
/// The chart's own definition is not known before it runs, so its cost is the minimum; see
/// [`crate::cost`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChartQuery {
    /// The ID in the chart's URL (`abc123` in `.../chart/abc123`).
    pub chart_id: String,
}

impl ChartQuery {
    /// The results of chart `chart_id`.
    pub fn new(chart_id: impl Into<String>) -> Self {
        Self {
            chart_id: chart_id.into(),
        }
    }
}

impl Query for ChartQuery {
    type Response = ChartResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_CHART_RESULTS
    }

    fn path(&self) -> Cow<'static, str> {
        Cow::Owned(self.spec().path.replace("{chart_id}", &self.chart_id))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_chart_id(&self.chart_id)
    }

    fn query_pairs(&self) -> QueryPairs {
        QueryPairs::new()
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// `GET /api/3/chart/{chart_id}/csv`: a saved chart's results as CSV text, the path Amplitude's
/// docs show since 2025-03.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChartCsvQuery {
    /// The ID in the chart's URL.
    pub chart_id: String,
}

impl ChartCsvQuery {
    /// The CSV of chart `chart_id`.
    pub fn new(chart_id: impl Into<String>) -> Self {
        Self {
            chart_id: chart_id.into(),
        }
    }
}

impl Query for ChartCsvQuery {
    type Response = ChartCsvResponse;

    fn spec(&self) -> &'static EndpointSpec {
        &GET_CHART_CSV
    }

    fn path(&self) -> Cow<'static, str> {
        Cow::Owned(self.spec().path.replace("{chart_id}", &self.chart_id))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_chart_id(&self.chart_id)
    }

    fn query_pairs(&self) -> QueryPairs {
        QueryPairs::new()
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

/// A saved chart's JSON results, with the metadata real responses carry.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChartResponse {
    /// The results; their shape depends on the chart type.
    pub data: ChartData,
    /// The cost Amplitude charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nova_cost: Option<f64>,
    /// Served from cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_cached: Option<bool>,
    /// How fresh the cached result is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_freshness: Option<String>,
    /// Query IDs.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_ids: Vec<String>,
}

/// Saved-chart results: a [`Series`] for time-series charts (`series` of `{setId, value}`),
/// anything else as JSON, since Amplitude documents no other chart type's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ChartData {
    /// A time series or distribution.
    Series(Series),
    /// Another chart type's results, as sent.
    Other(serde_json::Value),
}

impl<'de> Deserialize<'de> for ChartData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let is_series = value.get("series").is_some_and(serde_json::Value::is_array)
            && value
                .get("xValues")
                .is_some_and(serde_json::Value::is_array);
        if is_series {
            Series::deserialize(value)
                .map(Self::Series)
                .map_err(serde::de::Error::custom)
        } else {
            Ok(Self::Other(value))
        }
    }
}

/// The answer of the CSV path: `{"data": "<csv text>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChartCsvResponse {
    /// The CSV text, or structured data for chart types that send it.
    pub data: ChartCsv,
}

/// What the CSV path puts in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ChartCsv {
    /// CSV text: title lines, a blank line, a `Segment` header with one column per date, one row
    /// per segment.
    Text(String),
    /// Structured data some chart types send instead.
    Structured(serde_json::Value),
}

impl ChartCsvResponse {
    /// A response whose body was the CSV text itself rather than JSON around it.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            data: ChartCsv::Text(text.into()),
        }
    }
}

impl ChartCsv {
    /// The CSV text, when Amplitude sent text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Structured(_) => None,
        }
    }
}
