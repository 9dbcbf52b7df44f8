use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_with::ser::SerializeAsWrap;
use serde_with::{DefaultOnNull, serde_as};

use crate::dashboard::{FlexNumber, RevenueLtvQuery, SeriesLabel};

impl_bucketed_query!(RevenueLtvQuery, RevenueLtvResponse);

/// `{"data": ...}` of `/api/2/revenue/ltv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevenueLtvResponse {
    /// The result.
    pub data: LtvData,
    /// Whether the result is whole (sampled, pruned, cut at the group-by limit) and cached.
    #[serde(flatten)]
    pub metadata: crate::dashboard::Metadata,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

impl RevenueLtvResponse {
    /// One row per (series, start date, day N) of the `rNd` figures: the tidy view. Rows follow
    /// the keys of `values`, oldest date first, since `dates` may not match them.
    pub fn rows(&self) -> impl Iterator<Item = LtvRow<'_>> + '_ {
        self.data
            .series
            .iter()
            .enumerate()
            .flat_map(|(series, ltv)| {
                ltv.values.iter().flat_map(move |(date, figures)| {
                    figures.revenue.iter().map(move |(day, value)| LtvRow {
                        series,
                        date,
                        day: *day,
                        value: *value,
                    })
                })
            })
    }
}

/// The LTV result: one series per segment or group value.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LtvData {
    /// Group labels per series.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub series_labels: Vec<SeriesLabel>,
    /// The series.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub series: Vec<LtvSeries>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// LTV of one segment or group value, per start date.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LtvSeries {
    /// Start dates, `YYYY-MM-DD`, newest first.
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub dates: Vec<String>,
    /// Figures per start date. Keys may not match `dates` (the docs' own example does not).
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default)]
    pub values: BTreeMap<String, LtvDay>,
    /// Per start date, whether each `rNd` figure is final (real responses).
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub complete: BTreeMap<String, BTreeMap<String, bool>>,
    /// All start dates together (real responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined: Option<LtvDay>,
    /// Whether each combined figure is final (real responses).
    #[serde_as(as = "DefaultOnNull")]
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub combined_complete: BTreeMap<String, bool>,
    /// Keys the SDK does not name, as sent.
    #[serde(flatten)]
    pub extra: crate::dashboard::Extra,
}

/// The figures of one start date: `count`, `paid`, `total_amount`, and the `rNd` and `rNnew`
/// series keyed by day N (docs show up to d90, real responses up to d180).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct LtvDay {
    /// Users who started that day.
    pub count: Option<f64>,
    /// Paying users.
    pub paid: Option<f64>,
    /// Revenue in total.
    pub total_amount: Option<f64>,
    /// `rtotal` (real responses).
    pub rtotal: Option<f64>,
    /// `rtotalnew` (real responses).
    pub rtotalnew: Option<f64>,
    /// `rNd`: the metric N days after the start, by N.
    pub revenue: BTreeMap<u32, f64>,
    /// `rNnew`: new payers on day N, by N (real responses).
    pub new_payers: BTreeMap<u32, f64>,
}

impl<'de> Deserialize<'de> for LtvDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A handful of keys per date: reading them through `Value` keeps this simple.
        let fields = BTreeMap::<String, Value>::deserialize(deserializer)?;
        let mut day = LtvDay::default();
        for (key, value) in fields {
            let Some(number) = value.as_f64() else {
                continue;
            };
            let day_number = |suffix: &str| {
                key.strip_prefix('r')?
                    .strip_suffix(suffix)?
                    .parse::<u32>()
                    .ok()
            };
            match key.as_str() {
                "count" => day.count = Some(number),
                "paid" => day.paid = Some(number),
                "total_amount" => day.total_amount = Some(number),
                "rtotal" => day.rtotal = Some(number),
                "rtotalnew" => day.rtotalnew = Some(number),
                _ => {
                    if let Some(n) = day_number("d") {
                        day.revenue.insert(n, number);
                    } else if let Some(n) = day_number("new") {
                        day.new_payers.insert(n, number);
                    }
                }
            }
        }
        Ok(day)
    }
}

impl Serialize for LtvDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let named = [
            ("count", self.count),
            ("paid", self.paid),
            ("total_amount", self.total_amount),
            ("rtotal", self.rtotal),
            ("rtotalnew", self.rtotalnew),
        ];
        let number = SerializeAsWrap::<f64, FlexNumber>::new;
        for (key, value) in &named {
            if let Some(value) = value {
                map.serialize_entry(key, &number(value))?;
            }
        }
        for (day, value) in &self.revenue {
            map.serialize_entry(&format!("r{day}d"), &number(value))?;
        }
        for (day, value) in &self.new_payers {
            map.serialize_entry(&format!("r{day}new"), &number(value))?;
        }
        map.end()
    }
}

/// One `rNd` figure with its series and start date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LtvRow<'a> {
    /// Index of the series.
    pub series: usize,
    /// Start date.
    pub date: &'a str,
    /// Days after the start.
    pub day: u32,
    /// The metric.
    pub value: f64,
}
