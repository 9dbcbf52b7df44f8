use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use amp_model::catalogue::ApiFamily;
use base64::Engine as _;
use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::credentials::Credential;
use crate::download::Download;
use crate::endpoint::Endpoint;
use crate::error::{ConfigError, DecodeError, Error, Unsupported};
use crate::governor::{Governor, Permit};
use crate::region::{Region, UnknownRegion};
use crate::request::{HttpRequest, HttpResponse, Request, StreamingResponse};
use crate::retry::{ExponentialBackoff, RetryDecision, RetryPolicy};
use crate::transport::Transport;
use amp_model::{ErrorBody, ExceededLimit, Limits};

/// How long a whole request may take by default: Amplitude's large queries are slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one attempt may take by default: well under [`DEFAULT_TIMEOUT`], so that an attempt
/// that hangs (Amplitude is seen holding a connection ~30 s instead of answering) is cut and
/// tried again within the request's deadline.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a streamed response may go without a byte by default, its head included.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a streamed response may take by default, from its first attempt to its last byte:
/// a day of raw events can be gigabytes.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How long connecting may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends endpoints to Amplitude. Cheap to clone (one `Arc` inside) and shared across tasks.
///
/// ```no_run
/// # async fn run() -> Result<(), amp_transport::Error> {
/// let client = amp_transport::Client::from_env()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    /// `Authorization` for the Dashboard API, `Basic base64(api_key:secret_key)`, when there is
    /// an API key; built once.
    dashboard_authorization: Option<Credential>,
    /// `Authorization` for the Profile API, `Api-Key <secret_key>`.
    profile_authorization: Credential,
    region: Region,
    dashboard_base: String,
    profile_base: Option<String>,
    transport: Arc<dyn Transport>,
    retry: Arc<dyn RetryPolicy>,
    governor: Option<Governor>,
    timeout: Duration,
    attempt_timeout: Duration,
    read_timeout: Duration,
    download_timeout: Duration,
    user_agent: String,
}

/// What one attempt got: a whole response, or a successful one whose body is still arriving.
enum Answer {
    Whole(HttpResponse),
    Streaming(StreamingResponse),
}

