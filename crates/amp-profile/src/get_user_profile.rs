use std::borrow::Cow;

use amp_model::profile::{UserProfileQuery, UserProfileResponse};
use amp_model::{Cost, ErrorBody, Query, QueryPairs, ValidationError, Wire};
use amp_transport::{ApiFamily, DecodeError, Endpoint, HttpResponse, RateClass};

/// `GET /v1/userprofile`: one user's recommendations, properties, computations, cohort ids and
/// propensities. Build the question as a [`UserProfileQuery`].
///
/// Cost: one request of the organisation's 600 per minute. US only: an EU client gets an error
/// before anything is sent. See Amplitude's "User Profile API" docs.
///
/// # Errors
///
/// Sending it fails on invalid input (named parameter), on an EU client, and as
/// [`crate::ProfileError`] classifies: wrong or missing secret key, unknown user, throttled,
/// Amplitude unavailable.
#[derive(Debug, Clone, PartialEq)]
pub struct GetUserProfile {
    query: UserProfileQuery,
}

impl GetUserProfile {
    /// The endpoint for `query`.
    pub fn new(query: UserProfileQuery) -> Self {
        Self { query }
    }

    /// The question asked.
    pub fn query(&self) -> &UserProfileQuery {
        &self.query
    }
}

impl From<UserProfileQuery> for GetUserProfile {
    fn from(query: UserProfileQuery) -> Self {
        Self::new(query)
    }
}

impl Endpoint for GetUserProfile {
    type Response = UserProfileResponse;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.query.spec().name)
    }

    fn family(&self) -> ApiFamily {
        self.query.spec().family
    }

    fn rate_class(&self) -> RateClass {
        self.query.spec().rate_class
    }

    fn path(&self) -> Cow<'_, str> {
        self.query.path()
    }

    fn query(&self) -> QueryPairs {
        self.query.query_pairs()
    }

    fn cost(&self) -> Cost {
        Query::cost(&self.query)
    }

    fn validate(&self) -> Result<(), ValidationError> {
        self.query.validate()
    }

    /// A 2xx body that is an error (`{"error": "User id and device id not seen before"}`) keeps
    /// Amplitude's message rather than a decoder complaint about a missing `userData`.
    fn parse_response(&self, response: &HttpResponse) -> Result<UserProfileResponse, DecodeError> {
        DecodeError::decode_json(&response.body).map_err(|error| {
            ErrorBody::from_json(&response.body).map_or(error, |body| {
                DecodeError::new(body.summary(), &response.body)
            })
        })
    }
}
