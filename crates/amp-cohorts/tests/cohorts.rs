//! Behavioral Cohorts through the client against the emulator: the list, the download in one
//! call (request, poll, file), the 302 to a pre-signed URL followed without credentials, and the
//! requests as Amplitude documents them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use amp_cohorts::{
    CohortError, CohortIdType, CohortMember, DownloadCohort, GetCohortFile, GetCohortRequestStatus,
    JobStatus, ListCohorts, Membership, MembershipIdType, RequestCohort, UpdateCohortMembership,
    UploadCohort,
};
use amp_emulator::{Config, DemoOptions, Emulator};
use amp_model::Limits;
use amp_transport::{
    Client, Endpoint as _, HttpRequest, HttpResponse, NoRetry, RateClass, ReqwestTransport,
    StreamingResponse, Transport, TransportError,
};
use async_trait::async_trait;

async fn emulator(change: impl FnOnce(&mut Config)) -> Emulator {
    let mut config = Config::from_toml(amp_emulator::demo::PROJECT).unwrap();
    change(&mut config);
    let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
    Emulator::builder()
        .config(config)
        .demo(DemoOptions::new(300, 14, as_of))
        .start()
        .await
        .unwrap()
}

/// What each request carried: its URL and whether it had an `Authorization` header.
type Seen = Arc<Mutex<Vec<(String, bool)>>>;

/// The reqwest transport, noting each request.
#[derive(Debug)]
struct Noting {
    inner: ReqwestTransport,
    seen: Seen,
}

impl Noting {
    fn note(&self, request: &HttpRequest) {
        let authorized = request.header("authorization").is_some();
        self.seen
            .lock()
            .unwrap()
            .push((request.url.clone(), authorized));
    }
}

#[async_trait]
impl Transport for Noting {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.note(&request);
        self.inner.send(request).await
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        self.note(&request);
        self.inner.send_streaming(request).await
    }
}

fn client(emulator: &Emulator) -> (Client, Seen) {
    let seen = Seen::default();
    let transport = Noting {
        inner: ReqwestTransport::new(Duration::from_secs(5)).unwrap(),
        seen: Arc::clone(&seen),
    };
    let client = Client::builder()
        .api_key("emulator-api-key")
        .secret_key("emulator-secret-key")
        .base_url(emulator.base_url())
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    (client, seen)
}

fn quick(download: DownloadCohort) -> DownloadCohort {
    download.poll(Duration::from_millis(100), Duration::from_millis(200))
}

/// Every member `download` gives, polled quickly.
async fn every_member(client: &Client, download: DownloadCohort) -> Vec<CohortMember> {
    quick(download)
        .start(client, |_| {})
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
}

