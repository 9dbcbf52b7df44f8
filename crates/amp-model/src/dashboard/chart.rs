use serde::{Deserialize, Deserializer, Serialize};
use serde_with::serde_as;

use crate::dashboard::Series;
use crate::dashboard::{ChartCsvQuery, ChartQuery};
use crate::{Cost, Query, ValidationError, param};

fn check_chart_id(chart_id: &str) -> Result<(), ValidationError> {
    if chart_id.is_empty()
        || !chart_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ValidationError::new(
            param::CHART_ID,
            format!(
                "`{chart_id}` is not a chart ID; use the letters and digits after /chart/ in the chart's URL"
            ),
        ));
    }
    Ok(())
}

impl Query for ChartQuery {
    type Response = ChartResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        check_chart_id(&self.chart_id)
    }

    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }
}

impl Query for ChartCsvQuery {
    type Response = ChartCsvResponse;

    fn validate_rules(&self) -> Result<(), ValidationError> {
        check_chart_id(&self.chart_id)
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
    /// Whether the result is whole (sampled, pruned, cut at the group-by limit) and cached.
    #[serde(flatten)]
    pub metadata: crate::dashboard::Metadata,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// Saved-chart results: a [`Series`] for time-series charts (`series` of `{setId, value}`, and
/// written back so), anything else as JSON, since Amplitude documents no other chart type's
/// shape.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChartData {
    /// A time series or distribution.
    Series(Series),
    /// Another chart type's results, as sent.
    Other(serde_json::Value),
}

impl Serialize for ChartData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Series(series) => {
                let mut value = serde_json::to_value(series).map_err(serde::ser::Error::custom)?;
                let cells = value["series"].as_array_mut().into_iter().flatten();
                for cell in cells.filter_map(serde_json::Value::as_array_mut).flatten() {
                    *cell = serde_json::json!({"setId": "", "value": cell.take()});
                }
                value.serialize(serializer)
            }
            Self::Other(value) => value.serialize(serializer),
        }
    }
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
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
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
            extra: crate::dashboard::Extra::new(),
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
