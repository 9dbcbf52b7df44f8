//! Releases through the client against the emulator: recorded, and shown on charts as an
//! annotation unless asked not to be; and the request as Amplitude documents it.

use amp_emulator::Emulator;
use amp_project::annotations::ListAnnotations;
use amp_project::releases::{CreateRelease, ReleaseTime};
use amp_transport::{Client, Endpoint as _, Method, NoRetry};
use serde_json::json;

fn at(text: &str) -> ReleaseTime {
    text.parse().unwrap()
}

#[test]
fn a_release_is_written_as_amplitude_documents_it() {
    let release = CreateRelease::new("2.3.0", at("2025-11-01 07:00:00"), "Big player update")
        .release_end(at("2025-11-01 08:00:00"))
        .platform("iOS")
        .platform("Android")
        .chart_visibility(false);
    let request = release.to_request();
    assert_eq!(request.method, Method::Post);
    assert!(
        !request.repeatable,
        "a release recorded twice is two releases"
    );
    assert_eq!(request.path_and_query(), "/api/2/release");
    let body: serde_json::Value = serde_json::from_slice(&request.body.unwrap().bytes).unwrap();
    assert_eq!(
        body,
        json!({"version": "2.3.0", "release_start": "2025-11-01 07:00:00", "release_end": "2025-11-01 08:00:00", "title": "Big player update", "platforms": ["iOS", "Android"], "chart_visibility": false})
    );
    let error = "2025-11-01T07:00:00".parse::<ReleaseTime>().unwrap_err();
    assert!(error.contains("yyyy-MM-dd HH:mm:ss"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_is_recorded_and_shown_on_charts_unless_hidden() {
    let emulator = Emulator::builder().start().await.unwrap();
    let client = Client::builder()
        .api_key(amp_emulator::config::DEFAULT_API_KEY)
        .secret_key(amp_emulator::config::DEFAULT_SECRET_KEY)
        .base_url(emulator.base_url())
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let shown = client
        .send(
            &CreateRelease::new("2.3.0", at("2025-11-01 07:00:00"), "Big player update")
                .description("A new player")
                .platform("iOS"),
        )
        .await
        .unwrap();
    assert!(shown.success);
    let release = shown.release;
    assert_eq!(release.id.len(), 7);
    assert_eq!(release.app_id, Some(1));
    assert_eq!(release.platforms, ["iOS"]);
    assert_eq!(release.chart_visibility, Some(true));
    let hidden = client
        .send(
            &CreateRelease::new("2.3.1", at("2025-11-02 07:00:00"), "Fix").chart_visibility(false),
        )
        .await
        .unwrap()
        .release;
    assert_ne!(hidden.id, release.id);

    let annotations = client.send(&ListAnnotations::new()).await.unwrap().data;
    assert_eq!(
        annotations.len(),
        1,
        "only the release shown on charts: {annotations:?}"
    );
    assert_eq!(annotations[0].label, "2.3.0 Big player update");
    assert_eq!(
        annotations[0].start.to_string(),
        "2025-11-01T07:00:00+00:00"
    );
    assert_eq!(annotations[0].details.as_deref(), Some("A new player"));
    emulator.stop().await.unwrap();
}