#[test]
fn requests_are_written_as_amplitude_documents_them() {
    let line = |endpoint: &dyn Fn() -> amp_transport::Request| endpoint().path_and_query();
    assert_eq!(
        line(&|| ListCohorts::new().include_sync_info(true).to_request()),
        "/api/3/cohorts?includeSyncInfo=true"
    );
    let request = RequestCohort::new("abc 1")
        .props(1)
        .prop_key("plan")
        .prop_key("gp:age");
    assert_eq!(
        request.to_request().path_and_query(),
        "/api/5/cohorts/request/abc%201?props=1&propKeys=plan&propKeys=gp:age"
    );
    assert_eq!(request.to_request().rate_class, RateClass::CohortRequest);
    assert_eq!(
        line(&|| GetCohortRequestStatus::new("r-1").to_request()),
        "/api/5/cohorts/request-status/r-1"
    );
    assert_eq!(
        line(&|| GetCohortFile::new("r-1").to_request()),
        "/api/5/cohorts/request/r-1/file"
    );
    let refused = RequestCohort::new("abc").props(0).prop_key("plan");
    assert!(
        refused
            .validate()
            .unwrap_err()
            .to_string()
            .contains("propKeys")
    );
    // 60 per 10 minutes and 4 at once, from the limits table.
    let rules = Limits::default().rules(RateClass::CohortRequest, 1);
    assert_eq!(rules.max_in_flight, Some(4));
    assert_eq!(rules.windows.len(), 1);
    assert_eq!(rules.windows[0].ceiling, 60);
    assert_eq!(rules.windows[0].span, Duration::from_secs(600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cohort_is_listed_with_its_size_and_downloads_as_its_members() {
    let emulator = emulator(|_| {}).await;
    let (client, _) = client(&emulator);
    let list = client.send(&ListCohorts::new()).await.unwrap();
    let premium = list
        .cohorts
        .iter()
        .find(|cohort| cohort.id == "premium")
        .unwrap();
    assert_eq!(premium.name, "Premium listeners");
    assert_eq!(premium.app_id, Some(1));
    let size = premium.size.unwrap();
    assert!(size > 0, "the demo has premium listeners");

    let mut statuses = Vec::new();
    let mut members = quick(DownloadCohort::new("premium").props(["plan"]))
        .start(&client, |job| statuses.push(job.async_status.clone()))
        .await
        .unwrap();
    assert_eq!(statuses, [None, Some(JobStatus::Completed)]);
    let mut all = Vec::new();
    while let Some(member) = members.next().await.unwrap() {
        all.push(member);
    }
    assert_eq!(
        members.columns().unwrap(),
        ["user_id", "amplitude_id", "plan"]
    );
    assert_eq!(all.len() as u64, size, "as many members as the list says");
    for member in &all {
        assert!(member.amplitude_id.is_some(), "{member:?}");
        assert_eq!(member.property("plan"), Some("premium"), "{member:?}");
    }
    assert!(all.iter().any(|member| member.user_id.is_some()));
    let ids_only = every_member(&client, DownloadCohort::new("premium")).await;
    assert_eq!(ids_only.len(), all.len());
    assert!(ids_only.iter().all(|member| member.properties.is_empty()));
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_in_progress_is_polled_until_complete_or_given_up_at_its_deadline() {
    let emulator = emulator(|config| config.cohort_download.in_progress_secs = 1).await;
    let (client, _) = client(&emulator);
    let mut statuses = Vec::new();
    let members = quick(DownloadCohort::new("premium"))
        .start(&client, |job| statuses.push(job.async_status.clone()))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(!members.is_empty());
    assert!(
        statuses.contains(&Some(JobStatus::InProgress)),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&Some(JobStatus::Completed)));

    let late = quick(DownloadCohort::new("premium"))
        .deadline(Duration::from_millis(300))
        .start(&client, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(late, CohortError::Deadline { .. }), "{late}");
    assert!(late.to_string().contains("still in progress"), "{late}");

    let unknown = quick(DownloadCohort::new("no-such-cohort"))
        .start(&client, |_| {})
        .await
        .unwrap_err();
    let CohortError::Request(error) = &unknown else {
        panic!("{unknown}");
    };
    assert_eq!(error.status(), Some(404), "{unknown}");
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_behind_a_302_is_fetched_from_the_other_host_without_credentials() {
    let emulator = emulator(|config| config.cohort_download.redirect = true).await;
    let (client, seen) = client(&emulator);
    let downloaded = every_member(&client, DownloadCohort::new("premium").props(["plan"])).await;
    assert!(!downloaded.is_empty());
    let seen = seen.lock().unwrap().clone();
    let (last, authorized) = seen.last().unwrap();
    assert!(last.contains("/presigned/cohorts/"), "{seen:?}");
    assert!(
        last.starts_with("http://localhost:"),
        "another host: {last}"
    );
    assert!(!authorized, "no Authorization header to the pre-signed URL");
    assert!(
        seen[..seen.len() - 1]
            .iter()
            .all(|(_, authorized)| *authorized),
        "{seen:?}"
    );
    // The stand-in refuses credentials, as a pre-signed URL does.
    let refused = reqwest_get_with_authorization(last).await;
    assert_eq!(refused, 400);
    emulator.stop().await.unwrap();
}

async fn reqwest_get_with_authorization(url: &str) -> u16 {
    let request = HttpRequest::get(url).with_header("authorization", "Basic eDp5");
    ReqwestTransport::new(Duration::from_secs(5))
        .unwrap()
        .send(request)
        .await
        .unwrap()
        .status
}

/// The JSON body `endpoint` sends.
fn body_of(endpoint: &impl amp_transport::Endpoint) -> serde_json::Value {
    let request = endpoint.to_request();
    let body = request.body.expect("a write has a body");
    assert_eq!(body.content_type, "application/json");
    serde_json::from_slice(&body.bytes).unwrap()
}

#[test]
fn uploads_and_membership_changes_are_written_as_amplitude_documents_them() {
    let upload = UploadCohort::new(
        "Beta testers",
        1,
        CohortIdType::UserId,
        vec!["alice".into(), "bob".into()],
        "owner@example.com",
        false,
    )
    .skip_invalid_ids(false)
    .replacing("abc1234");
    let request = upload.to_request();
    assert_eq!(request.method, amp_transport::Method::Post);
    assert!(!request.repeatable, "an upload is never sent twice");
    assert_eq!(request.path_and_query(), "/api/3/cohorts/upload");
    assert_eq!(
        body_of(&upload),
        serde_json::json!({"name": "Beta testers", "app_id": 1, "id_type": "BY_USER_ID", "ids": ["alice", "bob"], "owner": "owner@example.com", "published": false, "skip_invalid_ids": false, "existing_cohort_id": "abc1234"})
    );
    let change = UpdateCohortMembership::new(
        "abc1234",
        vec![
            Membership::add(MembershipIdType::Name, vec!["carol".into()]),
            Membership::remove(MembershipIdType::Id, vec!["100001".into()]),
        ],
    );
    assert_eq!(
        change.to_request().path_and_query(),
        "/api/3/cohorts/membership"
    );
    assert_eq!(
        body_of(&change),
        serde_json::json!({"cohort_id": "abc1234", "memberships": [{"ids": ["carol"], "id_type": "BY_NAME", "operation": "ADD"}, {"ids": ["100001"], "id_type": "BY_ID", "operation": "REMOVE"}]})
    );
    let empty = UpdateCohortMembership::new("abc1234", Vec::new());
    assert!(
        empty
            .validate()
            .unwrap_err()
            .to_string()
            .contains("memberships")
    );
    let too_many = UploadCohort::new(
        "big",
        1,
        CohortIdType::AmplitudeId,
        vec!["1".into(); amp_cohorts::MAX_UPLOAD_IDS + 1],
        "owner@example.com",
        true,
    );
    assert!(
        too_many
            .validate()
            .unwrap_err()
            .to_string()
            .contains("100000")
    );
}

/// An upload of users `ids` to a cohort named "Beta testers".
fn upload(ids: Vec<String>) -> UploadCohort {
    UploadCohort::new(
        "Beta testers",
        1,
        CohortIdType::UserId,
        ids,
        "owner@example.com",
        true,
    )
}

/// The user ids of `members`, sorted.
fn user_ids(members: &[CohortMember]) -> Vec<String> {
    let mut ids: Vec<String> = members
        .iter()
        .filter_map(|member| member.user_id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_cohort_downloads_back_with_its_ids_after_an_add_and_a_remove() {
    let emulator = emulator(|_| {}).await;
    let (client, _) = client(&emulator);
    let premium = every_member(&client, DownloadCohort::new("premium")).await;
    let known: Vec<&CohortMember> = premium
        .iter()
        .filter(|member| member.user_id.is_some())
        .collect();
    assert!(
        known.len() >= 4,
        "the demo has identified premium listeners"
    );
    let ids: Vec<String> = known[..3]
        .iter()
        .map(|member| member.user_id.clone().unwrap())
        .collect();
    let mut sent = ids.clone();
    sent.push("nobody-has-this-id".into());

    // Checked only: nothing is created.
    let checked = client
        .send(&upload(sent.clone()).skip_save(true))
        .await
        .unwrap();
    assert_eq!(checked.cohort_id, None);
    let before = client
        .send(&ListCohorts::new())
        .await
        .unwrap()
        .cohorts
        .len();

    // An id that matches no user refuses the whole upload when asked to.
    let error = client
        .send(&upload(sent.clone()).skip_invalid_ids(false))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
    assert!(error.to_string().contains("match no user"), "{error}");
    assert_eq!(
        client
            .send(&ListCohorts::new())
            .await
            .unwrap()
            .cohorts
            .len(),
        before
    );

    let uploaded = client.send(&upload(sent)).await.unwrap();
    let id = uploaded
        .cohort_id
        .clone()
        .expect("a saved upload has an id");
    assert_eq!(uploaded.metadata.matched, Some(3));
    assert_eq!(uploaded.metadata.totals, Some(4));
    assert_eq!(uploaded.metadata.invalid_ids_sample, ["nobody-has-this-id"]);
    let list = client.send(&ListCohorts::new()).await.unwrap();
    let listed = list.cohorts.iter().find(|cohort| cohort.id == id).unwrap();
    assert_eq!(
        (listed.name.as_str(), listed.size),
        ("Beta testers", Some(3))
    );
    assert_eq!(listed.owners, ["owner@example.com"]);
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        user_ids(&every_member(&client, DownloadCohort::new(&id)).await),
        expected
    );

    // ADD by user id, REMOVE by Amplitude ID, in one request.
    let added = known[3].user_id.clone().unwrap();
    let removed = known[0].amplitude_id.unwrap().to_string();
    let changed = client
        .send(&UpdateCohortMembership::new(
            id.clone(),
            vec![
                Membership::add(MembershipIdType::Name, vec![added.clone(), "ghost".into()]),
                Membership::remove(MembershipIdType::Id, vec![removed]),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(changed.cohort_id, id);
    assert_eq!(changed.memberships_result[0].skipped_ids, ["ghost"]);
    assert!(changed.memberships_result[1].skipped_ids.is_empty());
    let mut expected: Vec<String> = vec![ids[1].clone(), ids[2].clone(), added];
    expected.sort();
    assert_eq!(
        user_ids(&every_member(&client, DownloadCohort::new(&id)).await),
        expected
    );

    // Replacing the members keeps the id.
    let replaced = client
        .send(&upload(vec![ids[0].clone()]).replacing(id.clone()))
        .await
        .unwrap();
    assert_eq!(replaced.cohort_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        user_ids(&every_member(&client, DownloadCohort::new(&id)).await),
        [ids[0].clone()]
    );
    emulator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_membership_changes_survive_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!("amp-cohorts-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = || async {
        let config = Config::from_toml(amp_emulator::demo::PROJECT).unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        Emulator::builder()
            .config(config)
            .demo(DemoOptions::new(300, 14, as_of))
            .state_dir(&dir)
            .start()
            .await
            .unwrap()
    };
    let emulator = start().await;
    let (client, _) = client(&emulator);
    let premium = every_member(&client, DownloadCohort::new("premium")).await;
    let ids: Vec<String> = premium
        .iter()
        .filter_map(|member| member.user_id.clone())
        .take(2)
        .collect();
    let uploaded = client
        .send(&UploadCohort::new(
            "Kept",
            1,
            CohortIdType::UserId,
            vec![ids[0].clone()],
            "owner@example.com",
            true,
        ))
        .await
        .unwrap();
    let id = uploaded.cohort_id.unwrap();
    client
        .send(&UpdateCohortMembership::new(
            id.clone(),
            vec![Membership::add(
                MembershipIdType::Name,
                vec![ids[1].clone()],
            )],
        ))
        .await
        .unwrap();
    emulator.stop().await.unwrap();

    let restarted = start().await;
    let (again, _) = crate::client(&restarted);
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        user_ids(&every_member(&again, DownloadCohort::new(&id)).await),
        expected
    );
    restarted.stop().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_computed_or_unknown_cohort_takes_no_membership_changes() {
    let emulator = emulator(|_| {}).await;
    let (client, _) = client(&emulator);
    let to = |cohort: &str| {
        UpdateCohortMembership::new(
            cohort,
            vec![Membership::add(
                MembershipIdType::Name,
                vec!["someone".into()],
            )],
        )
    };
    let computed = client.send(&to("premium")).await.unwrap_err();
    assert_eq!(computed.status(), Some(400), "{computed}");
    assert!(
        computed
            .to_string()
            .contains("computed from its definition"),
        "{computed}"
    );
    let unknown = client.send(&to("no-such-cohort")).await.unwrap_err();
    assert_eq!(unknown.status(), Some(404), "{unknown}");
    emulator.stop().await.unwrap();
}

/// `POST /api/3/cohorts/upload` with a body as given, for what the SDK would refuse to send.
struct RawUpload(serde_json::Value);

impl amp_transport::Endpoint for RawUpload {
    type Response = serde_json::Value;
    fn name(&self) -> std::borrow::Cow<'static, str> {
        "RawUpload".into()
    }
    fn family(&self) -> amp_transport::ApiFamily {
        amp_transport::ApiFamily::Dashboard
    }
    fn method(&self) -> amp_transport::Method {
        amp_transport::Method::Post
    }
    fn path(&self) -> std::borrow::Cow<'_, str> {
        "/api/3/cohorts/upload".into()
    }
    fn body(&self) -> Option<amp_transport::Body> {
        amp_transport::Body::json(&self.0).ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_refuses_a_bad_body_naming_the_key() {
    let emulator = emulator(|_| {}).await;
    let (client, _) = client(&emulator);
    let good = serde_json::json!({"name": "n", "app_id": 1, "id_type": "BY_USER_ID", "ids": ["a"], "owner": "o@example.com", "published": true});
    let with = |key: &str, value: Option<serde_json::Value>| {
        let mut body = good.clone();
        match value {
            Some(value) => body[key] = value,
            None => {
                body.as_object_mut().unwrap().remove(key);
            }
        }
        RawUpload(body)
    };
    for (key, value) in [
        ("id_type", Some(serde_json::json!("BY_EMAIL"))),
        ("ids", Some(serde_json::json!("a,b"))),
        ("app_id", Some(serde_json::json!("one"))),
        ("published", Some(serde_json::json!("yes"))),
        ("owner", None),
        ("app_id", Some(serde_json::json!(2))),
    ] {
        let error = client.send(&with(key, value.clone())).await.unwrap_err();
        assert_eq!(error.status(), Some(400), "{key}={value:?}: {error}");
        assert!(error.to_string().contains(key), "{key}={value:?}: {error}");
    }
    let error = client
        .send(&RawUpload(serde_json::json!([1])))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("JSON object"), "{error}");
    emulator.stop().await.unwrap();
}
