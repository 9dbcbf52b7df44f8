use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::request::{HttpRequest, HttpResponse, StreamingResponse};

/// Sends one HTTP request. The client adds authentication, timeouts, retries and tracing around
/// it, so an implementation only moves bytes; wrap one transport in another to log, proxy or
/// record.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns whatever status came back; only a failure to get a response
    /// is an error.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Sends `request` and returns as soon as the head is in, the body still arriving. By
    /// default the body is [`Transport::send`]'s, whole, as one chunk, so a transport that only
    /// returns whole bodies serves streamed endpoints unchanged.
    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        self.send(request).await.map(StreamingResponse::from)
    }
}

/// A failure to get any response. It keeps the transport's own error as its source (shared, so
/// the error stays `Clone`), for a caller that walks the chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What went wrong.
    pub kind: TransportErrorKind,
    /// Details, without credentials.
    pub message: String,
    /// The underlying error, if the transport kept it.
    #[source]
    pub source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl PartialEq for TransportError {
    /// Errors are equal by kind and message; their sources are not compared.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for TransportError {}

impl TransportError {
    fn of(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// No connection could be made: the request was not sent.
    pub fn connect(message: impl Into<String>) -> Self {
        Self::of(TransportErrorKind::Connect, message)
    }

    /// No answer in time: the request may have been sent.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::of(TransportErrorKind::Timeout, message)
    }

    /// Anything else: the request may have been sent.
    pub fn other(message: impl Into<String>) -> Self {
        Self::of(TransportErrorKind::Other, message)
    }

    /// The same error, caused by `source`.
    #[must_use]
    pub fn caused_by(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

/// The kinds of [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made; nothing was sent.
    Connect,
    /// No answer in time; the request may have been sent.
    Timeout,
    /// Anything else; the request may have been sent.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Other => "transport failed",
        })
    }
}

/// A transport made of a closure; see [`transport_fn`].
pub struct FnTransport<F>(F);

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("FnTransport")
    }
}

/// Makes a transport of an async closure, for tests and small adapters.
///
/// ```
/// use amp_transport::{HttpResponse, transport_fn};
///
/// let transport = transport_fn(|_request| async { Ok(HttpResponse::new(200, r#"{"data":[]}"#)) });
/// ```
pub fn transport_fn<F, Fut>(send: F) -> FnTransport<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    FnTransport(send)
}

#[async_trait]
impl<F, Fut> Transport for FnTransport<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (self.0)(request).await
    }
}
