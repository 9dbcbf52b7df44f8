use std::borrow::Cow;
use std::time::Duration;

use amp_model::catalogue::{ApiFamily, RateClass};
use amp_model::{CredentialProblem, ErrorBody, ExceededLimit, ValidationError};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::region::Region;
use crate::request::HttpResponse;
use crate::transport::{TransportError, TransportErrorKind};

/// How much of a body an error quotes.
const EXCERPT_CHARS: usize = 240;

/// How much of an undecodable body a [`DecodeError`] keeps: its first 64 KiB.
pub const DECODE_BODY_LIMIT: usize = 64 * 1024;

/// Everything that can go wrong with a request. [`Error::kind`] says which stage failed and so
/// whether the request reached Amplitude.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is invalid; nothing was sent.
    #[error("request not sent: {0}")]
    Invalid(#[from] ValidationError),
    /// This client cannot send the request (an EU client asking for a profile, a Dashboard
    /// request without an API key, a cost the limits can never admit); nothing was sent.
    #[error("request not sent: {0}")]
    Unsupported(#[from] Unsupported),
    /// The client could not be built: a missing credential, a bad URL or region.
    #[error("client configuration: {0}")]
    Config(#[from] ConfigError),
    /// No response arrived.
    #[error("{endpoint}: {source}")]
    Transport {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// What the transport reported.
        #[source]
        source: TransportError,
    },
    /// No response within the client's timeout; the request may have run.
    #[error("{endpoint}: no answer from Amplitude within {after:?}")]
    Timeout {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// The timeout that expired.
        after: Duration,
    },
    /// Amplitude refused the request for a rate, concurrency or cost limit (HTTP 429).
    #[error("{endpoint}: rate limited by Amplitude (HTTP 429{}): {message}", limit_text(*limit, *cost))]
    RateLimited {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// Amplitude's message.
        message: String,
        /// Which limit Amplitude said was exceeded, if it said.
        limit: Option<ExceededLimit>,
        /// The query cost Amplitude named, if it did.
        cost: Option<u64>,
        /// How long Amplitude asked to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
        /// The raw body.
        body: Bytes,
    },
    /// Amplitude answered with an error status.
    #[error("{endpoint}: Amplitude answered HTTP {status}: {message}{hint}")]
    Api {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// The status code.
        status: u16,
        /// Amplitude's message, with its details.
        message: String,
        /// The parsed error body, when there was one.
        error: Option<Box<ErrorBody>>,
        /// A hint at the likely cause, or empty.
        hint: &'static str,
        /// The raw body.
        body: Bytes,
    },
    /// A 2xx response did not decode into the expected type.
    #[error("{endpoint}: {source}")]
    Decode {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// Where and why decoding failed (boxed: it carries the body).
        #[source]
        source: Box<DecodeError>,
    },
    /// A write that may have reached Amplitude failed without an answer saying it was refused
    /// (no answer, a timeout, a 5xx, or a 2xx that did not decode). It was not sent again:
    /// Amplitude has no idempotency key, so a repeat could apply it twice. Check its effect
    /// (list what it writes) before sending it again.
    #[error(
        "{endpoint}: {method} {}; it was not sent again, since a repeat could apply it twice: {source}",
        applied_text(source)
    )]
    Unconfirmed {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// The write's method.
        method: crate::Method,
        /// How the attempt failed.
        #[source]
        source: Box<Error>,
    },
}

/// What a failed write's `source` says about whether it took effect.
fn applied_text(source: &Error) -> &'static str {
    match source {
        Error::Decode { .. } => {
            "was applied (Amplitude answered 2xx) but its answer could not be read"
        }
        _ => "may have been applied",
    }
}

/// Why this client cannot send a request; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// The User Profile API exists only in the US region.
    #[error(
        "{endpoint}: the User Profile API has no endpoint in Amplitude's {} region; only US projects can use it",
        region.to_string().to_uppercase()
    )]
    ProfileOutsideUs {
        /// The endpoint.
        endpoint: Cow<'static, str>,
        /// The client's region.
        region: Region,
    },
    /// The Dashboard API authenticates with the API key and the secret key together.
    #[error(
        "{endpoint}: the Dashboard API needs the project's API key as well as its secret key (ClientBuilder::api_key or AMPLITUDE_API_KEY)"
    )]
    NoApiKey {
        /// The endpoint.
        endpoint: Cow<'static, str>,
    },
    /// A query costs more than the project's limits admit in one go, so it can never run.
    #[error(
        "the query costs {cost}, more than the project's limit of {ceiling} per query; shorten the range or drop conditions"
    )]
    CostAboveLimit {
        /// The query's cost.
        cost: u64,
        /// The most the limits admit.
        ceiling: u64,
    },
    /// The limits admit no request of this class at all (a ceiling below one request).
    #[error("the limits admit no {class:?} request (a ceiling of {ceiling})")]
    ClassClosed {
        /// The rate class.
        class: RateClass,
        /// Its ceiling.
        ceiling: u64,
    },
}

