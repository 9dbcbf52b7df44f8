//! What real answers say about themselves next to `data`: whether the result was cached,
//! sampled, pruned or cut, and what it cost. The docs leave these keys out; clients that care
//! about correctness read them (reference 6.3).

use serde::{Deserialize, Serialize};
use serde_with::{DefaultOnError, serde_as};

/// Keys an answer carried that the SDK does not name, kept as sent so a caller can read a field
/// before the SDK types it.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// The top-level metadata of chart, segmentation, funnel, session and other Dashboard answers.
/// Every field is optional: Amplitude sends some of them on some answers. A value of an
/// unexpected type reads as absent rather than failing the answer.
#[serde_as]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Metadata {
    /// Served from Amplitude's cache.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was_cached: Option<bool>,
    /// When the result was computed, epoch milliseconds.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_computed: Option<i64>,
    /// How fresh a cached result is (`"FRESH"`).
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_freshness: Option<String>,
    /// The cost Amplitude charged.
    #[serde_as(as = "DefaultOnError<crate::dashboard::FlexNumber>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nova_cost: Option<f64>,
    /// The lowest sampling rate used: 1 for a result over every event, below 1 for an estimate.
    #[serde_as(as = "DefaultOnError<crate::dashboard::FlexNumber>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_sample_rate: Option<f64>,
    /// Some of the result was pruned away.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pruned_result: Option<bool>,
    /// The result was cut at the group-by `limit`: more groups exist.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hit_chunk_group_by_limit: Option<bool>,
    /// Not in the cache and not computed.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed_cache_and_not_computed: Option<bool>,
    /// Merged-user and new-user information was only partly available.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_merged_and_new_user_information: Option<bool>,
    /// The latest (realtime) data was missing from the result.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_data_missing: Option<bool>,
    /// The IDs of the queries behind the answer.
    #[serde_as(as = "DefaultOnError")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_ids: Option<Vec<String>>,
}

impl Metadata {
    /// Why the result may not be whole, one sentence each; empty for a complete result.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(rate) = self.min_sample_rate.filter(|rate| *rate < 1.0) {
            warnings.push(format!(
                "the result is sampled (minSampleRate {rate}): its figures are estimates"
            ));
        }
        let flags = [
            (
                self.pruned_result,
                "the result was pruned (prunedResult): some of it is missing",
            ),
            (
                self.hit_chunk_group_by_limit,
                "the result was cut at the group-by limit (hitChunkGroupByLimit): more groups exist; raise the limit or narrow the query",
            ),
            (
                self.missed_cache_and_not_computed,
                "the result was not computed (missedCacheAndNotComputed): ask again later",
            ),
            (
                self.realtime_data_missing,
                "realtime data is missing (realtimeDataMissing): the latest intervals may be low",
            ),
        ];
        warnings.extend(
            flags
                .into_iter()
                .filter(|(flag, _)| *flag == Some(true))
                .map(|(_, warning)| warning.to_owned()),
        );
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_result_warns_of_nothing_and_each_flag_is_named() {
        let complete: Metadata = serde_json::from_str(
            r#"{"minSampleRate": 1, "prunedResult": false, "hitChunkGroupByLimit": false, "wasCached": true}"#,
        )
        .unwrap();
        assert!(complete.warnings().is_empty());
        let cut: Metadata = serde_json::from_str(
            r#"{"minSampleRate": 0.25, "prunedResult": true, "hitChunkGroupByLimit": true, "realtimeDataMissing": true}"#,
        )
        .unwrap();
        let warnings = cut.warnings().join("\n");
        for word in [
            "sampled (minSampleRate 0.25)",
            "prunedResult",
            "hitChunkGroupByLimit",
            "realtimeDataMissing",
        ] {
            assert!(warnings.contains(word), "{word} missing from {warnings}");
        }
    }

    #[test]
    fn a_value_of_another_type_reads_as_absent() {
        let odd: Metadata =
            serde_json::from_str(r#"{"timeComputed": "soon", "wasCached": 1, "novaCost": 415}"#)
                .unwrap();
        assert_eq!(odd.time_computed, None);
        assert_eq!(odd.was_cached, None);
        assert_eq!(odd.nova_cost, Some(415.0));
    }
}
