//! The column-of-arrays result shape most Dashboard endpoints share, and its tidy rows view.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_with::{DeserializeAs, SerializeAs, serde_as};

use crate::dashboard::{Extra, Metadata};

/// `{"data": ...}` around a [`Series`], with the metadata real answers carry beside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SeriesResponse {
    /// The result.
    pub data: Series,
    /// Whether the result is whole (sampled, pruned, cut at the group-by limit) and cached.
    #[serde(flatten)]
    pub metadata: Metadata,
    /// Top-level keys the SDK does not name (`withSets`, `novaRuntime`, ...), as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A time series or distribution as Amplitude sends it: `series[k][j]` is the value of group
/// `k` at `x_values[j]`, `None` where Amplitude sent `null` (realtime's intervals still to
/// come).
///
/// Amplitude's documents and its real responses disagree on where group labels live; both are
/// read. Labels come from `seriesLabels` (strings, `0`, or `[index, "value"]`), or, as in the
/// documented `/api/2/users` example, from `seriesMeta` strings.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Series {
    /// The x axis: dates `YYYY-MM-DD`, times `HH:mm`, bins or property values.
    #[serde(default)]
    pub x_values: Vec<String>,
    /// One row of values per group or segment; saved charts send `{setId, value}` objects,
    /// read here as their value.
    #[serde(default)]
    #[serde_as(as = "Vec<Vec<FlexNumber>>")]
    pub series: Vec<Vec<Option<f64>>>,
    /// Group labels, one per row of `series`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_labels: Vec<SeriesLabel>,
    /// Row metadata: segment and event indices, or (documented `/users`) the group labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series_meta: Vec<SeriesMeta>,
    /// One total per row over the whole range (the bar-chart value), written as Amplitude
    /// writes it, `[{"setId": "", "value": n}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde_as(as = "Vec<Vec<SetValue>>")]
    pub series_collapsed: Vec<Vec<Option<f64>>>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Series {
    /// The label of row `index`: the group value when the query had a group-by, else empty.
    pub fn label(&self, index: usize) -> Cow<'_, str> {
        match self.series_labels.get(index) {
            Some(SeriesLabel::Name(name)) => Cow::Borrowed(name),
            Some(SeriesLabel::Grouped { values, .. }) => match values.as_slice() {
                [one] => Cow::Borrowed(one),
                many => Cow::Owned(many.join(" / ")),
            },
            Some(SeriesLabel::Index(_)) | None => match self.series_meta.get(index) {
                Some(SeriesMeta::Label(name)) => Cow::Borrowed(name),
                _ => Cow::Borrowed(""),
            },
        }
    }

    /// The segment row `index` belongs to (`seriesMeta[index].segmentIndex`), when sent.
    pub fn segment(&self, index: usize) -> Option<u32> {
        match self.series_meta.get(index) {
            Some(SeriesMeta::Indices(indices)) => indices.segment_index,
            _ => None,
        }
    }

    /// The bar-chart total of row `index`, when Amplitude sent one.
    pub fn collapsed(&self, index: usize) -> Option<f64> {
        self.series_collapsed
            .get(index)
            .and_then(|values| values.first().copied().flatten())
    }

    /// One row per (group, x value): the tidy view of the columns. A row of `series` longer
    /// than `x_values` is cut to it.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        self.series
            .iter()
            .enumerate()
            .flat_map(move |(index, values)| {
                let label = self.label(index);
                let segment = self.segment(index);
                self.x_values.iter().zip(values).map(move |(x, value)| Row {
                    series: index,
                    segment,
                    label: label.clone(),
                    x,
                    value: *value,
                })
            })
    }
}

/// One value of a [`Series`] with its group and x value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Row<'a> {
    /// Row index in `series`.
    pub series: usize,
    /// The segment (`seriesMeta[].segmentIndex`), when Amplitude said.
    pub segment: Option<u32>,
    /// Group label (empty without a group-by).
    pub label: Cow<'a, str>,
    /// The x value.
    pub x: &'a str,
    /// The value; `None` where Amplitude sent `null` (an interval still to come).
    pub value: Option<f64>,
}