/// Why a client could not be built.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret key was given to the builder.
    #[error("no secret key; set ClientBuilder::secret_key or AMPLITUDE_SECRET_KEY")]
    NoSecretKey,
    /// An environment variable the client needs is unset or empty.
    #[error("{variable} is not set; set it to {what}")]
    MissingVariable {
        /// The variable.
        variable: &'static str,
        /// What it holds.
        what: &'static str,
    },
    /// A setting has a value the client cannot use.
    #[error("{setting} `{value}`: {reason}")]
    BadValue {
        /// The setting or variable (`AMPLITUDE_REGION`, `base URL`).
        setting: Cow<'static, str>,
        /// The value given.
        value: String,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// A base URL carries a user name or password.
    #[error("{setting}: put credentials in the client's keys, not in the URL")]
    CredentialsInUrl {
        /// The setting.
        setting: Cow<'static, str>,
    },
    /// Built without the `reqwest` feature and without a transport of one's own.
    #[error("no transport: enable the `reqwest` feature or set ClientBuilder::transport")]
    NoTransport,
    /// The HTTP client could not be built (TLS set-up, for one).
    #[error("cannot build the HTTP client: {message}")]
    HttpClient {
        /// What the HTTP library said.
        message: String,
        /// Its error.
        #[source]
        source: std::sync::Arc<dyn std::error::Error + Send + Sync>,
    },
}

/// Which stage an [`Error`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Never sent: invalid input, an unsupported request, or configuration.
    NotBuilt,
    /// No response arrived.
    Transport,
    /// No response in time.
    Timeout,
    /// HTTP 429.
    RateLimited,
    /// Any other error status.
    Api,
    /// A 2xx body that did not decode.
    Decode,
}

impl Error {
    /// Which stage failed.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) | Self::Unsupported(_) | Self::Config(_) => ErrorKind::NotBuilt,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::Api { .. } => ErrorKind::Api,
            Self::Decode { .. } => ErrorKind::Decode,
            Self::Unconfirmed { source, .. } => source.kind(),
        }
    }

    /// Whether a write that failed this way may still have taken effect: it may have reached
    /// Amplitude and no answer said it was refused. A 4xx (a 429 included) or a failure to
    /// connect never applied anything.
    pub fn may_have_applied(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.kind != TransportErrorKind::Connect,
            Self::Timeout { .. } | Self::Decode { .. } | Self::Unconfirmed { .. } => true,
            Self::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Whether trying again may succeed: 429, 500, 502, 503, 504, timeouts, failed or broken
    /// connections, and a body that broke off before its end. Other 4xx, invalid input,
    /// bodies that decode wrongly and unconfirmed writes never are. The client repeats a write
    /// that may have taken effect only when it is safe to repeat
    /// ([`crate::Endpoint::repeatable`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Api { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            Self::Decode { source, .. } => source.truncated,
            _ => false,
        }
    }

    /// Whether the request may have reached Amplitude (and so counted against its limits).
    pub fn maybe_sent(&self) -> bool {
        match self {
            Self::Invalid(_) | Self::Unsupported(_) | Self::Config(_) => false,
            Self::Transport { source, .. } => source.kind != TransportErrorKind::Connect,
            _ => true,
        }
    }

    /// The HTTP status, when Amplitude answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::RateLimited { .. } => Some(429),
            Self::Api { status, .. } => Some(*status),
            Self::Unconfirmed { source, .. } => source.status(),
            _ => None,
        }
    }

    /// How long Amplitude asked to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The error for a non-2xx `response` from `family`.
    pub fn from_response(
        endpoint: Cow<'static, str>,
        family: ApiFamily,
        response: &HttpResponse,
    ) -> Self {
        let parsed = ErrorBody::parse(&response.body);
        let message = parsed.as_ref().map_or_else(
            || format!("HTTP {} with an empty body", response.status),
            ErrorBody::summary,
        );
        // The Profile API's per-minute limit body is a rate limit whatever status carries it.
        if response.status == 429 || parsed.as_ref().is_some_and(ErrorBody::is_rate_limit) {
            return Self::RateLimited {
                endpoint,
                message,
                limit: parsed.as_ref().and_then(ErrorBody::exceeded_limit),
                cost: parsed.as_ref().and_then(ErrorBody::rate_limited_cost),
                retry_after: response.header("retry-after").and_then(parse_retry_after),
                body: response.body.clone(),
            };
        }
        let problem = parsed.as_ref().and_then(ErrorBody::credential_problem);
        let hint = match (family, response.status, problem) {
            (_, 401 | 403, Some(CredentialProblem::UnknownApiKey)) => {
                " (check the region: Amplitude does not know this API key where the request went; an EU-resident project needs the EU region)"
            }
            (_, 401 | 403, Some(CredentialProblem::WrongSecretKey)) => {
                " (check the secret key: Amplitude knows the API key, and the secret key does not go with it)"
            }
            (ApiFamily::Dashboard, 401 | 403, _) => {
                " (check the API key and secret key, and the region: an EU-resident project needs the EU region)"
            }
            (ApiFamily::Profile, 401 | 403, _) => {
                " (the User Profile API takes the project's secret key)"
            }
            _ => "",
        };
        Self::Api {
            endpoint,
            status: response.status,
            message,
            error: parsed.map(Box::new),
            hint,
            body: response.body.clone(),
        }
    }
}

