//! A response body read as it arrives, under the client's read and download timeouts.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::time::Instant;

use crate::error::Error;
use crate::governor::Permit;
use crate::request::{BodyStream, StreamingResponse};

/// A successful response whose body is still arriving; see [`crate::Client::send_streaming`].
/// It holds the request's share of the rate budget until its body ends or it is dropped.
pub struct Download {
    endpoint: Cow<'static, str>,
    status: u16,
    headers: Vec<(String, String)>,
    body: BodyStream,
    read_timeout: Duration,
    deadline: Instant,
    permit: Option<Permit>,
    received: u64,
}

impl Download {
    pub(crate) fn new(
        endpoint: Cow<'static, str>,
        response: StreamingResponse,
        permit: Option<Permit>,
        read_timeout: Duration,
        deadline: Instant,
    ) -> Self {
        Self {
            endpoint,
            status: response.status,
            headers: response.headers,
            body: response.body,
            read_timeout,
            deadline,
            permit,
            received: 0,
        }
    }

    /// The status code (2xx).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::request::header(&self.headers, name)
    }

    /// Body bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next chunk of the body, or `None` at its end.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when no byte came within the read timeout or the download went past
    /// its deadline; [`Error::Transport`] when the body broke off. Either way the download is
    /// over: ask again for the whole body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let now = Instant::now();
        let left = self.deadline.saturating_duration_since(now);
        let limit = self.read_timeout.min(left);
        let next = tokio::time::timeout(limit, self.body.next()).await;
        let outcome = match next {
            Err(_) => Err(Error::Timeout {
                endpoint: self.endpoint.clone(),
                after: limit,
            }),
            Ok(Some(Err(source))) => Err(Error::Transport {
                endpoint: self.endpoint.clone(),
                source,
            }),
            Ok(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                return Ok(Some(chunk));
            }
            Ok(None) => Ok(None),
        };
        // The body is over, one way or the other: its share of the budget goes back.
        self.permit = None;
        outcome
    }

    /// The rest of the body, whole.
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let mut chunks = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            chunks.push(chunk);
        }
        Ok(match chunks.len() {
            1 => chunks.pop().unwrap_or_default(),
            _ => chunks.concat().into(),
        })
    }
}

impl fmt::Debug for Download {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Download")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}
