//! The client through its public API only: auth, regions, errors, retries, timeouts, secrets,
//! extensibility, and the real reqwest transport on loopback.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amp_transport::test_util::{NeverTransport, RecordingTransport, ReplayTransport};
use amp_transport::{
    ApiFamily, Client, ClientBuilder, Endpoint, Error, ErrorKind, ExponentialBackoff, HttpRequest,
    HttpResponse, Method, NoRetry, RateClass, Region, RetryDecision, RetryPolicy,
    StreamingResponse, Transport, TransportError, transport_fn,
};
use async_trait::async_trait;

const API_KEY: &str = "api-key-7f3a";
const SECRET_KEY: &str = "secret-key-91c2";

/// `GET /api/3/cohorts`, an endpoint the SDK does not ship: defined here with public API only.
#[derive(Debug, Clone)]
struct ListCohorts;

#[derive(Debug, serde::Deserialize)]
struct Cohorts {
    cohorts: Vec<serde_json::Value>,
}

impl Endpoint for ListCohorts {
    type Response = Cohorts;
    fn name(&self) -> Cow<'static, str> {
        "ListCohorts".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }
    fn path(&self) -> Cow<'_, str> {
        "/api/3/cohorts".into()
    }
    fn query(&self) -> amp_transport::amp_model::QueryPairs {
        let mut pairs = amp_transport::amp_model::QueryPairs::new();
        pairs.push("includeSyncInfo", "true");
        pairs
    }
}

/// A profile lookup, also defined here.
#[derive(Debug, Clone)]
struct Profile(&'static str);

impl Endpoint for Profile {
    type Response = serde_json::Value;
    fn name(&self) -> Cow<'static, str> {
        "Profile".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Profile
    }
    fn path(&self) -> Cow<'_, str> {
        "/v1/userprofile".into()
    }
    fn query(&self) -> amp_transport::amp_model::QueryPairs {
        let mut pairs = amp_transport::amp_model::QueryPairs::new();
        pairs.push("user_id", self.0);
        pairs
    }
    fn validate(&self) -> Result<(), amp_transport::amp_model::ValidationError> {
        if self.0.is_empty() {
            return Err(amp_transport::amp_model::ValidationError::new(
                "user_id", "empty",
            ));
        }
        Ok(())
    }
}

fn builder() -> ClientBuilder {
    Client::builder().api_key(API_KEY).secret_key(SECRET_KEY)
}

fn client(transport: impl Transport + 'static) -> Client {
    builder()
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap()
}

const COHORTS_PATH: &str = "/api/3/cohorts?includeSyncInfo=true";

fn ok_cohorts() -> HttpResponse {
    HttpResponse::new(200, r#"{"cohorts":[{"id":"a"}]}"#)
}

#[tokio::test]
async fn dashboard_requests_use_basic_auth_on_the_region_host() {
    let recording = Arc::new(RecordingTransport::new(ReplayTransport::new().expect(
        Method::Get,
        COHORTS_PATH,
        ok_cohorts(),
    )));
    let client = builder()
        .shared_transport(recording.clone())
        .build()
        .unwrap();
    let cohorts = client.send(&ListCohorts).await.unwrap();
    assert_eq!(cohorts.cohorts.len(), 1);
    let sent = &recording.requests()[0];
    assert_eq!(
        sent.url,
        "https://amplitude.com/api/3/cohorts?includeSyncInfo=true"
    );
    // base64("api-key-7f3a:secret-key-91c2")
    assert_eq!(
        sent.header("authorization"),
        Some("Basic YXBpLWtleS03ZjNhOnNlY3JldC1rZXktOTFjMg==")
    );
    assert!(
        sent.header("user-agent")
            .unwrap()
            .starts_with("amplitude-api-rust/")
    );

    let eu = builder()
        .region(Region::Eu)
        .transport(NeverTransport)
        .build()
        .unwrap();
    let request = eu.http_request(&ListCohorts.to_request()).unwrap();
    assert_eq!(
        request.url,
        "https://analytics.eu.amplitude.com/api/3/cohorts?includeSyncInfo=true"
    );
}

#[tokio::test]
async fn profile_requests_use_the_api_key_scheme_and_refuse_the_eu() {
    let recording = Arc::new(RecordingTransport::new(ReplayTransport::new().expect(
        Method::Get,
        "/v1/userprofile?user_id=u1",
        HttpResponse::new(200, "{}"),
    )));
    let client = Client::builder()
        .secret_key(SECRET_KEY)
        .shared_transport(recording.clone())
        .build()
        .unwrap();
    client.send(&Profile("u1")).await.unwrap();
    let sent = &recording.requests()[0];
    assert_eq!(
        sent.url,
        "https://profile-api.amplitude.com/v1/userprofile?user_id=u1"
    );
    assert_eq!(
        sent.header("authorization"),
        Some("Api-Key secret-key-91c2")
    );

    let unused = Arc::new(RecordingTransport::new(NeverTransport));
    let eu = builder()
        .region(Region::Eu)
        .shared_transport(unused.clone())
        .build()
        .unwrap();
    let error = eu.send(&Profile("u1")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotBuilt);
    assert!(!error.maybe_sent());
    assert!(
        error
            .to_string()
            .contains("no endpoint in Amplitude's EU region"),
        "{error}"
    );
    assert!(unused.requests().is_empty());

    let proxied = builder()
        .region(Region::Eu)
        .profile_base_url("http://127.0.0.1:9/")
        .transport(NeverTransport)
        .build()
        .unwrap();
    assert_eq!(
        proxied
            .http_request(&Profile("u").to_request())
            .unwrap()
            .url,
        "http://127.0.0.1:9/v1/userprofile?user_id=u"
    );
}

#[tokio::test]
async fn invalid_input_and_missing_keys_are_refused_before_sending() {
    let unused = Arc::new(RecordingTransport::new(NeverTransport));
    let client = builder().shared_transport(unused.clone()).build().unwrap();
    let error = client.send(&Profile("")).await.unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "request not sent: invalid `user_id`: empty"
    );
    let profile_only = Client::builder()
        .secret_key(SECRET_KEY)
        .shared_transport(unused.clone())
        .build()
        .unwrap();
    let error = profile_only.send(&ListCohorts).await.unwrap_err();
    assert!(
        error.to_string().contains("needs the project's API key"),
        "{error}"
    );
    assert!(unused.requests().is_empty());
}

