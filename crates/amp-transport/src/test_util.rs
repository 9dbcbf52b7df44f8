//! Fake transports for tests (feature `test-util`).

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::request::{HttpRequest, HttpResponse, Method};
use crate::transport::{Transport, TransportError};

/// Answers expected requests, in order, with canned responses. A request that was not expected
/// panics the test, and so does dropping the transport with expectations left unused (or call
/// [`ReplayTransport::assert_done`] to check earlier).
#[derive(Debug, Default)]
pub struct ReplayTransport {
    expected: Mutex<VecDeque<Expected>>,
}

/// One expected request and its outcome.
type Expected = (Method, String, Result<HttpResponse, TransportError>);

impl ReplayTransport {
    /// No expectations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Expects `method` on `path_and_query` (the URL without scheme and host, percent-encoded)
    /// and answers `response`.
    #[must_use]
    pub fn expect(
        self,
        method: Method,
        path_and_query: impl Into<String>,
        response: HttpResponse,
    ) -> Self {
        self.push(method, path_and_query.into(), Ok(response))
    }

    /// Expects `method` on `path_and_query` and fails it with `error`.
    #[must_use]
    pub fn expect_error(
        self,
        method: Method,
        path_and_query: impl Into<String>,
        error: TransportError,
    ) -> Self {
        self.push(method, path_and_query.into(), Err(error))
    }

    fn push(
        self,
        method: Method,
        path: String,
        outcome: Result<HttpResponse, TransportError>,
    ) -> Self {
        self.expected
            .lock()
            .expect("replay lock")
            .push_back((method, path, outcome));
        self
    }

    /// Panics unless every expected request was made.
    pub fn assert_done(&self) {
        let left = self.expected.lock().expect("replay lock");
        assert!(
            left.is_empty(),
            "expected requests never made: {:?}",
            left.iter()
                .map(|(m, p, _)| format!("{m} {p}"))
                .collect::<Vec<_>>()
        );
    }
}

impl Drop for ReplayTransport {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_done();
        }
    }
}

#[async_trait]
impl Transport for ReplayTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let next = self.expected.lock().expect("replay lock").pop_front();
        let Some((method, path, outcome)) = next else {
            panic!("unexpected request: {} {}", request.method, request.url);
        };
        let (_, actual) = crate::request::split_origin(&request.url);
        assert!(
            method == request.method && path == actual,
            "expected {method} {path}\n     got {} {actual}",
            request.method
        );
        outcome
    }
}

/// Never answers: for timeout tests under paused tokio time.
#[derive(Debug, Default, Clone, Copy)]
pub struct NeverTransport;

#[async_trait]
impl Transport for NeverTransport {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        std::future::pending().await
    }
}

/// Passes requests to another transport and keeps a copy of each.
#[derive(Debug)]
pub struct RecordingTransport<T> {
    inner: T,
    seen: Mutex<Vec<HttpRequest>>,
}

impl<T: Transport> RecordingTransport<T> {
    /// Records what goes through `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The requests sent so far, in order.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.seen.lock().expect("recording lock").clone()
    }
}

#[async_trait]
impl<T: Transport> Transport for RecordingTransport<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.seen
            .lock()
            .expect("recording lock")
            .push(request.clone());
        self.inner.send(request).await
    }
}
