//! The answers as the reference documents them (sections 3.1, 3.3, 3.4, 3.5 and 6.8) decode into
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

#[test]
fn taxonomy_answers_decode_as_documented() {
    use amp_model::taxonomy::{
        Answer, Category, EventProperty, EventType, GroupProperty, UserProperty,
    };
    let categories = json!({"success": true, "data": [{"id": 412_931, "name": "Attribution"}, {"id": 412_941, "name": "Conversion"}]});
    let (listed, written) = round_trip::<Answer<Vec<Category>>>(&categories);
    assert_eq!(written, categories);
    assert_eq!(listed.data[1].id, 412_941);
    let event_type = json!({"success": true, "data": {"event_type": "Event 2", "category": {"name": "Conversion Events"}, "description": null}});
    let (one, written) = round_trip::<Answer<EventType>>(&event_type);
    assert_eq!(written, event_type);
    assert_eq!(one.data.category.unwrap().name, "Conversion Events");
    // The reference's fuller item keeps its activity, visibility, tags and owner.
    let full = json!({"event_type": "Play", "category": null, "description": "d", "display_name": "Play it", "is_active": true, "is_hidden_from_dropdowns": false, "is_hidden_from_persona_results": false, "is_hidden_from_pathfinder": false, "is_hidden_from_timeline": false, "tags": ["a"], "owner": "me"});
    let (typed, written) = round_trip::<EventType>(&full);
    assert_eq!(written, full);
    assert_eq!(typed.other["owner"], json!("me"));
    let property = json!({"event_property": "Completed Task", "event_type": "Onboard Start", "description": "User completed a task during onboarding.", "type": "boolean", "regex": null, "enum_values": null, "is_array_type": false, "is_required": false, "classifications": ["PII"]});
    let (typed, written) =
        round_trip::<Answer<Vec<EventProperty>>>(&json!({"success": true, "data": [property]}));
    assert_eq!(written["data"][0], property);
    assert_eq!(
        typed.data[0].schema.data_type,
        Some(amp_model::DataType::Boolean)
    );
    // Allowed values read from a list or from the comma-separated form they are sent in.
    let (commas, _) = round_trip::<EventProperty>(
        &json!({"event_property": "color", "type": "enum", "enum_values": "red, yellow, blue"}),
    );
    assert_eq!(
        commas.schema.enum_values,
        Some(vec!["red".to_owned(), "yellow".into(), "blue".into()])
    );
    let user = json!({"user_property": "device_id", "description": null, "type": null, "enum_values": null, "regex": null, "is_array_type": false, "classifications": ["PII"]});
    let (typed, written) =
        round_trip::<Answer<UserProperty>>(&json!({"success": true, "data": user}));
    assert_eq!(written["data"], user);
    assert_eq!(typed.data.schema.classifications, ["PII"]);
    let group = json!({"group_type": "Group 1", "group_property": "grp:Group Property 1", "description": "First Group Property", "type": "string", "enum_values": null, "regex": null, "is_array_type": false, "classifications": ["PII"]});
    let (typed, written) =
        round_trip::<Answer<GroupProperty>>(&json!({"success": true, "data": group}));
    assert_eq!(written["data"], group);
    assert_eq!(typed.data.group_type.as_deref(), Some("Group 1"));
    let (done, written) = round_trip::<Success>(&json!({"success": true}));
    assert_eq!((done, written), (Success::DONE, json!({"success": true})));
}
