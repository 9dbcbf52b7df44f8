//! Behavioral Cohorts through the client against the emulator: the list, the download in one
//! call (request, poll, file), the 302 to a pre-signed URL followed without credentials, and the
//! requests as Amplitude documents them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use amp_cohorts::{
    CohortError, CohortMember, DownloadCohort, GetCohortFile, GetCohortRequestStatus, JobStatus,
    ListCohorts, RequestCohort,
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