impl Answer {
    fn status(&self) -> u16 {
        match self {
            Self::Whole(response) => response.status,
            Self::Streaming(response) => response.status,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        formatter
            .debug_struct("Client")
            .field("dashboard_authorization", &inner.dashboard_authorization)
            .field("profile_authorization", &inner.profile_authorization)
            .field("region", &inner.region)
            .field("dashboard_base", &inner.dashboard_base)
            .field("profile_base", &inner.profile_base)
            .field("transport", &inner.transport)
            .field("retry", &inner.retry)
            .field("governor", &inner.governor.is_some())
            .field("timeout", &inner.timeout)
            .field("attempt_timeout", &inner.attempt_timeout)
            .field("read_timeout", &inner.read_timeout)
            .field("download_timeout", &inner.download_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults: US region, the reqwest transport, the default retry policy.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment; see [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Validates, sends and decodes `endpoint`, retrying as the retry policy allows.
    pub async fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Response, Error> {
        self.send_decoded(endpoint, |response| endpoint.parse_response(&response))
            .await
    }

    /// Like [`Client::send`], but decodes the body into a type of the caller's choosing.
    pub async fn send_as<T: DeserializeOwned, E: Endpoint>(
        &self,
        endpoint: &E,
    ) -> Result<T, Error> {
        self.send_decoded(endpoint, |response| {
            DecodeError::decode_json(&response.body)
        })
        .await
    }

    /// Like [`Client::send`], and also hands back the response the answer was decoded from, for
    /// a caller that shows what Amplitude sent (keys and numbers the typed answer does not keep).
    pub async fn send_keeping_response<E: Endpoint>(
        &self,
        endpoint: &E,
    ) -> Result<(E::Response, HttpResponse), Error> {
        self.send_decoded(endpoint, |response| {
            Ok((endpoint.parse_response(&response)?, response))
        })
        .await
    }

    /// Sends `endpoint` and returns the successful response as it came: the escape hatch for a
    /// body the SDK does not model.
    pub async fn send_raw<E: Endpoint>(&self, endpoint: &E) -> Result<HttpResponse, Error> {
        self.send_decoded(endpoint, Ok).await
    }

    /// Sends `endpoint` and returns as soon as a successful response's head is in, its body
    /// to be read as it arrives: for exports and files too large to hold. The head is retried
    /// like any request; each read of the body must come within [`ClientBuilder::read_timeout`]
    /// and the whole body within [`ClientBuilder::download_timeout`] of the first attempt. The
    /// governor's share is held until the [`Download`] is read to its end or dropped. A body
    /// that breaks off is an error of [`Download::chunk`]; start again with a new request (see
    /// [`Client::retry_decision`]).
    pub async fn send_streaming<E: Endpoint>(&self, endpoint: &E) -> Result<Download, Error> {
        let (response, permit, started) = self.run(endpoint, true, Ok).await?;
        let Answer::Streaming(response) = response else {
            unreachable!("a streamed attempt answers with a stream")
        };
        Ok(Download::new(
            endpoint.name(),
            response,
            permit,
            self.inner.read_timeout,
            started + self.inner.download_timeout,
        ))
    }

    /// Sends `endpoint` and decodes its answer with `decode`, under the governor, retrying as
    /// the policy decides. A write that may have taken effect is repeated only when it is
    /// [`Endpoint::repeatable`], else it fails [`Error::Unconfirmed`]; a body that broke off counts as a failed attempt, so a `GET` cut short
    /// is asked again. Attempts share the whole-request deadline ([`ClientBuilder::timeout`]),
    /// each cut at [`ClientBuilder::attempt_timeout`].
    async fn send_decoded<E: Endpoint, T>(
        &self,
        endpoint: &E,
        decode: impl Fn(HttpResponse) -> Result<T, DecodeError>,
    ) -> Result<T, Error> {
        let (value, _permit, _started) = self
            .run(endpoint, false, |answer| match answer {
                Answer::Whole(response) => decode(response),
                Answer::Streaming(_) => unreachable!("a whole attempt answers whole"),
            })
            .await?;
        Ok(value)
    }

    /// The retry loop: validates and sends `endpoint` (`streaming` or whole), decodes each
    /// answer with `decode`, and returns the value, the governor's share (still held) and when
    /// the first attempt started.
    async fn run<E: Endpoint, T>(
        &self,
        endpoint: &E,
        streaming: bool,
        decode: impl Fn(Answer) -> Result<T, DecodeError>,
    ) -> Result<(T, Option<Permit>, Instant), Error> {
        endpoint.validate()?;
        let request = endpoint.to_request();
        let http = self.http_request(&request)?;
        let mut started = None;
        let mut attempt = 1;
        loop {
            let span = tracing::info_span!(
                "amplitude.request",
                endpoint = %request.endpoint,
                cost = request.cost.total(),
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            // The governor's share is held until the response is in, and returned on any exit.
            let mut permit = match &self.inner.governor {
                Some(governor) => Some(
                    governor
                        .acquire(request.rate_class, request.cost.total())
                        .await?,
                ),
                None => None,
            };
            // The deadline runs from the first attempt: waiting for the governor is not late.
            let first = *started.get_or_insert_with(Instant::now);
            let deadline = first + self.inner.timeout;
            let outcome = self
                .attempt(&request, http.clone(), deadline, streaming)
                .instrument(span.clone())
                .await
                .and_then(|response| {
                    decode(response).map_err(|source| Error::Decode {
                        endpoint: request.endpoint.clone(),
                        source: Box::new(source),
                    })
                });
            // A failed attempt returns its share before the governor hears of the failure, so
            // that it counts only the requests still in flight; a stream keeps it to its end.
            if outcome.is_err() {
                permit = None;
            }
            if let Some(governor) = &self.inner.governor {
                match &outcome {
                    Err(Error::RateLimited {
                        limit: Some(ExceededLimit::Concurrent),
                        ..
                    }) => match governor.refused_concurrent(request.rate_class) {
                        Some(pause) => {
                            tracing::debug!(parent: &span, pause_ms = pause.as_millis(), "class paused");
                        }
                        None => {
                            tracing::debug!(parent: &span, "waiting for a request in flight to finish");
                        }
                    },
                    Err(error @ Error::RateLimited { .. }) => {
                        let pause = governor.refused(request.rate_class, error.retry_after());
                        tracing::debug!(parent: &span, pause_ms = pause.as_millis(), "class paused");
                    }
                    Err(Error::Transport { .. } | Error::Timeout { .. }) => {}
                    Err(_) | Ok(_) => governor.answered(request.rate_class),
                }
            }
            let error = match outcome {
                Ok(value) => return Ok((value, permit, first)),
                Err(error) => error,
            };
            if !request.repeatable && error.may_have_applied() {
                return Err(Error::Unconfirmed {
                    endpoint: request.endpoint.clone(),
                    method: request.method,
                    source: Box::new(error),
                });
            }
            let elapsed = first.elapsed();
            match self.inner.retry.decide(attempt, &error, elapsed) {
                RetryDecision::Wait(wait) if Instant::now() + wait < deadline => {
                    tracing::debug!(parent: &span, wait_ms = wait.as_millis(), %error, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return Err(error),
            }
        }
    }

    /// What the client's retry policy decides after attempt `attempt` failed with `error`,
    /// `elapsed` after the first: for a caller that repeats a request itself, such as a
    /// download whose body broke off.
    pub fn retry_decision(&self, attempt: u32, error: &Error, elapsed: Duration) -> RetryDecision {
        self.inner.retry.decide(attempt, error, elapsed)
    }

    /// The same client (transport, governor, credentials) with another retry policy, for one
    /// kind of work that needs its own (an export that halves a window on a 504 rather than
    /// asking again).
    #[must_use]
    pub fn with_retry_policy(&self, policy: Arc<dyn RetryPolicy>) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.retry = policy;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The client's retry policy.
    pub fn retry_policy(&self) -> Arc<dyn RetryPolicy> {
        Arc::clone(&self.inner.retry)
    }

    /// One attempt, cut at the attempt timeout or the request's deadline, whichever is first;
    /// a streamed attempt waits up to the read timeout for the head instead. A refusal's body
    /// is read whole, for its message.
    async fn attempt(
        &self,
        request: &Request,
        http: HttpRequest,
        deadline: Instant,
        streaming: bool,
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        let limit = if streaming {
            self.inner.read_timeout
        } else {
            self.inner
                .attempt_timeout
                .min(deadline.saturating_duration_since(started))
        };
        tracing::debug!(method = %http.method, url = %http.url, "sending");
        let transport = &self.inner.transport;
        let sent = tokio::time::timeout(limit, async {
            let mut http = http;
            let mut hops = 0;
            loop {
                let answer = if streaming {
                    let response = transport.send_streaming(http.clone()).await?;
                    if (200..300).contains(&response.status) {
                        Answer::Streaming(response)
                    } else {
                        Answer::Whole(response.collect().await?)
                    }
                } else {
                    Answer::Whole(transport.send(http.clone()).await?)
                };
                match redirected(&answer, &http.url) {
                    Some(location) if hops < MAX_REDIRECTS => {
                        hops += 1;
                        http = self.uncredentialed(location);
                    }
                    _ => return Ok(answer),
                }
            }
        })
        .await;
        let span = tracing::Span::current();
        let latency_ms = started.elapsed().as_millis();
        span.record("latency_ms", latency_ms);
        // The span carries the latency; these say what came back.
        match &sent {
            Ok(Ok(answer)) => tracing::info!(status = answer.status(), "answered"),
            Ok(Err(error)) => tracing::info!(%error, "no answer"),
            Err(_) => tracing::info!("no answer in time"),
        }
        let answer = match sent {
            Err(_) => {
                return Err(Error::Timeout {
                    endpoint: request.endpoint.clone(),
                    after: limit,
                });
            }
            Ok(Err(source)) => {
                return Err(Error::Transport {
                    endpoint: request.endpoint.clone(),
                    source,
                });
            }
            Ok(Ok(answer)) => answer,
        };
        span.record("status", answer.status());
        match answer {
            // A 2xx saying `success: false` is a refusal too (the Taxonomy API documents one).
            Answer::Whole(response)
                if !response.is_success() || ErrorBody::refusal(&response.body).is_some() =>
            {
                Err(Error::from_response(
                    request.endpoint.clone(),
                    request.family,
                    &response,
                ))
            }
            answer => Ok(answer),
        }
    }

    /// A plain `GET` of `url` without credentials: where Amplitude redirects a download to (a
    /// pre-signed storage URL on another host, which refuses an `Authorization` header). The
    /// URL carries its own signature, so it is not logged.
    fn uncredentialed(&self, url: String) -> HttpRequest {
        tracing::debug!(
            host = url.split('/').nth(2).unwrap_or_default(),
            "following a redirect without credentials"
        );
        HttpRequest::get(url).with_header("user-agent", self.inner.user_agent.clone())
    }

    /// The full HTTP request for `request`: host by family and region, credentials, headers.
    /// Nothing is sent; an EU client asking for a profile gets its error here.
    pub fn http_request(&self, request: &Request) -> Result<HttpRequest, Error> {
        let inner = &self.inner;
        let (base, authorization) =
            if request.family == ApiFamily::Profile {
                let base =
                    inner
                        .profile_base
                        .as_deref()
                        .ok_or_else(|| Unsupported::ProfileOutsideUs {
                            endpoint: request.endpoint.clone(),
                            region: inner.region,
                        })?;
                (base, &inner.profile_authorization)
            } else {
                let authorization = inner.dashboard_authorization.as_ref().ok_or_else(|| {
                    Unsupported::NoApiKey {
                        endpoint: request.endpoint.clone(),
                    }
                })?;
                (inner.dashboard_base.as_str(), authorization)
            };
        let mut headers = vec![
            (
                Cow::Borrowed("authorization"),
                authorization.expose().to_owned(),
            ),
            (Cow::Borrowed("user-agent"), inner.user_agent.clone()),
            (Cow::Borrowed("accept"), "application/json".to_owned()),
        ];
        if let Some(body) = &request.body {
            headers.push((Cow::Borrowed("content-type"), body.content_type.to_string()));
        }
        Ok(HttpRequest {
            method: request.method,
            url: format!("{base}{}", request.path_and_query()),
            headers,
            body: request.body.clone(),
        })
    }

    /// Sends every endpoint, up to `in_flight` at a time, each under the governor, and yields
    /// `(index, result)` as each completes; `on_progress` hears of every completion. A failure
    /// is its own result and stops nothing.
    pub fn send_all<'a, E: Endpoint + 'a>(
        &'a self,
        endpoints: Vec<E>,
        in_flight: usize,
        mut on_progress: impl FnMut(Progress) + 'a,
    ) -> impl Stream<Item = (usize, Result<E::Response, Error>)> + 'a {
        let total = endpoints.len();
        let mut progress = Progress {
            done: 0,
            failed: 0,
            total,
        };
        futures_util::stream::iter(endpoints.into_iter().enumerate())
            .map(move |(index, endpoint)| async move { (index, self.send(&endpoint).await) })
            .buffer_unordered(in_flight.max(1))
            .inspect(move |(_, result)| {
                progress.done += 1;
                progress.failed += usize::from(result.is_err());
                on_progress(progress);
            })
    }

    /// The rate governor, if the client has one (it does unless built without).
    pub fn governor(&self) -> Option<&Governor> {
        self.inner.governor.as_ref()
    }

    /// The region this client targets.
    pub fn region(&self) -> Region {
        self.inner.region
    }
}

/// How far a [`Client::send_all`] run has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Endpoints answered or failed.
    pub done: usize,
    /// Of those, the failures.
    pub failed: usize,
    /// Endpoints in the run.
    pub total: usize,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<Credential>,
    secret_key: Option<Credential>,
    region: Region,
    base_url: Option<String>,
    profile_base_url: Option<String>,
    transport: Option<Arc<dyn Transport>>,
    retry: Arc<dyn RetryPolicy>,
    governor: Option<Governor>,
    timeout: Duration,
    attempt_timeout: Duration,
    read_timeout: Duration,
    download_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            secret_key: None,
            region: Region::Us,
            base_url: None,
            profile_base_url: None,
            transport: None,
            retry: Arc::new(ExponentialBackoff::default()),
            governor: Some(Governor::new(Limits::default())),
            timeout: DEFAULT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("amplitude-api-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ClientBuilder {
    /// A builder from the environment: `AMPLITUDE_API_KEY`, `AMPLITUDE_SECRET_KEY` (required),
    /// `AMPLITUDE_REGION` (`us` or `eu`), `AMPLITUDE_BASE_URL` and `AMPLITUDE_PROFILE_BASE_URL`
    /// (a proxy or the emulator).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ClientBuilder::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let read = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let secret_key = read("AMPLITUDE_SECRET_KEY").ok_or(ConfigError::MissingVariable {
            variable: "AMPLITUDE_SECRET_KEY",
            what: "the project's secret key",
        })?;
        let mut builder = Self::default().secret_key(secret_key);
        if let Some(api_key) = read("AMPLITUDE_API_KEY") {
            builder = builder.api_key(api_key);
        }
        if let Some(region) = read("AMPLITUDE_REGION") {
            let region = region
                .parse()
                .map_err(|error: UnknownRegion| ConfigError::BadValue {
                    setting: Cow::Borrowed("AMPLITUDE_REGION"),
                    value: region.clone(),
                    reason: error.to_string(),
                })?;
            builder = builder.region(region);
        }
        if let Some(url) = read("AMPLITUDE_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(url) = read("AMPLITUDE_PROFILE_BASE_URL") {
            builder = builder.profile_base_url(url);
        }
        Ok(builder)
    }

    /// The project's API key, needed by the Dashboard API.
    pub fn api_key(mut self, key: impl Into<Credential>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The project's secret key, needed by both APIs.
    pub fn secret_key(mut self, key: impl Into<Credential>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// The project's data region; US by default.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Sends Dashboard requests here instead of the region's host (a proxy, the emulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sends Profile requests here instead of Amplitude's host; this also allows profiles in
    /// the EU region, for an emulator or proxy that serves them.
    pub fn profile_base_url(mut self, url: impl Into<String>) -> Self {
        self.profile_base_url = Some(url.into());
        self
    }

    /// The transport that moves the bytes; the reqwest one by default.
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// A shared transport.
    pub fn shared_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry policy; [`ExponentialBackoff::default`] by default.
    pub fn retry_policy(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.retry = Arc::new(policy);
        self
    }

    /// The rate governor; one for Amplitude's documented limits by default. Give clients of
    /// one project the same governor (clones share it) so that they share the budget.
    pub fn governor(mut self, governor: Governor) -> Self {
        self.governor = Some(governor);
        self
    }

    /// No rate governor: every request goes straight out.
    pub fn without_governor(mut self) -> Self {
        self.governor = None;
        self
    }

    /// The longest a request may take from its first attempt, retries included; 120 s by
    /// default. Time spent waiting for the rate governor does not count.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest one attempt may take, response body included; 30 s by default. An attempt
    /// cut by it is retried within [`ClientBuilder::timeout`] when its method allows.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The longest a streamed response ([`Client::send_streaming`]) may go without a byte,
    /// waiting for its head or for the next chunk of its body; 60 s by default. A stalled
    /// download fails with a timeout rather than hanging.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The longest a streamed response may take from its first attempt to its last byte; 1 h
    /// by default.
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = timeout;
        self
    }

    /// The longest connecting may take, for the default transport; 10 s by default.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client, checking the credentials and URLs.
    pub fn build(self) -> Result<Client, Error> {
        let secret_key = self.secret_key.ok_or(ConfigError::NoSecretKey)?;
        let dashboard_base = match self.base_url {
            Some(url) => checked_base_url("base URL", &url)?,
            None => self.region.dashboard_base_url().to_owned(),
        };
        let profile_base = match self.profile_base_url {
            Some(url) => Some(checked_base_url("profile base URL", &url)?),
            None => self.region.profile_base_url().map(str::to_owned),
        };
        let transport = match self.transport {
            Some(transport) => transport,
            None => default_transport(self.connect_timeout)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                dashboard_authorization: self.api_key.map(|api_key| {
                    let pair = format!("{}:{}", api_key.expose(), secret_key.expose());
                    Credential::new(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ))
                }),
                profile_authorization: Credential::new(format!("Api-Key {}", secret_key.expose())),
                region: self.region,
                dashboard_base,
                profile_base,
                transport,
                retry: self.retry,
                governor: self.governor,
                timeout: self.timeout,
                attempt_timeout: self.attempt_timeout,
                read_timeout: self.read_timeout,
                download_timeout: self.download_timeout,
                user_agent: self.user_agent,
            }),
        })
    }
}