#[test]
fn configuration_from_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    };
    let error = ClientBuilder::from_lookup(env(&[("AMPLITUDE_API_KEY", "k")])).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("AMPLITUDE_SECRET_KEY is not set"),
        "{error}"
    );
    let error = ClientBuilder::from_lookup(env(&[
        ("AMPLITUDE_SECRET_KEY", "s"),
        ("AMPLITUDE_REGION", "mars"),
    ]))
    .unwrap_err();
    assert!(error.to_string().contains("use `us` or `eu`"), "{error}");
    let client = ClientBuilder::from_lookup(env(&[
        ("AMPLITUDE_API_KEY", "k"),
        ("AMPLITUDE_SECRET_KEY", "s"),
        ("AMPLITUDE_REGION", "EU"),
        ("AMPLITUDE_BASE_URL", "http://127.0.0.1:8080"),
        ("AMPLITUDE_PROFILE_BASE_URL", "http://127.0.0.1:8081"),
    ]))
    .unwrap()
    .transport(NeverTransport)
    .build()
    .unwrap();
    assert_eq!(client.region(), Region::Eu);
    assert!(
        client
            .http_request(&ListCohorts.to_request())
            .unwrap()
            .url
            .starts_with("http://127.0.0.1:8080/api/3/")
    );
    assert!(
        client
            .http_request(&Profile("u").to_request())
            .unwrap()
            .url
            .starts_with("http://127.0.0.1:8081/v1/")
    );
    for bad in [
        "ftp://x",
        "not a url",
        "https://a.com/?q=1",
        "https://user:pw@a.com",
    ] {
        let error = builder()
            .base_url(bad)
            .transport(NeverTransport)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotBuilt, "{bad}");
        assert!(!error.to_string().contains("pw@"), "{error}");
    }
}

async fn error_for(status: u16, body: &'static str, family_profile: bool) -> Error {
    let response = HttpResponse::new(status, body).with_header("Retry-After", "7");
    let path = if family_profile {
        "/v1/userprofile?user_id=u"
    } else {
        COHORTS_PATH
    };
    let client = client(ReplayTransport::new().expect(Method::Get, path, response));
    if family_profile {
        client.send(&Profile("u")).await.map(drop).unwrap_err()
    } else {
        client.send(&ListCohorts).await.map(drop).unwrap_err()
    }
}

