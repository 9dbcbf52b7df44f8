#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod credentials;
mod download;
mod endpoint;
mod error;
pub mod governor;
mod region;
mod request;
#[cfg(feature = "reqwest")]
mod reqwest_transport;
pub mod retry;
#[cfg(feature = "test-util")]
pub mod test_util;
mod transport;

pub use amp_model;
pub use amp_model::catalogue::{ApiFamily, RateClass};
pub use client::{
    Client, ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_TIMEOUT, Progress,
};
pub use credentials::Credential;
pub use download::Download;
pub use endpoint::Endpoint;
pub use error::{ConfigError, DECODE_BODY_LIMIT, DecodeError, Error, ErrorKind, Unsupported};
pub use governor::{ClassStatus, Governor, Permit};
pub use region::{Region, UnknownRegion};
pub use request::{
    Body, BodyStream, HttpRequest, HttpResponse, Method, Request, StreamingResponse,
};
#[cfg(feature = "reqwest")]
pub use reqwest_transport::ReqwestTransport;
pub use retry::{ExponentialBackoff, NoRetry, RetryDecision, RetryPolicy};
pub use transport::{FnTransport, Transport, TransportError, TransportErrorKind, transport_fn};
