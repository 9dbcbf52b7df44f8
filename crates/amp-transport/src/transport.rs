use std::fmt;
use std::future::Future;

use async_trait::async_trait;

use crate::request::{HttpRequest, HttpResponse};

/// Sends one HTTP request. The client adds authentication, timeouts, retries and tracing around
/// it, so an implementation only moves bytes; wrap one transport in another to log, proxy or
/// record.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns whatever status came back; only a failure to get a response
    /// is an error.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// A failure to get any response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct TransportError {
    /// What went wrong.
    pub kind: TransportErrorKind,
    /// Details, without credentials.
    pub message: String,
}

impl TransportError {
    /// No connection could be made: the request was not sent.
    pub fn connect(message: impl Into<String>) -> Self {
        Self {
            kind: TransportErrorKind::Connect,
            message: message.into(),
        }
    }

    /// No answer in time: the request may have been sent.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self {
            kind: TransportErrorKind::Timeout,
            message: message.into(),
        }
    }

    /// Anything else: the request may have been sent.
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            kind: TransportErrorKind::Other,
            message: message.into(),
        }
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