/// A collapsed total: read as [`FlexNumber`] reads, written as `{"setId": "", "value": n}`.
struct SetValue;

impl SerializeAs<Option<f64>> for SetValue {
    fn serialize_as<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("setId", "")?;
        map.serialize_entry(
            "value",
            &serde_with::ser::SerializeAsWrap::<_, FlexNumber>::new(value),
        )?;
        map.end()
    }
}

impl<'de> DeserializeAs<'de, Option<f64>> for SetValue {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        deserializer.deserialize_any(FlexNumberVisitor)
    }
}

/// A label in `seriesLabels`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SeriesLabel {
    /// A bare index (`0`), sent when there is no group-by.
    Index(i64),
    /// A label (`"United States"`, `"Today"`).
    Name(String),
    /// `[index, "value", ...]`, sent with a group-by: the event index and the group values.
    Grouped {
        /// The leading index, if there was one.
        index: Option<i64>,
        /// The group values.
        values: Vec<String>,
    },
}

impl Serialize for SeriesLabel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Index(index) => serializer.serialize_i64(*index),
            Self::Name(name) => serializer.serialize_str(name),
            Self::Grouped { index, values } => {
                let mut items: Vec<serde_json::Value> = index.iter().map(|i| (*i).into()).collect();
                items.extend(values.iter().map(|value| value.as_str().into()));
                items.serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for SeriesLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        // Labels are few (one per group), so reading them through `Value` costs nothing.
        Ok(match Value::deserialize(deserializer)? {
            Value::Number(number) => match number.as_i64() {
                Some(index) => Self::Index(index),
                None => Self::Name(number.to_string()),
            },
            Value::String(name) => Self::Name(name),
            Value::Array(items) => {
                let mut items = items.into_iter().peekable();
                let index = items
                    .next_if(Value::is_i64)
                    .and_then(|value| value.as_i64());
                let values = items
                    .filter(|value| !value.is_null())
                    .map(|value| plain_text(&value))
                    .collect();
                Self::Grouped { index, values }
            }
            Value::Null => Self::Name(String::new()),
            other => Self::Name(plain_text(&other)),
        })
    }
}

fn plain_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An entry of `seriesMeta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum SeriesMeta {
    /// A group label (the documented `/api/2/users` example).
    Label(String),
    /// Which segment, event and formula a row belongs to (real responses).
    Indices(SeriesIndices),
}

/// Indices of a row in `seriesMeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SeriesIndices {
    /// Which segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_index: Option<u32>,
    /// Which event (0 for `e`, 1 for `e2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    /// Which formula.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula_index: Option<u32>,
    /// The formula text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A number as Amplitude may send it in a series: a JSON number, a numeric string, or a
/// `{"setId": ..., "value": n}` object; as an `Option<f64>`, `null` is a missing value. Written
/// back as a plain number, a whole number without a fraction (as Amplitude writes counts).
pub struct FlexNumber;

/// Writes `value` as JSON writes it when sent: `12`, not `12.0`, for a whole number.
fn write_number<S: Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole number below is exact
    if value.fract() == 0.0 && value.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        return serializer.serialize_i64(value as i64);
    }
    serializer.serialize_f64(value)
}

impl SerializeAs<f64> for FlexNumber {
    fn serialize_as<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        write_number(*value, serializer)
    }
}

impl SerializeAs<Option<f64>> for FlexNumber {
    fn serialize_as<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => write_number(*value, serializer),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de> DeserializeAs<'de, f64> for FlexNumber {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        deserializer
            .deserialize_any(FlexNumberVisitor)?
            .ok_or_else(|| de::Error::custom("a number is missing here (null)"))
    }
}

impl<'de> DeserializeAs<'de, Option<f64>> for FlexNumber {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        deserializer.deserialize_any(FlexNumberVisitor)
    }
}

struct FlexNumberVisitor;

impl<'de> Visitor<'de> for FlexNumberVisitor {
    type Value = Option<f64>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a number, a numeric string, null or an object with a `value`")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    #[allow(clippy::cast_precision_loss, reason = "counts above 2^53 do not occur")]
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(value as f64))
    }

    #[allow(clippy::cast_precision_loss, reason = "counts above 2^53 do not occur")]
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(value as f64))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| E::custom(format!("`{value}` is not a number")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "value" {
                found = Some(map.next_value_seed(FlexNumberSeed)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| de::Error::missing_field("value"))
    }
}

