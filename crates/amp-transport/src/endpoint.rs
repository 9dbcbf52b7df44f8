use std::borrow::Cow;

use amp_model::catalogue::{ApiFamily, RateClass};
use amp_model::{Cost, QueryPairs, ValidationError};
use serde::de::DeserializeOwned;

use crate::error::DecodeError;
use crate::request::{Body, HttpResponse, Method, Request};

/// One Amplitude endpoint as plain data. Open to implement: an endpoint the SDK lacks is a
/// struct in your crate with this trait, and it gets the client's authentication, retries,
/// timeouts and tracing.
///
/// ```
/// use std::borrow::Cow;
/// use amp_transport::{ApiFamily, Endpoint};
///
/// /// `GET /api/3/cohorts`: the Behavioral Cohorts list.
/// #[derive(Debug, Clone)]
/// struct ListCohorts;
///
/// #[derive(serde::Deserialize)]
/// struct Cohorts { cohorts: Vec<serde_json::Value> }
///
/// impl Endpoint for ListCohorts {
///     type Response = Cohorts;
///     fn name(&self) -> Cow<'static, str> { "ListCohorts".into() }
///     fn family(&self) -> ApiFamily { ApiFamily::Dashboard }
///     fn path(&self) -> Cow<'_, str> { "/api/3/cohorts".into() }
/// }
/// ```
pub trait Endpoint: Send + Sync {
    /// What the endpoint answers.
    type Response: DeserializeOwned + Send;

    /// A name for logs and errors (`GetEventSegmentation`).
    fn name(&self) -> Cow<'static, str>;

    /// Which API: decides the host and the authentication scheme.
    fn family(&self) -> ApiFamily;

    /// Which budget it draws on; by default the family's usual one.
    fn rate_class(&self) -> RateClass {
        match self.family() {
            ApiFamily::Profile => RateClass::Profile,
            _ => RateClass::Cost,
        }
    }

    /// The method; `GET` by default.
    fn method(&self) -> Method {
        Method::Get
    }

    /// Whether a request that may have reached Amplitude can be sent again with the same
    /// effect, so that the client may retry it after a timeout or a 5xx: a `GET`, or a write
    /// that sets a whole state. Amplitude has no idempotency key; other writes are never
    /// repeated behind the caller's back.
    fn repeatable(&self) -> bool {
        self.method().is_idempotent()
    }

    /// The path on the API host, starting with `/`.
    fn path(&self) -> Cow<'_, str>;

    /// Query parameters, decoded, in a stable order.
    fn query(&self) -> QueryPairs {
        QueryPairs::new()
    }

    /// The body, if any.
    fn body(&self) -> Option<Body> {
        None
    }

    /// The cost against the project's limits; 1 unless the endpoint says otherwise.
    fn cost(&self) -> Cost {
        Cost::MINIMUM
    }

    /// Refuses input Amplitude would reject; the client calls it before sending.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }

    /// Turns a 2xx response into the typed answer: JSON by default; override for CSV or an
    /// empty body.
    fn parse_response(&self, response: &HttpResponse) -> Result<Self::Response, DecodeError> {
        DecodeError::decode_json(&response.body)
    }

    /// The endpoint lowered to a plain request value: no host, no credentials, no I/O.
    fn to_request(&self) -> Request {
        Request {
            endpoint: self.name(),
            family: self.family(),
            rate_class: self.rate_class(),
            method: self.method(),
            repeatable: self.repeatable(),
            path: self.path().into_owned(),
            query: self.query(),
            body: self.body(),
            cost: self.cost(),
        }
    }
}
