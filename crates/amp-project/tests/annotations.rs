//! Chart annotations through the client against the emulator: created, listed, updated,
//! categorised and deleted, with Amplitude's error statuses; and the requests as Amplitude
//! documents them.

#[path = "support/client.rs"]
mod support;

use amp_emulator::{Config, Emulator};
use amp_project::annotations::{
    AssignAnnotationCategory, CreateAnnotation, CreateAnnotationCategory, DeleteAnnotation,
    DeleteAnnotationCategory, GetAnnotation, ListAnnotationCategories, ListAnnotations,
    ListAnnotationsV2, RenameAnnotationCategory, Timestamp, UpdateAnnotation,
};
use amp_transport::{Endpoint as _, Method};
use serde_json::json;

use support::client;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn emulator(state: Option<&std::path::Path>) -> Emulator {
    let mut builder = Emulator::builder().config(Config::default());
    if let Some(dir) = state {
        builder = builder.state_dir(dir);
    }
    builder.start().await.unwrap()
}

/// The method, path and query, and JSON body of `endpoint`.
fn written(endpoint: &impl amp_transport::Endpoint) -> (Method, String, serde_json::Value) {
    let request = endpoint.to_request();
    let body = request
        .body
        .as_ref()
        .map_or(serde_json::Value::Null, |body| {
            assert_eq!(body.content_type, "application/json");
            serde_json::from_slice(&body.bytes).unwrap()
        });
    (request.method, request.path_and_query(), body)
}

