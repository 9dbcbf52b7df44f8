//! Several segments in one query (`s` repeated): each endpoint that takes `s` answers one result
//! per segment, in order, each the same as the query with that segment alone, told apart by its
//! segment index.

use amp_dashboard::*;
use amp_transport::{Client, Endpoint};
use serde::Serialize;
use serde_json::Value;

use super::{client, config, days, start};

fn property(name: &str, value: &str) -> Segment {
    Segment::new(vec![Condition::property(name, FilterOperator::Is, [value])])
}

/// Two segments that tell the fixture's users apart.
fn countries() -> [Segment; 2] {
    [
        property("country", "United States"),
        property("country", "Germany"),
    ]
}

/// The answer to the query `make` builds for both `segments`, and to each segment alone.
async fn compared<E: Endpoint>(
    client: &Client,
    segments: &[Segment; 2],
    make: impl Fn(&[Segment]) -> E,
) -> (E::Response, [E::Response; 2]) {
    let both = client.send(&make(segments)).await.unwrap();
    let first = client.send(&make(&segments[..1])).await.unwrap();
    let second = client.send(&make(&segments[1..])).await.unwrap();
    (both, [first, second])
}

/// The per-segment results at `pick` (a JSON pointer to an array), each without `strip`: what
/// must equal the one-segment answers.
fn parts<T: Serialize>(answer: &T, pick: &str, strip: &str) -> Vec<Value> {
    let mut value = serde_json::to_value(answer).unwrap();
    let items = value
        .pointer_mut(pick)
        .and_then(Value::as_array_mut)
        .unwrap();
    for item in items.iter_mut() {
        item.as_object_mut().unwrap().remove(strip);
    }
    std::mem::take(items)
}

/// The segment index of every item of the array at `path`, read at `index` in each.
fn indices<T: Serialize>(answer: &T, path: &str, index: &str) -> Vec<u64> {
    let value = serde_json::to_value(answer).unwrap();
    value
        .pointer(path)
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|item| item.pointer(index).and_then(Value::as_u64).unwrap())
        .collect()
}

#[tokio::test]
async fn each_segment_is_its_own_series_in_segmentation_and_users() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let week = days("20240301", "20240307");

    let (both, [us, de]) = compared(&client, &countries(), |segments| {
        segments.iter().cloned().fold(
            GetEventSegmentation::new(Event::new("Open App"), week),
            GetEventSegmentation::segment,
        )
    })
    .await;
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_ne!(
        both.data.series[0], both.data.series[1],
        "the segments differ"
    );
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
    let segments: std::collections::BTreeSet<Option<u32>> =
        both.data.rows().map(|row| row.segment).collect();
    assert_eq!(
        segments,
        [Some(0), Some(1)].into(),
        "the tidy rows say which"
    );

    let (both, [us, de]) = compared(&client, &countries(), |segments| {
        segments
            .iter()
            .cloned()
            .fold(GetUsers::new(week), GetUsers::segment)
    })
    .await;
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
}

#[tokio::test]
async fn each_segment_is_its_own_funnel_retention_and_ltv_series() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let week = days("20240301", "20240307");

    let plans = [property("gp:plan", "premium"), property("gp:plan", "free")];
    let steps = || vec![Event::new("Open App"), Event::new("Play Song")];
    let (both, [premium, free]) = compared(&client, &plans, |segments| {
        segments
            .iter()
            .cloned()
            .fold(GetFunnel::new(steps(), week), GetFunnel::segment)
    })
    .await;
    assert_eq!(indices(&both, "/data", "/meta/segmentIndex"), [0, 1]);
    assert_eq!(
        parts(&both, "/data", "meta"),
        [
            parts(&premium, "/data", "meta"),
            parts(&free, "/data", "meta")
        ]
        .concat()
    );
    assert_ne!(
        both.data[0].cumulative_raw, both.data[1].cumulative_raw,
        "the segments differ"
    );

    let (both, [us, de]) = compared(&client, &countries(), |segments| {
        segments.iter().cloned().fold(
            GetRetention::new(Event::new("_new"), Event::new("_all"), week),
            GetRetention::segment,
        )
    })
    .await;
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
    assert_ne!(
        both.data.series[0], both.data.series[1],
        "the segments differ"
    );

    let (both, [us, de]) = compared(&client, &countries(), |segments| {
        segments
            .iter()
            .cloned()
            .fold(GetRevenueLtv::new(week), GetRevenueLtv::segment)
    })
    .await;
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_ne!(
        both.data.series[0], both.data.series[1],
        "the segments differ"
    );
}

#[tokio::test]
async fn two_group_bys_on_users_group_by_both() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let week = days("20240301", "20240307");
    let answer = client
        .send(&GetUsers::new(week).group_by("country").group_by("platform"))
        .await
        .unwrap();
    let labels: Vec<String> = (0..answer.data.series.len())
        .map(|index| answer.data.label(index).into_owned())
        .collect();
    assert!(
        labels.contains(&"United States / iOS".to_owned()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"Germany / Android".to_owned()),
        "{labels:?}"
    );
    let by_country = client
        .send(&GetUsers::new(week).group_by("country"))
        .await
        .unwrap();
    assert_eq!(
        answer.data.series.len(),
        by_country.data.series.len(),
        "each user here has one platform"
    );
}
