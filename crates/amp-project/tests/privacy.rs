//! Deletion jobs through the client against the emulator of the fixture project: a job that
//! runs removes its users from segmentation, user search, profiles and exports; a job with a
//! delay can have a user taken out before it runs; and the requests as Amplitude documents
//! them.

#[path = "support/client.rs"]
mod support;

use std::path::Path;
use std::time::Duration;

use amp_dashboard::{DateRange, Event, GetEventSegmentation, SearchUsers};
use amp_emulator::{Config, Emulator};
use amp_export::{ExportRange, Exported, HourRange};
use amp_model::Limits;
use amp_profile::{GetUserProfile, UserProfileQuery};
use amp_project::privacy::{
    CreateDeletion, Day, DeletionStatus, ListDeletions, RemoveFromDeletion,
};
use amp_transport::{Client, Endpoint as _, Method, RateClass};
use futures_util::StreamExt as _;
use serde_json::json;

use support::client;

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

/// The fixture project (its clock at 2024-03-06 12:00 UTC), with `delay_secs` before a
/// deletion job runs.
async fn emulator(delay_secs: u64) -> Emulator {
    emulator_keeping(delay_secs, None).await
}

/// [`emulator`], its writes kept in `state`.
async fn emulator_keeping(delay_secs: u64, state: Option<&Path>) -> Emulator {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/emulator");
    let project = std::fs::read_to_string(fixtures.join("project.toml")).unwrap();
    let project = project.replace(
        "[deletions]                         # /api/2/deletions/users\ndelay_secs = 0",
        &format!("[deletions]\ndelay_secs = {delay_secs}"),
    );
    let mut builder = Emulator::builder()
        .config(Config::from_toml(&project).unwrap())
        .data_file(fixtures.join("events.jsonl"));
    if let Some(dir) = state {
        builder = builder.state_dir(dir);
    }
    builder.start().await.unwrap()
}

fn request_class(endpoint: &impl amp_transport::Endpoint) -> RateClass {
    endpoint.to_request().rate_class
}

#[test]
fn requests_are_written_as_amplitude_documents_them() {
    let create = CreateDeletion::new()
        .amplitude_id(100_001)
        .user_id("alice")
        .requester("privacy@example.com")
        .ignore_invalid_id(true);
    let request = create.to_request();
    assert_eq!((request.method, request.repeatable), (Method::Post, false));
    assert_eq!(request.path_and_query(), "/api/2/deletions/users");
    let body: serde_json::Value = serde_json::from_slice(&request.body.unwrap().bytes).unwrap();
    assert_eq!(
        body,
        json!({"amplitude_ids": [100_001], "user_ids": ["alice"], "requester": "privacy@example.com", "ignore_invalid_id": true})
    );
    assert_eq!(
        ListDeletions::new(day("2024-01-01"), day("2024-03-31"))
            .to_request()
            .path_and_query(),
        "/api/2/deletions/users?start_day=2024-01-01&end_day=2024-03-31"
    );
    // 1 request per second and 8 at once, from the limits table, for all three.
    assert_eq!(request_class(&create), RateClass::Privacy);
    let rules = Limits::default().rules(RateClass::Privacy, 1);
    assert_eq!(rules.max_in_flight, Some(8));
    assert_eq!(
        (rules.windows[0].ceiling, rules.windows[0].span),
        (1, Duration::from_secs(1))
    );
    let remove = RemoveFromDeletion::new(100_001, day("2024-03-06")).to_request();
    assert_eq!(remove.rate_class, RateClass::Privacy);
    assert_eq!(remove.method, Method::Delete);
    assert_eq!(
        remove.path_and_query(),
        "/api/2/deletions/users/100001/2024-03-06"
    );
    // Nothing to delete, too many ids, and more than six months are refused before sending.
    let none = CreateDeletion::new().validate().unwrap_err();
    assert!(none.to_string().contains("at least one"), "{none}");
    let mut many = CreateDeletion::new();
    for id in 0..101 {
        many = many.amplitude_id(id);
    }
    assert!(
        many.validate()
            .unwrap_err()
            .to_string()
            .contains("at most 100")
    );
    let long = ListDeletions::new(day("2024-01-01"), day("2024-07-02"));
    assert!(
        long.validate()
            .unwrap_err()
            .to_string()
            .contains("6 months")
    );
}