#[test]
fn requests_are_written_as_amplitude_documents_them() {
    let start = at("2025-11-01T07:00:00+00:00");
    let create = CreateAnnotation::new("v2.3", start)
        .category("Releases")
        .details("New player")
        .end(at("2025-11-02T07:00:00+00:00"));
    assert_eq!(
        written(&create),
        (
            Method::Post,
            "/api/3/annotations".into(),
            json!({"label": "v2.3", "start": "2025-11-01T07:00:00+00:00", "category": "Releases", "details": "New player", "end": "2025-11-02T07:00:00+00:00"})
        )
    );
    assert!(!create.to_request().repeatable);
    // `null` makes an annotation global and removes its end; unset fields are not sent.
    let update = UpdateAnnotation::new(12345)
        .chart_id(None)
        .end(None)
        .label("v2.3.1");
    assert_eq!(
        written(&update),
        (
            Method::Put,
            "/api/3/annotations/12345".into(),
            json!({"label": "v2.3.1", "chart_id": null, "end": null})
        )
    );
    assert!(update.to_request().repeatable, "an update sets a state");
    let list = ListAnnotations::new().category("Releases").start(start);
    assert_eq!(
        list.to_request().path_and_query(),
        "/api/3/annotations?category=Releases&start=2025-11-01T07:00:00%2B00:00"
    );
    let both = ListAnnotations::new().category("Releases").chart_id("abc");
    assert!(
        both.validate()
            .unwrap_err()
            .to_string()
            .contains("not both")
    );
    let backwards = CreateAnnotation::new("x", start).end(at("2025-10-01T00:00:00+00:00"));
    assert!(
        backwards
            .validate()
            .unwrap_err()
            .to_string()
            .contains("before")
    );
    assert_eq!(
        written(&DeleteAnnotation::new(7)),
        (
            Method::Delete,
            "/api/3/annotations/7".into(),
            serde_json::Value::Null
        )
    );
    assert_eq!(
        written(&AssignAnnotationCategory::new(6789, vec![1, 2])),
        (
            Method::Put,
            "/api/3/annotation-categories/bulk/6789".into(),
            json!({"annotation_ids": [1, 2]})
        )
    );
    assert_eq!(
        written(&RenameAnnotationCategory::new(569, "Launches")).2,
        json!({"category": "Launches"})
    );
    assert_eq!(
        ListAnnotationsV2::new().to_request().path_and_query(),
        "/api/2/annotations"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_annotation_is_created_listed_updated_categorised_and_deleted() {
    let emulator = emulator(None).await;
    let client = client(&emulator);
    let releases = client
        .send(&CreateAnnotationCategory::new("Releases"))
        .await
        .unwrap()
        .data;
    assert_eq!(releases.name, "Releases");
    let taken = client
        .send(&CreateAnnotationCategory::new("Releases"))
        .await
        .unwrap_err();
    assert_eq!(taken.status(), Some(409), "{taken}");

    let start = at("2025-11-01T07:00:00+00:00");
    let unknown = client
        .send(&CreateAnnotation::new("v2.3", start).category("Nope"))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404), "{unknown}");
    let created = client
        .send(
            &CreateAnnotation::new("v2.3", start)
                .category("Releases")
                .chart_id("abc123")
                .end(at("2025-11-03T07:00:00+00:00")),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(created.category.as_ref().map(|c| c.id), Some(releases.id));
    let global = client
        .send(&CreateAnnotation::new(
            "Incident",
            at("2025-12-01T00:00:00+00:00"),
        ))
        .await
        .unwrap()
        .data;
    assert_ne!(global.id, created.id);

    let ids = |list: Vec<amp_project::annotations::Annotation>| -> Vec<u64> {
        list.iter().map(|annotation| annotation.id).collect()
    };
    let list = |query: ListAnnotations| {
        let client = client.clone();
        async move { ids(client.send(&query).await.unwrap().data) }
    };
    assert_eq!(list(ListAnnotations::new()).await, [created.id, global.id]);
    assert_eq!(
        list(ListAnnotations::new().category("Releases")).await,
        [created.id]
    );
    assert_eq!(
        list(ListAnnotations::new().chart_id("abc123")).await,
        [created.id]
    );
    // A range annotation must end before `end`.
    let before = at("2025-11-02T00:00:00+00:00");
    assert!(list(ListAnnotations::new().end(before)).await.is_empty());
    assert_eq!(
        list(ListAnnotations::new().start(at("2025-11-15T00:00:00+00:00"))).await,
        [global.id]
    );

    // An update changes what it names: global again, no end, a new label.
    let updated = client
        .send(
            &UpdateAnnotation::new(created.id)
                .label("v2.3.1")
                .chart_id(None)
                .end(None),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(updated.label, "v2.3.1");
    assert_eq!((updated.chart_id, updated.end), (None, None));
    assert_eq!(updated.start, start);
    assert_eq!(updated.category, created.category);

    // The legacy list shows the same annotations by day.
    let v2 = client.send(&ListAnnotationsV2::new()).await.unwrap().data;
    assert_eq!(v2[0].date, "2025-11-01");
    assert_eq!(v2[0].label, "v2.3.1");

    // Deleted: gone, and a second delete is a 404.
    let deleted = client
        .send(&DeleteAnnotation::new(created.id))
        .await
        .unwrap();
    assert!(deleted.success);
    let gone = client
        .send(&GetAnnotation::new(created.id))
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    let again = client
        .send(&DeleteAnnotation::new(created.id))
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(404), "{again}");
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotations_survive_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!("amp-annotations-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = emulator(Some(&dir)).await;
    let created = client(&first)
        .send(&CreateAnnotation::new(
            "kept",
            at("2025-11-01T07:00:00+00:00"),
        ))
        .await
        .unwrap()
        .data;
    first.stop().await.unwrap();
    let second = emulator(Some(&dir)).await;
    let client = client(&second);
    let fetched = client
        .send(&GetAnnotation::new(created.id))
        .await
        .unwrap()
        .data;
    assert_eq!(fetched, created);
    let next = client
        .send(&CreateAnnotation::new(
            "next",
            at("2025-11-02T07:00:00+00:00"),
        ))
        .await
        .unwrap()
        .data;
    assert!(next.id > created.id, "ids go on after a restart");
    second.stop().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_are_renamed_assigned_in_bulk_and_deleted() {
    let emulator = emulator(None).await;
    let client = client(&emulator);
    let releases = client
        .send(&CreateAnnotationCategory::new("Releases"))
        .await
        .unwrap()
        .data;
    let start = at("2025-11-01T07:00:00+00:00");
    let created = client
        .send(&CreateAnnotation::new("v2.3", start).category("Releases"))
        .await
        .unwrap()
        .data;
    let global = client
        .send(&CreateAnnotation::new("Incident", start))
        .await
        .unwrap()
        .data;
    let in_launches = || async {
        let listed = client
            .send(&ListAnnotations::new().category("Launches"))
            .await
            .unwrap()
            .data;
        listed
            .iter()
            .map(|annotation| annotation.id)
            .collect::<Vec<_>>()
    };
    // A rename shows in the annotations; a bulk assignment moves them.
    let renamed = client
        .send(&RenameAnnotationCategory::new(releases.id, "Launches"))
        .await
        .unwrap()
        .data;
    assert_eq!(renamed.category, "Launches");
    let fetched = client
        .send(&GetAnnotation::new(created.id))
        .await
        .unwrap()
        .data;
    assert_eq!(fetched.category.unwrap().name, "Launches");
    let assigned = client
        .send(&AssignAnnotationCategory::new(releases.id, vec![global.id]))
        .await
        .unwrap()
        .data;
    assert_eq!(assigned[0].category.as_ref().unwrap().name, "Launches");
    assert_eq!(in_launches().await, [created.id, global.id]);
    let categories = client
        .send(&ListAnnotationCategories::new())
        .await
        .unwrap()
        .data;
    assert_eq!(categories.len(), 1);

    let missing = client
        .send(&AssignAnnotationCategory::new(
            releases.id,
            vec![global.id, 999_999],
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404), "{missing}");
    client
        .send(&DeleteAnnotationCategory::new(releases.id))
        .await
        .unwrap();
    let left = client
        .send(&GetAnnotation::new(global.id))
        .await
        .unwrap()
        .data;
    assert_eq!(
        left.category, None,
        "a deleted category leaves its annotations"
    );
    emulator.stop().await.unwrap();
}