struct FlexNumberSeed;

impl<'de> de::DeserializeSeed<'de> for FlexNumberSeed {
    type Value = Option<f64>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(FlexNumberVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_wherever_amplitude_put_them() {
        let grouped: Series = serde_json::from_str(
            r#"{"xValues":["d1"],"series":[[1],[2]],"seriesLabels":[[0,"US"],"Germany"]}"#,
        )
        .unwrap();
        assert_eq!(grouped.label(0), "US");
        assert_eq!(grouped.label(1), "Germany");
        let documented_users: Series =
            serde_json::from_str(r#"{"xValues":["d1"],"series":[[1]],"seriesMeta":["Canada"]}"#)
                .unwrap();
        assert_eq!(documented_users.label(0), "Canada");
        let ungrouped: Series = serde_json::from_str(
            r#"{"xValues":["d1"],"series":[[1]],"seriesLabels":[0],"seriesMeta":[{"segmentIndex":0}]}"#,
        )
        .unwrap();
        assert_eq!(ungrouped.label(0), "");
        assert_eq!(ungrouped.label(7), "");
    }

    #[test]
    fn values_may_be_numbers_strings_or_objects() {
        let series: Series = serde_json::from_str(
            r#"{"xValues":["a","b","c"],"series":[[1, "2.5", {"setId": "", "value": 3}]],"seriesCollapsed":[[{"setId":"","value":6.5}]]}"#,
        )
        .unwrap();
        assert_eq!(series.series, vec![vec![Some(1.0), Some(2.5), Some(3.0)]]);
        assert_eq!(series.collapsed(0), Some(6.5));
        let bad = serde_json::from_str::<Series>(r#"{"series":[[{"setId":""}]]}"#).unwrap_err();
        assert!(bad.to_string().contains("value"), "{bad}");
    }

    #[test]
    fn null_is_a_missing_value_and_stays_one() {
        let text = r#"{"xValues":["00:00","00:05","00:10"],"series":[[4,null,null]],"seriesCollapsed":[[{"setId":"","value":null}]]}"#;
        let series: Series = serde_json::from_str(text).unwrap();
        assert_eq!(series.series, vec![vec![Some(4.0), None, None]]);
        assert_eq!(series.collapsed(0), None);
        let values: Vec<Option<f64>> = series.rows().map(|row| row.value).collect();
        assert_eq!(values, [Some(4.0), None, None]);
        let written = serde_json::to_value(&series).unwrap();
        assert_eq!(written["series"], serde_json::json!([[4, null, null]]));
    }

    #[test]
    fn whole_numbers_are_written_as_integers_and_unknown_keys_are_kept() {
        let text = r#"{"data":{"xValues":["d1"],"series":[[3,1.5]],"seriesCollapsed":[[{"setId":"","value":4.5}]],"futureKey":{"a":1}},"wasCached":true,"novaRuntime":12,"withSets":false}"#;
        let response: SeriesResponse = serde_json::from_str(text).unwrap();
        assert_eq!(response.metadata.was_cached, Some(true));
        assert_eq!(response.extra["novaRuntime"], 12);
        assert_eq!(response.data.extra["futureKey"]["a"], 1);
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap(), expected);
    }

    #[test]
    fn rows_pair_each_value_with_its_group_and_x() {
        let series: Series = serde_json::from_str(
            r#"{"xValues":["d1","d2"],"series":[[1,2],[3,4,99]],"seriesLabels":["A","B"]}"#,
        )
        .unwrap();
        let rows: Vec<(String, &str, f64)> = series
            .rows()
            .map(|row| (row.label.into_owned(), row.x, row.value.unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                ("A".into(), "d1", 1.0),
                ("A".into(), "d2", 2.0),
                ("B".into(), "d1", 3.0),
                ("B".into(), "d2", 4.0)
            ]
        );
        assert_eq!(Series::default().rows().count(), 0);
    }
}