/// What `client` sees of alice: plays counted by segmentation (uniques over the fixture's
/// week), users search finds, whether her profile is found, and her exported events.
async fn alice(client: &Client) -> (f64, usize, bool, usize) {
    let week = DateRange::parse("20240301", "20240306").unwrap();
    let uniques = client
        .send(&GetEventSegmentation::new(Event::new("Open App"), week))
        .await
        .unwrap()
        .data
        .rows()
        .filter_map(|row| row.value)
        .sum();
    let found = client
        .send(&SearchUsers::new("alice"))
        .await
        .unwrap()
        .matches
        .len();
    let profile = client
        .send(&GetUserProfile::new(
            UserProfileQuery::for_user("alice").user_properties(),
        ))
        .await
        .is_ok();
    let hours = HourRange::new(
        "20240301T00".parse().unwrap(),
        "20240306T23".parse().unwrap(),
    )
    .unwrap();
    let mut exported = std::pin::pin!(ExportRange::new(hours).events(client));
    let mut lines = 0;
    while let Some(item) = exported.next().await {
        if let Exported::Events(events) = item.unwrap() {
            lines += events
                .iter()
                .filter(|event| event.user_id.as_deref() == Some("alice"))
                .count();
        }
    }
    (uniques, found, profile, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_job_removes_its_user_from_every_endpoint_and_exports() {
    let emulator = emulator(0).await;
    let client = client(&emulator);
    let (uniques, found, profile, lines) = alice(&client).await;
    assert!(found == 1 && profile && lines > 0, "alice is there first");

    let refused = client
        .send(
            &CreateDeletion::new()
                .user_id("alice")
                .user_id("nobody-at-all"),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    assert!(refused.to_string().contains("nobody-at-all"), "{refused}");
    assert_eq!(
        alice(&client).await.1,
        1,
        "a refused request deletes no one"
    );

    let job = client
        .send(
            &CreateDeletion::new()
                .user_id("alice")
                .user_id("nobody-at-all")
                .requester("privacy@example.com")
                .ignore_invalid_id(true),
        )
        .await
        .unwrap();
    assert_eq!(job.day, day("2024-03-06"));
    assert_eq!(job.status, DeletionStatus::Done);
    assert_eq!(job.app, Some(1));
    assert_eq!(job.invalid_ids, [json!("nobody-at-all")]);
    assert_eq!(job.amplitude_ids.len(), 1);
    assert_eq!(job.amplitude_ids[0].user_id.as_deref(), Some("alice"));
    assert_eq!(
        job.amplitude_ids[0].requester.as_deref(),
        Some("privacy@example.com")
    );

    let (after, found, profile, lines) = alice(&client).await;
    assert!(
        after < uniques,
        "segmentation counts one user fewer: {after} < {uniques}"
    );
    assert_eq!((found, profile, lines), (0, false, 0), "alice is gone");

    let listed = client
        .send(&ListDeletions::new(day("2024-03-01"), day("2024-03-31")))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, DeletionStatus::Done);
    assert_eq!(
        listed[0].active_scrub_done_date.as_deref(),
        Some("2024-03-06")
    );
    let none = client
        .send(&ListDeletions::new(day("2024-01-01"), day("2024-02-28")))
        .await
        .unwrap();
    assert!(none.is_empty());
    // A job that ran cannot be changed.
    let id = job.amplitude_ids[0].amplitude_id;
    let ran = client
        .send(&RemoveFromDeletion::new(id, job.day))
        .await
        .unwrap_err();
    assert_eq!(ran.status(), Some(400), "{ran}");
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_taken_out_of_a_pending_job_stays_when_it_runs() {
    // The job waits 5 s: the governor sends deletion requests 1 a second, and the two
    // removals must reach the job before it runs.
    let emulator = emulator(5).await;
    let client = client(&emulator);
    let job = client
        .send(&CreateDeletion::new().user_id("alice").user_id("bob"))
        .await
        .unwrap();
    assert_eq!(job.status, DeletionStatus::Staging);
    assert_eq!(
        alice(&client).await.1,
        1,
        "nothing is deleted before the job runs"
    );
    let alice_id = job
        .amplitude_ids
        .iter()
        .find(|user| user.user_id.as_deref() == Some("alice"))
        .unwrap()
        .amplitude_id;
    let removed = client
        .send(&RemoveFromDeletion::new(alice_id, job.day))
        .await
        .unwrap();
    assert_eq!(removed["amplitude_id"], alice_id);
    let missing = client
        .send(&RemoveFromDeletion::new(alice_id, job.day))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404), "{missing}");

    let list = ListDeletions::new(job.day, job.day);
    let mut waited = 0;
    while client.send(&list).await.unwrap()[0].status != DeletionStatus::Done {
        waited += 1;
        assert!(waited < 100, "the job runs within its delay");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(alice(&client).await.1, 1, "alice was taken out");
    let bob = client.send(&SearchUsers::new("bob")).await.unwrap();
    assert!(bob.matches.is_empty(), "bob is gone: {bob:?}");
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_stays_deleted_after_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!("amp-privacy-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = emulator_keeping(0, Some(&dir)).await;
    client(&first)
        .send(&CreateDeletion::new().user_id("alice"))
        .await
        .unwrap();
    first.stop().await.unwrap();
    let second = emulator_keeping(0, Some(&dir)).await;
    let client = client(&second);
    let (_, found, profile, lines) = alice(&client).await;
    assert_eq!(
        (found, profile, lines),
        (0, false, 0),
        "alice is still gone"
    );
    let listed = client
        .send(&ListDeletions::new(day("2024-03-06"), day("2024-03-06")))
        .await
        .unwrap();
    assert_eq!(listed[0].status, DeletionStatus::Done);
    second.stop().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
