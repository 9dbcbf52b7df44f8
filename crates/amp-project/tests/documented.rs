//! The answers as the reference documents them (sections 3.1, 3.3, 3.4 and 6.8) decode into
//! the SDK's types, and write back every key.

use amp_model::Success;
use amp_model::annotations::{
    AnnotationAnswer, AnnotationList, CategoryAnswer, RenamedCategoryAnswer,
};
use amp_model::cohorts::{CohortUploaded, MembershipsUpdated};
use amp_model::privacy::{DeletionJob, DeletionStatus};
use amp_model::releases::ReleaseCreated;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `documented` read as `T`, and `T` written back.
fn round_trip<T: DeserializeOwned + Serialize>(documented: &Value) -> (T, Value) {
    let typed: T = serde_json::from_value(documented.clone())
        .unwrap_or_else(|error| panic!("{error}: {documented}"));
    let written = serde_json::to_value(&typed).unwrap();
    (typed, written)
}

#[test]
fn annotation_answers_decode_as_documented() {
    let annotation = json!({"id": 12345, "start": "2025-11-01T07:00:00+00:00", "end": null, "label": "v2.3", "details": null, "category": {"id": 45678, "name": "Releases"}, "chart_id": null});
    let (one, written) = round_trip::<AnnotationAnswer>(&json!({"data": annotation}));
    assert_eq!(written, json!({"data": annotation}));
    assert_eq!(one.data.category.unwrap().name, "Releases");
    let (list, _) = round_trip::<AnnotationList>(&json!({"data": [annotation]}));
    assert_eq!(list.data[0].id, 12345);
    let (category, written) =
        round_trip::<CategoryAnswer>(&json!({"data": {"id": 6789, "name": "Releases"}}));
    assert_eq!(
        (category.data.id, written["data"]["name"].clone()),
        (6789, json!("Releases"))
    );
    // A rename answers the name under `category`.
    let (renamed, written) =
        round_trip::<RenamedCategoryAnswer>(&json!({"data": {"id": 569, "category": "Launches"}}));
    assert_eq!(renamed.data.category, "Launches");
    assert_eq!(
        written,
        json!({"data": {"id": 569, "category": "Launches"}})
    );
    // A bulk assignment shows each category as `{id, category}`.
    let bulk = json!({"data": [{"id": 1, "start": "2025-11-01T07:00:00+00:00", "end": null, "label": "x", "details": null, "category": {"id": 569, "category": "Launches"}, "chart_id": "abc"}]});
    let (assigned, _) = round_trip::<AnnotationList>(&bulk);
    assert_eq!(assigned.data[0].category.as_ref().unwrap().name, "Launches");
    let (deleted, _) = round_trip::<Success>(&json!({"success": true}));
    assert!(deleted.success);
}

#[test]
fn release_cohort_and_deletion_answers_decode_as_documented() {
    let release = json!({"success": true, "release": {"id": "xbcehyc", "app_id": 50000, "org_id": 10001, "version": "1.0", "release_start": "2022-03-03 08:00:00", "release_end": "2022-03-03 09:00:00", "type": "integration", "title": "First", "description": "", "platforms": ["iOS"], "chart_visibility": true, "params": {"created": 1_646_324_226_364_i64, "created_by": "me", "last_modified": 1_646_324_226_364_i64, "last_modified_by": "me"}}});
    let (created, written) = round_trip::<ReleaseCreated>(&release);
    assert_eq!(written, release, "every key written back");
    assert_eq!(created.release.id, "xbcehyc");
    assert_eq!(
        created.release.release_start.to_string(),
        "2022-03-03 08:00:00"
    );

    let upload = json!({"cohortId": "abc1234", "metadata": {"matched": 1234, "totals": 1232, "invalid_ids_sample": ["x"]}});
    let (uploaded, written) = round_trip::<CohortUploaded>(&upload);
    assert_eq!(written, upload);
    assert_eq!(uploaded.metadata.matched, Some(1234));
    let membership = json!({"cohort_id": "abc1234", "memberships_result": [{"skipped_ids": ["x"], "id_type": "BY_ID", "operation": "ADD"}]});
    let (changed, written) = round_trip::<MembershipsUpdated>(&membership);
    assert_eq!(written, membership);
    assert_eq!(changed.memberships_result[0].skipped_ids, ["x"]);

    let job = json!({"day": "2024-03-06", "status": "Staging", "amplitude_ids": [{"amplitude_id": 100_001, "requester": "privacy@example.com", "requested_on_day": "2024-03-06", "user_id": "alice"}], "app": 12345, "invalid_ids": ["nobody"]});
    let (created, written) = round_trip::<DeletionJob>(&job);
    assert_eq!(written, job);
    assert_eq!(created.status, DeletionStatus::Staging);
    let listed = json!([{"day": "2024-03-06", "amplitude_ids": [], "status": "Done", "app": 12345, "active_scrub_done_date": "2024-03-20"}]);
    let (jobs, _) = round_trip::<Vec<DeletionJob>>(&listed);
    assert_eq!(jobs[0].status, DeletionStatus::Done);
    let (unknown, _) = round_trip::<DeletionJob>(
        &json!({"day": "2024-03-06", "amplitude_ids": [], "status": "Queued"}),
    );
    assert_eq!(unknown.status, DeletionStatus::Other("Queued".into()));
}
