//! Several segments in one query (`s` repeated): each endpoint that takes `s` answers one result
//! per segment, in order, each the same as the query with that segment alone, told apart by its
//! segment index.

use amp_dashboard::*;
use serde::Serialize;
use serde_json::Value;

use super::{client, config, days, start};

fn country(name: &str) -> Segment {
    Segment::new(vec![Condition::property(
        "country",
        FilterOperator::Is,
        [name],
    )])
}

fn plan(name: &str) -> Segment {
    Segment::new(vec![Condition::property(
        "gp:plan",
        FilterOperator::Is,
        [name],
    )])
}

/// The per-segment results of an answer (`pick`), re-serialised, with each segment index taken
/// out (`strip`): what must equal the one-segment answers.
fn parts<T: Serialize>(answer: &T, pick: &str, strip: &[&str]) -> Vec<Value> {
    let mut value = serde_json::to_value(answer).unwrap();
    let mut items = value
        .pointer_mut(pick)
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    for item in &mut items {
        for key in strip {
            if let Some(object) = item.as_object_mut() {
                object.remove(*key);
            }
        }
    }
    items
}

/// The segment index of every result in `answer` at `path` (a JSON pointer to an array whose
/// items carry it at `index`).
fn indices<T: Serialize>(answer: &T, path: &str, index: &str) -> Vec<u64> {
    let value = serde_json::to_value(answer).unwrap();
    value
        .pointer(path)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| item.pointer(index).and_then(Value::as_u64).unwrap())
        .collect()
}

#[tokio::test]
async fn each_segment_is_its_own_series_in_segmentation_and_users() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let week = days("20240301", "20240307");
    let open = || Event::new("Open App");
    let segments = || [country("United States"), country("Germany")];

    // Segmentation and users: one series per segment.
    let both = client
        .send(
            &GetEventSegmentation::new(open(), week)
                .segment(segments()[0].clone())
                .segment(segments()[1].clone()),
        )
        .await
        .unwrap();
    let mut alone = Vec::new();
    for segment in segments() {
        alone.push(
            client
                .send(&GetEventSegmentation::new(open(), week).segment(segment))
                .await
                .unwrap(),
        );
    }
    assert_eq!(both.data.series.len(), 2);
    assert_eq!(
        both.data.series,
        [alone[0].data.series.clone(), alone[1].data.series.clone()].concat()
    );
    assert_ne!(
        both.data.series[0], both.data.series[1],
        "the segments differ"
    );
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
    assert_eq!(
        both.data
            .rows()
            .map(|row| row.segment)
            .collect::<std::collections::BTreeSet<_>>(),
        [Some(0), Some(1)].into()
    );

    let users = |segments: Vec<Segment>| {
        let mut query = GetUsers::new(week);
        for segment in segments {
            query = query.segment(segment);
        }
        query
    };
    let both = client.send(&users(segments().to_vec())).await.unwrap();
    let us = client
        .send(&users(vec![segments()[0].clone()]))
        .await
        .unwrap();
    let de = client
        .send(&users(vec![segments()[1].clone()]))
        .await
        .unwrap();
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
}

#[tokio::test]
async fn each_segment_is_its_own_funnel_retention_and_ltv_series() {
    let emulator = start(config()).await;
    let client = client(&emulator);
    let week = days("20240301", "20240307");
    let play = || Event::new("Play Song");
    let open = || Event::new("Open App");
    let segments = || [country("United States"), country("Germany")];

    // Funnels: one funnel per segment.
    let funnel = |segments: Vec<Segment>| {
        let mut query = GetFunnel::new(vec![open(), play()], week);
        for segment in segments {
            query = query.segment(segment);
        }
        query
    };
    let plans = || vec![plan("premium"), plan("free")];
    let both = client.send(&funnel(plans())).await.unwrap();
    let premium = client
        .send(&funnel(vec![plans()[0].clone()]))
        .await
        .unwrap();
    let free = client
        .send(&funnel(vec![plans()[1].clone()]))
        .await
        .unwrap();
    assert_eq!(indices(&both, "/data", "/meta/segmentIndex"), [0, 1]);
    assert_eq!(
        parts(&both, "/data", &["meta"]),
        [
            parts(&premium, "/data", &["meta"]),
            parts(&free, "/data", &["meta"])
        ]
        .concat()
    );
    assert_ne!(
        both.data[0].cumulative_raw, both.data[1].cumulative_raw,
        "the segments differ"
    );

    // Retention and LTV: one series per segment.
    let retention = |segments: Vec<Segment>| {
        let mut query = GetRetention::new(Event::new("_new"), Event::new("_all"), week);
        for segment in segments {
            query = query.segment(segment);
        }
        query
    };
    let both = client.send(&retention(segments().to_vec())).await.unwrap();
    let us = client
        .send(&retention(vec![segments()[0].clone()]))
        .await
        .unwrap();
    let de = client
        .send(&retention(vec![segments()[1].clone()]))
        .await
        .unwrap();
    assert_eq!(both.data.series, [us.data.series, de.data.series].concat());
    assert_eq!(indices(&both, "/data/seriesMeta", "/segmentIndex"), [0, 1]);
    assert_ne!(
        both.data.series[0], both.data.series[1],
        "the segments differ"
    );

    let ltv = |segments: Vec<Segment>| {
        let mut query = GetRevenueLtv::new(week);
        for segment in segments {
            query = query.segment(segment);
        }
        query
    };
    let both = client.send(&ltv(segments().to_vec())).await.unwrap();
    let us = client
        .send(&ltv(vec![segments()[0].clone()]))
        .await
        .unwrap();
    let de = client
        .send(&ltv(vec![segments()[1].clone()]))
        .await
        .unwrap();
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
