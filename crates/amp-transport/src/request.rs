//! The plain values a request passes through: [`Request`] (an endpoint lowered, no host or
//! credentials), [`HttpRequest`] (what a transport sends) and [`HttpResponse`].

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;

pub use amp_model::catalogue::Method;
use amp_model::catalogue::{ApiFamily, RateClass};
use amp_model::wire::WireBody;
use amp_model::{Cost, QueryPairs};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::transport::TransportError;

/// A request body with its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Body {
    /// `Content-Type`.
    pub content_type: Cow<'static, str>,
    /// The bytes.
    pub bytes: Bytes,
}

impl Body {
    /// A JSON body.
    pub fn json(value: &impl serde::Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            content_type: Cow::Borrowed("application/json"),
            bytes: serde_json::to_vec(value)?.into(),
        })
    }
}

impl From<WireBody> for Body {
    fn from(body: WireBody) -> Self {
        match body {
            WireBody::Json(value) => Self {
                content_type: Cow::Borrowed("application/json"),
                bytes: value.to_string().into_bytes().into(),
            },
            WireBody::Form(pairs) => Self {
                content_type: Cow::Borrowed("application/x-www-form-urlencoded"),
                bytes: url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.as_slice())
                    .finish()
                    .into_bytes()
                    .into(),
            },
        }
    }
}

/// An endpoint lowered to plain data: no host, no credentials, no I/O. Snapshot it to see exactly
/// what an endpoint asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Request {
    /// The endpoint's name, for logs and errors.
    pub endpoint: Cow<'static, str>,
    /// Which API: decides host and authentication.
    pub family: ApiFamily,
    /// Which budget it draws on.
    pub rate_class: RateClass,
    /// The method.
    pub method: Method,
    /// Whether it may be sent again after an attempt whose outcome is unknown
    /// ([`crate::Endpoint::repeatable`]).
    pub repeatable: bool,
    /// Path on the API host, starting with `/`.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: QueryPairs,
    /// The body, if any.
    pub body: Option<Body>,
    /// Its cost against the project's limits.
    pub cost: Cost,
}

/// Characters left as they are in a query value: RFC 3986 unreserved characters, plus `,` and
/// `:`, which Amplitude's own examples write unencoded (`rec_id=a,b`, `g=gp:plan`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',')
    .remove(b':');

impl Request {
    /// The path and percent-encoded query string, e.g. `/api/2/users?start=20240101&end=20240107`.
    /// A space is written `%20`, as Amplitude's docs ask.
    pub fn path_and_query(&self) -> String {
        if self.query.as_slice().is_empty() {
            return self.path.clone();
        }
        format!("{}?{}", self.path, encode_pairs(&self.query))
    }
}

/// `name=value&...`, percent-encoded.
fn encode_pairs(pairs: &QueryPairs) -> String {
    let mut out = String::new();
    for (index, (name, value)) in pairs.as_slice().iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(name, QUERY_VALUE));
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    out
}

/// What a [`crate::Transport`] sends: the full URL, every header (credentials included) and the
/// body. Its `Debug` output hides the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(Cow<'static, str>, String)>,
    /// The body.
    pub body: Option<Body>,
}

impl HttpRequest {
    /// A `GET` of `url`, without headers.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// The request with header `name` (lower case) added.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// A URL split into its origin (`https://host:port`) and the rest (`/path?query`, `/` when it
/// has no path).
pub(crate) fn split_origin(url: &str) -> (&str, &str) {
    let scheme = url.find("://").map_or(0, |at| at + 3);
    match url[scheme..].find('/') {
        Some(slash) => url.split_at(scheme + slash),
        None => (url, "/"),
    }
}

/// The value of header `name` (case-insensitive) among `headers`.
pub(crate) fn header<'a>(headers: &'a [(impl AsRef<str>, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Headers whose values are credentials.
fn is_secret_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization")
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_ref(),
                    if is_secret_header(name) {
                        "***"
                    } else {
                        value.as_str()
                    },
                )
            })
            .collect();
        formatter
            .debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with this status and body and no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .push((name.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A response body arriving in chunks; a transport error ends it.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

/// What came back, with the body still arriving: for exports and files too large to hold.
#[non_exhaustive]
pub struct StreamingResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, as it arrives.
    pub body: BodyStream,
}

impl StreamingResponse {
    /// A response whose body is a stream.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: BodyStream) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The body read to its end, as a whole response.
    pub async fn collect(self) -> Result<HttpResponse, TransportError> {
        let chunks: Vec<Bytes> = self.body.try_collect().await?;
        let body = match chunks.len() {
            1 => chunks.into_iter().next().unwrap_or_default(),
            _ => chunks.concat().into(),
        };
        Ok(HttpResponse {
            status: self.status,
            headers: self.headers,
            body,
        })
    }
}

/// A whole response, its body one chunk: what a transport that only returns whole bodies
/// streams.
impl From<HttpResponse> for StreamingResponse {
    fn from(response: HttpResponse) -> Self {
        Self {
            status: response.status,
            headers: response.headers,
            body: futures_util::stream::once(async move { Ok(response.body) }).boxed(),
        }
    }
}

impl fmt::Debug for StreamingResponse {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_as_amplitude_documents() {
        let mut query = QueryPairs::new();
        query.push("e", r#"{"event_type":"Play Song"}"#);
        query.push("rec_id", "a,b");
        query.push("g", "gp:plan");
        query.push("formula", "UNIQUES(A)/UNIQUES(B)+1&x=é");
        let request = Request {
            endpoint: "test".into(),
            family: ApiFamily::Dashboard,
            rate_class: RateClass::Cost,
            method: Method::Get,
            repeatable: true,
            path: "/api/2/x".into(),
            query,
            body: None,
            cost: Cost::MINIMUM,
        };
        assert_eq!(
            request.path_and_query(),
            "/api/2/x?e=%7B%22event_type%22:%22Play%20Song%22%7D&rec_id=a,b&g=gp:plan&formula=UNIQUES%28A%29%2FUNIQUES%28B%29%2B1%26x%3D%C3%A9"
        );
    }

    #[test]
    fn debug_hides_credentials() {
        let request = HttpRequest {
            method: Method::Get,
            url: "https://amplitude.com/api/2/users".into(),
            headers: vec![
                ("authorization".into(), "Basic c2VjcmV0".into()),
                ("user-agent".into(), "x".into()),
            ],
            body: None,
        };
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("c2VjcmV0") && shown.contains("***") && shown.contains("user-agent"),
            "{shown}"
        );
        assert_eq!(request.header("Authorization"), Some("Basic c2VjcmV0"));
    }
}