/// ", over <limit> with a query of cost N", as much of it as Amplitude said.
fn limit_text(limit: Option<ExceededLimit>, cost: Option<u64>) -> String {
    let over = limit
        .map(|limit| format!(", over {limit}"))
        .unwrap_or_default();
    let cost = cost
        .map(|cost| format!(", with a query of cost {cost}"))
        .unwrap_or_default();
    over + &cost
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A body that did not decode: where, why, and how it began.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not decode the response at `{path}`: {message}; the body begins: {excerpt}")]
#[non_exhaustive]
pub struct DecodeError {
    /// The JSON path where decoding stopped (`data.series[0][3]`).
    pub path: String,
    /// Why.
    pub message: String,
    /// The start of the body, at most 240 characters.
    pub excerpt: String,
    /// The body itself, its first [`DECODE_BODY_LIMIT`] bytes, to look at or log.
    pub body: Bytes,
    /// Whether the body broke off (the JSON ended before it was complete) rather than being
    /// whole JSON of the wrong shape: a cut-short answer, worth asking again.
    pub truncated: bool,
}

impl DecodeError {
    /// Decodes JSON, keeping the path of the first failure. Tracking the path slows decoding,
    /// so it is done only to explain a failure, by decoding again.
    pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Self> {
        serde_json::from_slice(body).map_err(|error| {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(traced) => traced.path().to_string(),
                Ok(_) => ".".to_owned(),
            };
            Self {
                path,
                message: error.to_string(),
                excerpt: excerpt(body),
                body: kept(body),
                truncated: error.is_eof(),
            }
        })
    }

    /// An error for a body that is not what the endpoint expects.
    pub fn new(message: impl Into<String>, body: &[u8]) -> Self {
        Self {
            path: ".".into(),
            message: message.into(),
            excerpt: excerpt(body),
            body: kept(body),
            truncated: false,
        }
    }
}

fn kept(body: &[u8]) -> Bytes {
    Bytes::copy_from_slice(&body[..body.len().min(DECODE_BODY_LIMIT)])
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn decode_errors_keep_the_path_and_a_bounded_excerpt() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code, reason = "only the failure is looked at")]
        struct Shape {
            data: Vec<u32>,
        }
        let body = format!(r#"{{"data":[1,"two"],"pad":"{}"}}"#, "x".repeat(500));
        let error = DecodeError::decode_json::<Shape>(body.as_bytes()).unwrap_err();
        assert_eq!(error.path, "data[1]");
        assert_eq!(error.excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(error.to_string().contains("data[1]"));
        assert_eq!(error.body, body.as_bytes());
        let huge = format!(
            r#"{{"data":[1,"two"],"pad":"{}"}}"#,
            "x".repeat(2 * DECODE_BODY_LIMIT)
        );
        let error = DecodeError::decode_json::<Shape>(huge.as_bytes()).unwrap_err();
        assert_eq!(error.body, huge.as_bytes()[..DECODE_BODY_LIMIT]);
    }
}
