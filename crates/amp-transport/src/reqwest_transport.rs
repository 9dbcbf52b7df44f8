use std::time::Duration;

use async_trait::async_trait;
use futures_util::{StreamExt as _, TryStreamExt as _};

use crate::request::{HttpRequest, HttpResponse, StreamingResponse};
use crate::transport::{Transport, TransportError};

/// The default transport: one pooled `reqwest::Client` with keep-alive and gzip, TLS by rustls
/// (feature `rustls`, the default) or the platform library (feature `native-tls`).
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport whose connections must open within `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Result<Self, crate::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .gzip(true)
            // The client follows redirects itself, without credentials.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| {
                crate::Error::from(crate::ConfigError::HttpClient {
                    message: error.to_string(),
                    source: std::sync::Arc::new(error),
                })
            })?;
        Ok(Self { client })
    }

    /// A transport over a `reqwest::Client` you configured (proxy, certificates, ...).
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl ReqwestTransport {
    /// Sends `request` and returns the response with its body unread.
    async fn head(&self, request: HttpRequest) -> Result<reqwest::Response, TransportError> {
        let method =
            reqwest::Method::from_bytes(request.method.as_str().as_bytes()).map_err(|_| {
                TransportError::connect(format!("cannot send method {}", request.method))
            })?;
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_ref(), value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body.bytes);
        }
        builder.send().await.map_err(map_error)
    }
}

/// The status and the headers whose values are text.
fn status_and_headers(response: &reqwest::Response) -> (u16, Vec<(String, String)>) {
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    (response.status().as_u16(), headers)
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let response = self.head(request).await?;
        let (status, headers) = status_and_headers(&response);
        let body = response.bytes().await.map_err(map_error)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        let response = self.head(request).await?;
        let (status, headers) = status_and_headers(&response);
        let body = response.bytes_stream().map_err(map_error).boxed();
        Ok(StreamingResponse::new(status, headers, body))
    }
}

/// reqwest's error text names the URL, which holds no credential; headers are never quoted.
/// The reqwest error stays the source, behind `dyn Error`, so no reqwest type is public.
fn map_error(error: reqwest::Error) -> TransportError {
    let message = error.to_string();
    let mapped = if error.is_connect() {
        TransportError::connect(message)
    } else if error.is_timeout() {
        TransportError::timeout(message)
    } else {
        TransportError::other(message)
    };
    mapped.caused_by(error)
}