#[tokio::test]
async fn every_error_body_form_becomes_a_readable_message() {
    let nested = error_for(400, r#"{"error":{"http_code":400,"type":"invalid","message":"Invalid chart definition","metadata":{"details":"Invalid user property country"}}}"#, false).await;
    assert_eq!(nested.status(), Some(400));
    assert!(!nested.is_retryable());
    assert_eq!(
        nested.to_string(),
        "ListCohorts: Amplitude answered HTTP 400: Invalid chart definition (Invalid user property country)"
    );

    let flat = error_for(
        404,
        r#"{"error":"User id and device id not seen before"}"#,
        true,
    )
    .await;
    assert_eq!(
        flat.to_string(),
        "Profile: Amplitude answered HTTP 404: User id and device id not seen before"
    );

    let plain = error_for(401, "Invalid Api-Key", true).await;
    assert!(
        plain.to_string().contains(
            "HTTP 401: Invalid Api-Key (the User Profile API takes the project's secret key)"
        ),
        "{plain}"
    );

    let dashboard_auth = error_for(403, "", false).await;
    assert!(
        dashboard_auth
            .to_string()
            .contains("HTTP 403 with an empty body"),
        "{dashboard_auth}"
    );
    assert!(
        dashboard_auth.to_string().contains("region"),
        "{dashboard_auth}"
    );

    let limited = error_for(429, r#"{"error":{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{"details":"Too Many Requests: Exceeded rate limit with query of cost 1800"}}}"#, false).await;
    assert_eq!(limited.kind(), ErrorKind::RateLimited);
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
    assert!(matches!(
        limited,
        Error::RateLimited {
            cost: Some(1800),
            ..
        }
    ));
    assert!(limited.is_retryable());

    for status in [500, 502, 503, 504] {
        assert!(
            error_for(status, "oops", false).await.is_retryable(),
            "{status}"
        );
    }
    assert!(!error_for(501, "", false).await.is_retryable());
}

#[tokio::test]
async fn a_body_that_does_not_decode_keeps_its_path_and_an_excerpt() {
    let client = client(ReplayTransport::new().expect(
        Method::Get,
        COHORTS_PATH,
        HttpResponse::new(200, r#"{"cohorts": 3}"#),
    ));
    let error = client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    let text = error.to_string();
    assert!(
        text.contains("at `cohorts`") && text.contains(r#"{"cohorts": 3}"#),
        "{text}"
    );
    let raw = client_with(HttpResponse::new(200, "anything"))
        .send_raw(&ListCohorts)
        .await
        .unwrap();
    assert_eq!(&raw.body[..], b"anything");
    let chosen: serde_json::Value = client_with(ok_cohorts())
        .send_as(&ListCohorts)
        .await
        .unwrap();
    assert_eq!(chosen["cohorts"][0]["id"], "a");
}

fn client_with(response: HttpResponse) -> Client {
    client(ReplayTransport::new().expect(Method::Get, COHORTS_PATH, response))
}

fn transport_error(kind: &str) -> Error {
    let source = match kind {
        "connect" => TransportError::connect("refused"),
        "timeout" => TransportError::timeout("slow"),
        _ => TransportError::other("broken"),
    };
    Error::Transport {
        endpoint: "x".into(),
        source,
    }
}

#[test]
fn every_retry_decision() {
    let policy = ExponentialBackoff::default().with_jitter(false);
    let api = |status| {
        Error::from_response(
            "x".into(),
            ApiFamily::Dashboard,
            &HttpResponse::new(status, ""),
        )
    };
    let rate_limited = |retry_after: Option<&str>| {
        let mut response = HttpResponse::new(429, "");
        if let Some(value) = retry_after {
            response = response.with_header("retry-after", value);
        }
        Error::from_response("x".into(), ApiFamily::Dashboard, &response)
    };
    let zero = Duration::ZERO;
    let secs = Duration::from_secs;
    assert_eq!(
        policy.decide(1, &api(503), zero),
        RetryDecision::Wait(secs(1))
    );
    assert_eq!(
        policy.decide(2, &api(500), zero),
        RetryDecision::Wait(secs(2))
    );
    assert_eq!(
        policy.decide(3, &api(502), zero),
        RetryDecision::Wait(secs(4))
    );
    assert_eq!(
        policy.decide(4, &api(504), zero),
        RetryDecision::Stop,
        "attempts are bounded"
    );
    assert_eq!(
        policy.decide(1, &rate_limited(None), zero),
        RetryDecision::Wait(secs(1))
    );
    assert_eq!(
        policy.decide(1, &rate_limited(Some("45")), zero),
        RetryDecision::Wait(secs(45)),
        "Retry-After wins"
    );
    assert_eq!(
        policy.decide(1, &rate_limited(Some("45")), secs(100)),
        RetryDecision::Stop,
        "past the deadline"
    );
    assert_eq!(
        policy.decide(1, &transport_error("connect"), zero),
        RetryDecision::Wait(secs(1))
    );
    assert_eq!(
        policy.decide(1, &transport_error("timeout"), zero),
        RetryDecision::Wait(secs(1))
    );
    assert_eq!(
        policy.decide(
            1,
            &Error::Timeout {
                endpoint: "x".into(),
                after: secs(1)
            },
            zero
        ),
        RetryDecision::Wait(secs(1))
    );
    for never in [
        api(400),
        api(401),
        api(404),
        Error::Invalid(amp_transport::amp_model::ValidationError::new("e", "x")),
    ] {
        assert_eq!(
            policy.decide(1, &never, zero),
            RetryDecision::Stop,
            "{never}"
        );
    }
    let decode = Error::Decode {
        endpoint: "x".into(),
        source: Box::new(amp_transport::DecodeError::new("bad", b"")),
    };
    assert_eq!(policy.decide(1, &decode, zero), RetryDecision::Stop);
    let jittered = ExponentialBackoff::default();
    for attempt in 1..4 {
        match jittered.decide(attempt, &api(503), zero) {
            RetryDecision::Wait(wait) => assert!(wait <= jittered.ceiling(attempt), "{wait:?}"),
            RetryDecision::Stop => panic!("attempt {attempt} should retry"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_client_retries_with_backoff_and_gives_up_at_the_limit() {
    let policy = ExponentialBackoff::default().with_jitter(false);
    let (transport, calls) = flaky(2, || Ok(HttpResponse::new(503, "busy")), ok_cohorts);
    let client = builder()
        .transport(transport)
        .retry_policy(policy.clone())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    client.send(&ListCohorts).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(1 + 2),
        "waited the backoff, nothing more"
    );

    let calls = Arc::new(AtomicU32::new(0));
    let stubborn = policy.clone();
    let client = builder()
        .transport(transport_fn({
            let calls = calls.clone();
            move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok(HttpResponse::new(503, "busy")) }
            }
        }))
        .retry_policy(stubborn)
        .build()
        .unwrap();
    let error = client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(calls.load(Ordering::SeqCst), policy.max_attempts);
}

#[tokio::test(start_paused = true)]
async fn a_transport_that_never_answers_times_out() {
    let client = builder()
        .transport(NeverTransport)
        .timeout(Duration::from_secs(5))
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    let policy = ExponentialBackoff::default()
        .with_jitter(false)
        .with_deadline(Duration::from_secs(20));
    let client = builder()
        .transport(NeverTransport)
        .attempt_timeout(Duration::from_secs(5))
        .retry_policy(policy.clone())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    client.send(&ListCohorts).await.unwrap_err();
    // 5 s, wait 1, 5 s, wait 2, 5 s (elapsed 18 s): the next wait of 4 s would pass the
    // policy's deadline.
    assert_eq!(started.elapsed(), Duration::from_secs(18));

    // The whole-request timeout bounds the attempts together.
    let client = builder()
        .transport(NeverTransport)
        .attempt_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(12))
        .retry_policy(policy)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    // 5 s, wait 1, 5 s (11 s): a wait of 2 s would end past the 12 s deadline.
    assert_eq!(started.elapsed(), Duration::from_secs(11));
}

/// A decorator written outside the SDK: counts requests, then delegates.
#[derive(Debug)]
struct Counting<T> {
    inner: T,
    count: AtomicU32,
}

#[async_trait]
impl<T: Transport> Transport for Counting<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.send(request).await
    }
}

#[tokio::test(start_paused = true)]
async fn an_outside_endpoint_and_transport_get_auth_and_retries() {
    let replay = ReplayTransport::new()
        .expect_error(
            Method::Get,
            COHORTS_PATH,
            TransportError::connect("refused"),
        )
        .expect(Method::Get, COHORTS_PATH, HttpResponse::new(503, ""))
        .expect(Method::Get, COHORTS_PATH, ok_cohorts());
    let counting = Arc::new(Counting {
        inner: replay,
        count: AtomicU32::new(0),
    });
    let client = builder()
        .shared_transport(counting.clone())
        .build()
        .unwrap();
    assert_eq!(client.send(&ListCohorts).await.unwrap().cohorts.len(), 1);
    assert_eq!(counting.count.load(Ordering::SeqCst), 3);
    counting.inner.assert_done();
}

/// Collects everything `tracing` writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_secret_in_errors_debug_output_or_logs() {
    // A global subscriber: a scoped one can miss spans whose interest other test threads
    // cached first. The capture then holds every test's log, all of which must be clean.
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let mut rendered = Vec::new();
    runtime.block_on(async {
        let client = builder()
            .transport(
                ReplayTransport::new()
                    .expect(Method::Get, COHORTS_PATH, HttpResponse::new(503, ""))
                    .expect(Method::Get, COHORTS_PATH, HttpResponse::new(401, "")),
            )
            .retry_policy(ExponentialBackoff::default().with_jitter(false))
            .build()
            .unwrap();
        rendered.push(format!("{client:?}"));
        rendered.push(format!(
            "{:?}",
            client.http_request(&ListCohorts.to_request()).unwrap()
        ));
        rendered.push(format!("{:?}", ListCohorts.to_request()));
        let error = client.send(&ListCohorts).await.unwrap_err();
        rendered.push(format!("{error} {error:?}"));
        let eu = builder()
            .region(Region::Eu)
            .transport(NeverTransport)
            .build()
            .unwrap();
        let error = eu.send(&Profile("u")).await.unwrap_err();
        rendered.push(format!("{error} {error:?}"));
        rendered.push(format!("{:?}", builder()));
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("amplitude.request")
            && log.contains("attempt=2")
            && log.contains("status=401"),
        "{log}"
    );
    rendered.push(log);
    let basic = "YXBpLWtleS03ZjNhOnNlY3JldC1rZXktOTFjMg";
    for text in &rendered {
        for secret in [API_KEY, SECRET_KEY, basic] {
            assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
        }
    }
}

/// The real reqwest transport against a server on an ephemeral loopback port.
#[tokio::test]
async fn the_reqwest_transport_talks_to_a_local_server() {
    use axum::extract::RawQuery;
    use axum::http::HeaderMap;
    use axum::routing::get;

    let app = axum::Router::new().route(
        "/api/3/cohorts",
        get(|headers: HeaderMap, RawQuery(query): RawQuery| async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if auth == "Basic YXBpLWtleS03ZjNhOnNlY3JldC1rZXktOTFjMg=="
                && query.as_deref() == Some("includeSyncInfo=true")
            {
                (
                    axum::http::StatusCode::OK,
                    r#"{"cohorts":[{"id":"c1"},{"id":"c2"}]}"#,
                )
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    r#"{"error":"bad auth"}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = builder()
        .base_url(format!("http://{address}"))
        .build()
        .unwrap();
    let cohorts = client.send(&ListCohorts).await.unwrap();
    assert_eq!(cohorts.cohorts.len(), 2);
    let wrong = Client::builder()
        .api_key("nope")
        .secret_key("nope")
        .base_url(format!("http://{address}"))
        .build()
        .unwrap();
    assert_eq!(
        wrong.send(&ListCohorts).await.unwrap_err().status(),
        Some(401)
    );
    server.abort();

    let closed = builder()
        .base_url(format!("http://{address}"))
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let error = closed.send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert!(error.is_retryable());
    // The cause is kept: the transport's error, then the HTTP library's own chain below it.
    let mut chain = Vec::new();
    let mut cause = std::error::Error::source(&error);
    while let Some(error) = cause {
        chain.push(error.to_string());
        cause = error.source();
    }
    assert!(chain.len() >= 3, "{chain:?}");
    assert!(chain[0].starts_with("could not connect"), "{chain:?}");
    let copy = error.clone();
    assert!(
        std::error::Error::source(&copy)
            .and_then(std::error::Error::source)
            .is_some()
    );
}

#[test]
#[should_panic(expected = "expected requests never made")]
fn a_replay_with_unused_expectations_fails_the_test() {
    drop(ReplayTransport::new().expect(Method::Get, COHORTS_PATH, ok_cohorts()));
}

mod governor {
    use std::time::Duration;

    use amp_transport::amp_model::limits::Limit;
    use amp_transport::amp_model::{CostLimitReading, Limits};
    use amp_transport::{ErrorKind, Governor, RateClass};
    use tokio::time::Instant;

    const HOUR: Duration = Duration::from_secs(3600);

    fn limits(change: impl FnOnce(&mut Limits)) -> Governor {
        let mut limits = Limits::default();
        change(&mut limits);
        Governor::new(limits)
    }

    /// Whether `task` is still waiting after a while of paused time.
    async fn still_waiting<T>(task: &tokio::task::JoinHandle<T>) -> bool {
        tokio::time::sleep(Duration::from_secs(1)).await;
        !task.is_finished()
    }

    #[tokio::test(start_paused = true)]
    async fn the_hourly_cost_window_delays_until_cost_expires() {
        let governor = limits(|limits| limits.cost_per_hour = Limit::custom(10, Some(HOUR)));
        let started = Instant::now();
        drop(governor.acquire(RateClass::Cost, 6).await.unwrap());
        assert_eq!(governor.status(RateClass::Cost).hour_remaining, 4);
        drop(governor.acquire(RateClass::Cost, 5).await.unwrap());
        assert_eq!(
            started.elapsed(),
            HOUR,
            "the first 6 had to leave the hour first"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cost_in_flight_waits_for_a_response_and_the_window_reading_for_time() {
        let governor = limits(|_| {});
        let held = governor.acquire(RateClass::Cost, 600).await.unwrap();
        let status = governor.status(RateClass::Cost);
        assert_eq!(
            (
                status.in_flight,
                status.short_window_remaining,
                status.hour_remaining
            ),
            (1, 400, 107_400)
        );
        let waiting = tokio::spawn({
            let governor = governor.clone();
            async move { governor.acquire(RateClass::Cost, 500).await.map(drop) }
        });
        assert!(still_waiting(&waiting).await);
        assert_eq!(governor.status(RateClass::Cost).queued, 1);
        drop(held);
        waiting.await.unwrap().unwrap();

        let window =
            limits(|limits| limits.concurrent_cost_reading = CostLimitReading::FiveMinuteWindow);
        let started = Instant::now();
        drop(window.acquire(RateClass::Cost, 600).await.unwrap());
        drop(window.acquire(RateClass::Cost, 500).await.unwrap());
        assert_eq!(started.elapsed(), Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_and_count_limits() {
        let governor = limits(|_| {});
        let mut held = Vec::new();
        for _ in 0..5 {
            held.push(governor.acquire(RateClass::Cost, 1).await.unwrap());
        }
        let sixth = tokio::spawn({
            let governor = governor.clone();
            async move { governor.acquire(RateClass::Cost, 1).await.map(drop) }
        });
        assert!(still_waiting(&sixth).await);
        held.pop();
        sixth.await.unwrap().unwrap();

        let counted = limits(|limits| {
            limits.user_lookup_per_hour = Limit::custom(2, Some(HOUR));
            limits.profile_per_minute = Limit::custom(2, Some(Duration::from_secs(60)));
        });
        let started = Instant::now();
        for _ in 0..3 {
            drop(counted.acquire(RateClass::Profile, 1).await.unwrap());
        }
        assert_eq!(started.elapsed(), Duration::from_secs(60));
        for _ in 0..3 {
            drop(counted.acquire(RateClass::UserLookup, 1).await.unwrap());
        }
        assert_eq!(started.elapsed(), Duration::from_secs(60) + HOUR);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_in_a_window_from_its_response() {
        let governor = limits(|limits| limits.cost_per_hour = Limit::custom(10, Some(HOUR)));
        let started = Instant::now();
        let slow = governor.acquire(RateClass::Cost, 6).await.unwrap();
        tokio::time::sleep(Duration::from_secs(100)).await;
        drop(slow);
        drop(governor.acquire(RateClass::Cost, 5).await.unwrap());
        assert_eq!(
            started.elapsed(),
            HOUR + Duration::from_secs(100),
            "the server saw it arrive after admission"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn windows_are_the_tables_so_they_can_be_scaled() {
        let scaled = limits(|limits| {
            limits.cost_per_hour = Limit::custom(10, Some(Duration::from_secs(36)));
        });
        let started = Instant::now();
        drop(scaled.acquire(RateClass::Cost, 10).await.unwrap());
        drop(scaled.acquire(RateClass::Cost, 1).await.unwrap());
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(36),
            "an hour of 36 seconds, as an emulator at time scale 100"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_is_first_come_first_served_and_cancellable() {
        let governor = limits(|limits| limits.concurrent_requests = Limit::custom(1, None));
        let held = governor.acquire(RateClass::Cost, 1).await.unwrap();
        let (order, mut served) = tokio::sync::mpsc::unbounded_channel();
        let mut waiters = Vec::new();
        for name in ["first", "second", "third"] {
            let (governor, order) = (governor.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let permit = governor.acquire(RateClass::Cost, 1).await.unwrap();
                order.send(name).unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
                drop(permit);
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let impatient = tokio::spawn({
            let governor = governor.clone();
            async move { governor.acquire(RateClass::Cost, 1).await.map(drop) }
        });
        assert!(still_waiting(&impatient).await);
        assert_eq!(governor.status(RateClass::Cost).queued, 4);
        impatient.abort();
        assert!(impatient.await.unwrap_err().is_cancelled());
        assert_eq!(
            governor.status(RateClass::Cost).queued,
            3,
            "a dropped waiter gives up its place"
        );
        drop(held);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        let mut names = Vec::new();
        while let Ok(name) = served.try_recv() {
            names.push(name);
        }
        assert_eq!(names, ["first", "second", "third"]);
        assert_eq!(
            governor.status(RateClass::Cost).in_flight,
            0,
            "no share leaked"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_impossible_cost_is_refused_and_a_pause_is_honoured() {
        let governor = limits(|_| {});
        let error = governor.acquire(RateClass::Cost, 1_001).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotBuilt);
        assert!(
            error
                .to_string()
                .contains("more than the project's limit of 1000"),
            "{error}"
        );
        governor.pause(RateClass::Cost, Duration::from_secs(30));
        assert_eq!(
            governor.status(RateClass::Cost).paused_for,
            Duration::from_secs(30)
        );
        let started = Instant::now();
        drop(governor.acquire(RateClass::Cost, 1).await.unwrap());
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        drop(governor.acquire(RateClass::Profile, 1).await.unwrap());
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(30),
            "other classes are not paused"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_without_retry_after_pauses_longer_each_time_in_a_row() {
        let governor = limits(|_| {});
        let window = Duration::from_secs(300);
        let first = governor.refused(RateClass::Cost, None);
        assert_eq!(first, window / 256);
        assert_eq!(governor.status(RateClass::Cost).paused_for, first);
        assert_eq!(
            governor.refused(RateClass::Cost, None),
            first,
            "a 429 that arrives during the pause was sent before it and does not count again"
        );
        tokio::time::sleep(first).await;
        assert_eq!(governor.refused(RateClass::Cost, None), first * 2);
        tokio::time::sleep(first * 2).await;
        assert_eq!(governor.refused(RateClass::Cost, None), first * 4);
        assert_eq!(
            governor.refused(RateClass::Cost, Some(Duration::from_secs(40))),
            Duration::from_secs(40),
            "Amplitude's Retry-After wins"
        );
        for _ in 0..20 {
            tokio::time::sleep(window).await;
            governor.refused(RateClass::Cost, None);
        }
        assert_eq!(
            governor.status(RateClass::Cost).paused_for,
            window,
            "never longer than the window"
        );
        tokio::time::sleep(window).await;
        governor.answered(RateClass::Cost);
        assert_eq!(
            governor.refused(RateClass::Cost, None),
            first,
            "an answer ends the run"
        );
        assert_eq!(
            governor.refused(RateClass::Profile, None),
            Duration::from_secs(60) / 256,
            "each class keeps its own run, paced by its own window"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_the_class_for_as_long_as_amplitude_asks() {
    let limited = HttpResponse::new(429, r#"{"error":{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{"details":"Too Many Requests: Exceeded rate limit with query of cost 1"}}}"#)
        .with_header("retry-after", "20");
    let replay = ReplayTransport::new()
        .expect(Method::Get, COHORTS_PATH, limited)
        .expect(Method::Get, COHORTS_PATH, ok_cohorts());
    let client = builder()
        .transport(replay)
        .retry_policy(ExponentialBackoff::default().with_jitter(false))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    client.send(&ListCohorts).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    assert_eq!(
        client
            .governor()
            .unwrap()
            .status(amp_transport::RateClass::Cost)
            .in_flight,
        0
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_pauses_the_class_and_an_answer_ends_the_run() {
    let limited = || {
        HttpResponse::new(
            429,
            r#"{"error":{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{"details":"Too Many Requests: Exceeded rate limit with query of cost 1"}}}"#,
        )
    };
    let replay = ReplayTransport::new()
        .expect(Method::Get, COHORTS_PATH, limited())
        .expect(Method::Get, COHORTS_PATH, ok_cohorts())
        .expect(Method::Get, COHORTS_PATH, limited());
    let client = builder()
        .transport(replay)
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let governor = client.governor().unwrap().clone();
    let base = Duration::from_secs(300) / 256;
    client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(
        governor.status(amp_transport::RateClass::Cost).paused_for,
        base
    );
    let started = tokio::time::Instant::now();
    client.send(&ListCohorts).await.unwrap();
    // Tokio's timers tick in whole milliseconds.
    let waited = started.elapsed();
    assert!(
        waited >= base && waited <= base + Duration::from_millis(1),
        "the next request waits out the pause: {waited:?}"
    );
    client.send(&ListCohorts).await.unwrap_err();
    assert_eq!(
        governor.status(amp_transport::RateClass::Cost).paused_for,
        base,
        "the answer in between ended the run of refusals"
    );
}

/// An endpoint numbered for a bulk run: `/api/3/cohorts?n=N`.
#[derive(Debug, Clone)]
struct Numbered(u64);

impl Endpoint for Numbered {
    type Response = serde_json::Value;
    fn name(&self) -> Cow<'static, str> {
        "Numbered".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }
    fn path(&self) -> Cow<'_, str> {
        "/api/3/cohorts".into()
    }
    fn query(&self) -> amp_transport::amp_model::QueryPairs {
        let mut pairs = amp_transport::amp_model::QueryPairs::new();
        pairs.push("n", self.0);
        pairs
    }
}

#[tokio::test(start_paused = true)]
async fn a_bulk_run_yields_each_result_as_it_completes() {
    use futures_util::StreamExt as _;

    // Request N takes 10 - N seconds; request 3 fails.
    let transport = transport_fn(|request: HttpRequest| async move {
        let n: u64 = request.url.rsplit('=').next().unwrap().parse().unwrap();
        tokio::time::sleep(Duration::from_secs(10 - n)).await;
        Ok(if n == 3 {
            HttpResponse::new(400, "")
        } else {
            HttpResponse::new(200, format!(r#"{{"n":{n}}}"#))
        })
    });
    let client = builder()
        .transport(transport)
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let mut seen = Vec::new();
    let started = tokio::time::Instant::now();
    let results: Vec<(usize, Result<serde_json::Value, Error>)> = client
        .send_all((0..10).map(Numbered).collect(), 5, |progress| {
            seen.push((progress.done, progress.failed, progress.total));
        })
        .collect()
        .await;
    let order: Vec<usize> = results.iter().map(|(index, _)| *index).collect();
    // 0 to 4 start at once and end at 10 to 6 s; each ending starts the next, so 5 to 9 all end
    // at 11 s, in the order they started.
    assert_eq!(order, [4, 3, 2, 1, 0, 5, 6, 7, 8, 9]);
    assert_eq!(started.elapsed(), Duration::from_secs(11));
    assert!(
        results
            .iter()
            .all(|(index, result)| (*index == 3) == result.is_err())
    );
    assert_eq!(results[0].1.as_ref().unwrap()["n"], 4);
    assert_eq!(seen.last(), Some(&(10, 1, 10)));
    assert_eq!(seen.len(), 10);
}

#[test]
fn broken_connections_and_cut_bodies_are_retryable() {
    let policy = ExponentialBackoff::default().with_jitter(false);
    let (zero, secs) = (Duration::ZERO, Duration::from_secs);
    // A connection that broke mid-answer is worth another try (the client repeats only an
    // idempotent request that may have been sent).
    assert_eq!(
        policy.decide(1, &transport_error("other"), zero),
        RetryDecision::Wait(secs(1))
    );
    let cut_short = Error::Decode {
        endpoint: "x".into(),
        source: Box::new(
            amp_transport::DecodeError::decode_json::<serde_json::Value>(br#"{"data": [1, 2"#)
                .unwrap_err(),
        ),
    };
    assert_eq!(
        policy.decide(1, &cut_short, zero),
        RetryDecision::Wait(secs(1))
    );
}

/// `POST /api/3/cohorts/upload`, not safe to repeat.
#[derive(Debug, Clone)]
struct UploadCohort;

impl Endpoint for UploadCohort {
    type Response = serde_json::Value;
    fn name(&self) -> Cow<'static, str> {
        "UploadCohort".into()
    }
    fn family(&self) -> ApiFamily {
        ApiFamily::Dashboard
    }
    fn method(&self) -> Method {
        Method::Post
    }
    fn path(&self) -> Cow<'_, str> {
        "/api/3/cohorts/upload".into()
    }
    fn body(&self) -> Option<amp_transport::Body> {
        amp_transport::Body::json(&serde_json::json!({"name": "x", "ids": ["a"]})).ok()
    }
}

/// A transport that fails its first `failures` calls the way `fail` says, then answers
/// `answer`; it counts the calls.
fn flaky(
    failures: u32,
    fail: fn() -> Result<HttpResponse, TransportError>,
    answer: fn() -> HttpResponse,
) -> (impl Transport, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let transport = transport_fn(move |_request| {
        let call = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if call < failures {
                fail()
            } else {
                Ok(answer())
            }
        }
    });
    (transport, calls)
}

/// A client over `transport` that retries quickly.
fn retrying(transport: impl Transport + 'static) -> Client {
    builder()
        .transport(transport)
        .retry_policy(quick_retries())
        .build()
        .unwrap()
}

fn quick_retries() -> ExponentialBackoff {
    ExponentialBackoff::default()
        .with_jitter(false)
        .with_delays(Duration::from_millis(1), Duration::from_millis(4))
}

#[tokio::test]
async fn a_get_cut_short_is_asked_again_and_a_post_that_may_have_run_is_not() {
    let reset = || Err(TransportError::other("connection reset mid-body"));
    let half_body = || Ok(HttpResponse::new(200, r#"{"cohorts":[{"id""#));
    for (what, fail) in [
        ("reset", reset as fn() -> _),
        ("body cut short", half_body as fn() -> _),
    ] {
        let (transport, calls) = flaky(2, fail, ok_cohorts);
        let client = retrying(transport);
        let cohorts = client
            .send(&ListCohorts)
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        assert_eq!(cohorts.cohorts.len(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 3, "{what}");
    }

    // A body that is whole JSON of the wrong shape is not asked again.
    let (transport, calls) = flaky(0, reset, || HttpResponse::new(200, r#"{"cohorts": 7}"#));
    let client = retrying(transport);
    assert_eq!(
        client.send(&ListCohorts).await.unwrap_err().kind(),
        ErrorKind::Decode
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A POST that may have reached Amplitude is never sent twice, and its error says it may
    // have been applied; one that could not connect, or was refused with a 429, is sent again.
    let unavailable = || Ok(HttpResponse::new(503, r#"{"error": "busy"}"#));
    for (what, fail) in [
        ("reset", reset as fn() -> _),
        ("503", unavailable as fn() -> _),
    ] {
        let (transport, calls) = flaky(1, fail, || HttpResponse::new(200, "{}"));
        let client = retrying(transport);
        let error = client.send(&UploadCohort).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Unconfirmed {
                    method: Method::Post,
                    ..
                }
            ),
            "{what}: {error:?}"
        );
        assert!(error.may_have_applied(), "{what}");
        assert!(!error.is_retryable(), "{what}");
        let message = error.to_string();
        assert!(
            message.contains("POST may have been applied; it was not sent again"),
            "{what}: {message}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{what}");
    }
    let (transport, calls) = flaky(0, reset, || HttpResponse::new(200, "not json"));
    let error = retrying(transport).send(&UploadCohort).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("was applied (Amplitude answered 2xx) but its answer could not be read"),
        "{error}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let refused = || Err(TransportError::connect("connection refused"));
    let too_many = || Ok(HttpResponse::new(429, r#"{"error": "Too Many Requests"}"#));
    for (what, fail) in [
        ("refused", refused as fn() -> _),
        ("429", too_many as fn() -> _),
    ] {
        let (transport, calls) = flaky(1, fail, || HttpResponse::new(200, "{}"));
        retrying(transport)
            .send(&UploadCohort)
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{what}");
    }
    // A write that says it is safe to repeat is sent again like a GET.
    let (transport, calls) = flaky(1, reset, || HttpResponse::new(200, "{}"));
    retrying(transport)
        .send(&Repeatable(UploadCohort))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A write declared safe to repeat.
#[derive(Debug, Clone)]
struct Repeatable<E>(E);

impl<E: Endpoint> Endpoint for Repeatable<E> {
    type Response = E::Response;
    fn name(&self) -> Cow<'static, str> {
        self.0.name()
    }
    fn family(&self) -> ApiFamily {
        self.0.family()
    }
    fn method(&self) -> Method {
        self.0.method()
    }
    fn repeatable(&self) -> bool {
        true
    }
    fn path(&self) -> Cow<'_, str> {
        self.0.path()
    }
    fn body(&self) -> Option<amp_transport::Body> {
        self.0.body()
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_attempt_is_cut_and_tried_again_within_the_deadline() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let transport = transport_fn(move |_request| {
        let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                std::future::pending::<()>().await;
            }
            Ok(ok_cohorts())
        }
    });
    let client = builder()
        .transport(transport)
        .attempt_timeout(Duration::from_secs(30))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    client.send(&ListCohorts).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(30) && elapsed < Duration::from_secs(31),
        "{elapsed:?}"
    );
}

/// A 429 body naming `limit` ("concurrent" or "rate").
fn refused_for(limit: &str) -> HttpResponse {
    HttpResponse::new(
        429,
        format!(
            r#"{{"error":{{"http_code":429,"type":"unspecified","message":"Unspecified Error","metadata":{{"details":"Too Many Requests: Exceeded {limit} limit with query of cost 415"}}}}}}"#
        ),
    )
}

/// When the second of two requests, sent while the first takes 10 s, is answered (its first
/// attempt refused for `limit`, its retry accepted).
async fn second_answered_after(limit: &'static str) -> Duration {
    let calls = Arc::new(AtomicU32::new(0));
    let transport = transport_fn({
        let calls = calls.clone();
        move |_| {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(match call {
                    0 => {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        ok_cohorts()
                    }
                    1 => refused_for(limit),
                    _ => ok_cohorts(),
                })
            }
        }
    });
    let client = builder()
        .transport(transport)
        .retry_policy(ExponentialBackoff::default().with_jitter(false))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.send(&ListCohorts).await }
    });
    tokio::time::sleep(Duration::from_millis(1)).await;
    client.send(&ListCohorts).await.unwrap();
    let second = started.elapsed();
    slow.await.unwrap().unwrap();
    second
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_limit_waits_for_a_request_in_flight_and_a_rate_limit_pauses_the_window() {
    let error = Error::from_response(
        "GetUsers".into(),
        ApiFamily::Dashboard,
        &refused_for("concurrent"),
    );
    let text = error.to_string();
    assert!(
        text.contains("over the concurrent limit") && text.contains("cost 415"),
        "{text}"
    );
    let rate = Error::from_response(
        "GetUsers".into(),
        ApiFamily::Dashboard,
        &refused_for("rate"),
    );
    assert!(rate.to_string().contains("over the rate limit"), "{rate}");

    let concurrent = second_answered_after("concurrent").await;
    assert!(
        concurrent >= Duration::from_secs(10),
        "the retry waits until the request in flight is done: {concurrent:?}"
    );
    let rated = second_answered_after("rate").await;
    assert!(
        rated < Duration::from_secs(10),
        "a rate limit pauses the class for a backoff, not until the request in flight ends: {rated:?}"
    );
}

#[tokio::test]
async fn auth_errors_name_the_likely_cause() {
    let unknown = error_for(403, "Invalid API Key", false).await.to_string();
    assert!(unknown.contains("check the region"), "{unknown}");
    let secret = error_for(403, "Invalid API/Secret Key combination", false)
        .await
        .to_string();
    assert!(secret.contains("check the secret key"), "{secret}");
    assert!(!secret.contains("check the region"), "{secret}");
}

/// A body of `chunks` pieces of 64 KiB, sent one at a time.
fn chunked_body(chunks: usize) -> axum::body::Body {
    let pieces = (0..chunks).map(|index| {
        Ok::<_, std::convert::Infallible>(bytes::Bytes::from(vec![
            u8::try_from(index % 251)
                .unwrap();
            64 * 1024
        ]))
    });
    axum::body::Body::from_stream(futures_util::stream::iter(pieces))
}

/// Streamed bodies: the reqwest transport hands the body over as it arrives, in several
/// chunks; the governor's share is held until the body has been read; a transport that only
/// returns whole bodies streams its body as one chunk.
#[tokio::test]
async fn bodies_stream_through_the_reqwest_transport_and_whole_through_any_other() {
    use axum::routing::get;

    let app = axum::Router::new().route("/api/3/cohorts", get(|| async { chunked_body(40) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let local = builder()
        .base_url(format!("http://{address}"))
        .build()
        .unwrap();
    let mut download = local.send_streaming(&ListCohorts).await.unwrap();
    assert_eq!(download.status(), 200);
    let governor = local.governor().unwrap();
    assert_eq!(
        governor.status(RateClass::Cost).in_flight,
        1,
        "held while the body arrives"
    );
    let mut chunks = 0;
    let mut bytes = Vec::new();
    while let Some(chunk) = download.chunk().await.unwrap() {
        chunks += 1;
        bytes.extend_from_slice(&chunk);
    }
    assert_eq!(bytes.len(), 40 * 64 * 1024);
    assert_eq!(bytes[64 * 1024 * 39], 39);
    assert!(chunks > 1, "the body came in pieces: {chunks}");
    assert_eq!(download.received(), bytes.len() as u64);
    assert_eq!(
        governor.status(RateClass::Cost).in_flight,
        0,
        "returned at the end"
    );
    server.abort();

    // A transport of whole bodies (no `send_streaming` of its own).
    let whole = client(transport_fn(|_| async { Ok(ok_cohorts()) }));
    let download = whole.send_streaming(&ListCohorts).await.unwrap();
    assert_eq!(download.bytes().await.unwrap(), ok_cohorts().body);
    // A refusal is an error with Amplitude's message, as for any request.
    let refused = client(transport_fn(|_| async {
        Ok(HttpResponse::new(404, "Raw data files were not found."))
    }));
    let error = refused.send_streaming(&ListCohorts).await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert!(
        error.to_string().contains("Raw data files were not found."),
        "{error}"
    );
}

/// A transport whose body sends one chunk, then stalls forever.
#[derive(Debug)]
struct Stalls;

#[async_trait]
impl Transport for Stalls {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        unreachable!("only streamed here")
    }

    async fn send_streaming(
        &self,
        _request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        let first = futures_util::stream::once(async { Ok(bytes::Bytes::from_static(b"PK")) });
        let body = futures_util::StreamExt::chain(first, futures_util::stream::pending());
        Ok(StreamingResponse::new(200, Vec::new(), Box::pin(body)))
    }
}

/// A stalled download fails after the read timeout instead of hanging, and a slow one at the
/// download deadline even while bytes trickle in.
#[tokio::test(start_paused = true)]
async fn a_stalled_download_times_out_per_read_and_overall() {
    let client = builder()
        .transport(Stalls)
        .read_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut download = client.send_streaming(&ListCohorts).await.unwrap();
    assert_eq!(download.chunk().await.unwrap().unwrap(), &b"PK"[..]);
    let started = tokio::time::Instant::now();
    let error = download.chunk().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(
        client.governor().unwrap().status(RateClass::Cost).in_flight,
        0,
        "a failed body returns its share"
    );

    let deadline = builder()
        .transport(Trickles)
        .read_timeout(Duration::from_secs(5))
        .download_timeout(Duration::from_secs(7))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut download = deadline.send_streaming(&ListCohorts).await.unwrap();
    let mut chunks = 0;
    let error = loop {
        match download.chunk().await {
            Ok(Some(_)) => chunks += 1,
            Ok(None) => panic!("a trickle never ends"),
            Err(error) => break error,
        }
    };
    assert_eq!(
        error.kind(),
        ErrorKind::Timeout,
        "past the download deadline: {error}"
    );
    assert_eq!((chunks, started.elapsed()), (3, Duration::from_secs(7)));
}

/// A transport whose body sends a byte every 2 s, forever.
#[derive(Debug)]
struct Trickles;

#[async_trait]
impl Transport for Trickles {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        unreachable!("only streamed here")
    }

    async fn send_streaming(
        &self,
        _request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        let body = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Some((Ok(bytes::Bytes::from_static(b".")), ()))
        });
        Ok(StreamingResponse::new(200, Vec::new(), Box::pin(body)))
    }
}

#[tokio::test]
async fn a_redirect_is_followed_to_its_host_without_credentials() {
    let moved = |location: &str| HttpResponse::new(302, "").with_header("location", location);
    let recording = Arc::new(RecordingTransport::new(
        ReplayTransport::new()
            .expect(
                Method::Get,
                COHORTS_PATH,
                moved("https://files.example/c.json?X-Amz-Signature=s1"),
            )
            .expect(Method::Get, "/c.json?X-Amz-Signature=s1", moved("/d.json"))
            .expect(Method::Get, "/d.json", ok_cohorts()),
    ));
    let following = builder()
        .shared_transport(recording.clone())
        .retry_policy(NoRetry)
        .build()
        .unwrap();
    let cohorts = following.send(&ListCohorts).await.unwrap();
    assert_eq!(cohorts.cohorts.len(), 1);
    let sent = recording.requests();
    assert!(sent[0].header("authorization").is_some());
    assert_eq!(
        sent[1].url,
        "https://files.example/c.json?X-Amz-Signature=s1"
    );
    // A relative location stays on the host that sent it.
    assert_eq!(sent[2].url, "https://files.example/d.json");
    for request in &sent[1..] {
        assert_eq!(request.header("authorization"), None, "{}", request.url);
    }

    // Redirects that never end are answered as they are, an error naming the status.
    let looping = ReplayTransport::new()
        .expect(Method::Get, COHORTS_PATH, moved("/a"))
        .expect(Method::Get, "/a", moved("/a"))
        .expect(Method::Get, "/a", moved("/a"))
        .expect(Method::Get, "/a", moved("/a"));
    let error = client(looping).send(&ListCohorts).await.unwrap_err();
    assert_eq!(error.status(), Some(302), "{error}");
}

#[tokio::test]
async fn a_2xx_saying_success_false_is_a_refusal_not_an_answer() {
    let reset = || Err(TransportError::other("unused"));
    let (transport, calls) = flaky(0, reset, || {
        HttpResponse::new(
            200,
            r#"{"success": false, "errors": [{"message": "Invalid type"}]}"#,
        )
    });
    let error = retrying(transport).send(&UploadCohort).await.unwrap_err();
    assert!(matches!(error, Error::Api { status: 200, .. }), "{error:?}");
    assert!(error.to_string().contains("Invalid type"), "{error}");
    assert!(!error.may_have_applied(), "Amplitude said it refused");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "a refusal is final");
    // Without its list of errors, the refusal says so.
    let (transport, _) = flaky(0, reset, || HttpResponse::new(200, r#"{"success": false}"#));
    let error = retrying(transport).send(&UploadCohort).await.unwrap_err();
    assert!(error.to_string().contains("without saying why"), "{error}");
}