/// An `http` or `https` URL without query or fragment, without its trailing `/`.
fn checked_base_url(setting: &'static str, text: &str) -> Result<String, Error> {
    let bad = |reason: String| ConfigError::BadValue {
        setting: Cow::Borrowed(setting),
        value: text.to_owned(),
        reason,
    };
    let url = url::Url::parse(text).map_err(|error| bad(error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad("use an http or https URL without query or fragment".into()).into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::CredentialsInUrl {
            setting: Cow::Borrowed(setting),
        }
        .into());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

#[cfg(feature = "reqwest")]
fn default_transport(connect_timeout: Duration) -> Result<Arc<dyn Transport>, Error> {
    crate::ReqwestTransport::new(connect_timeout)
        .map(|transport| Arc::new(transport) as Arc<dyn Transport>)
}

#[cfg(not(feature = "reqwest"))]
fn default_transport(_connect_timeout: Duration) -> Result<Arc<dyn Transport>, Error> {
    Err(ConfigError::NoTransport.into())
}

/// Redirects followed for one attempt before its answer is taken as it is.
const MAX_REDIRECTS: u32 = 3;

/// Where a redirect answered to a request for `from` points, made absolute.
fn redirected(answer: &Answer, from: &str) -> Option<String> {
    let Answer::Whole(response) = answer else {
        return None;
    };
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.header("location")?;
    if location.contains("://") {
        return Some(location.to_owned());
    }
    let (origin, _) = crate::request::split_origin(from);
    location
        .starts_with('/')
        .then(|| format!("{origin}{location}"))
}
