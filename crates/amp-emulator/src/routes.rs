//! The endpoints the emulator computes, in one table keyed by the catalogue. Each entry reads a
//! request with the endpoint's generated strict decoder, checks it with the validation the SDK
//! runs before sending, and computes the answer; the HTTP routes and the saved-chart runner both
//! go through it, so no parameter name is read anywhere else.

use amp_model::catalogue::{self, EndpointSpec, RateClass};
use amp_model::dashboard::{
    CompositionQuery, FunnelQuery, ListEventsQuery, RealtimeQuery, RetentionQuery, RevenueLtvQuery,
    SegmentationQuery, SessionAverageQuery, SessionLengthQuery, SessionsPerUserQuery,
    UserActivityQuery, UserSearchQuery, UsersQuery,
};
use amp_model::{ParamError, Query, ValidationError};
use serde_json::Value;

use crate::endpoints;
use crate::project::Project;

/// Why a request is refused before anything is computed: Amplitude's 400.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A parameter could not be read.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The query breaks a rule the SDK checks too.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// A request read and checked: its cost and rate class, and the computation still to run.
pub struct Checked {
    /// Its cost against the project's limits.
    pub cost: u64,
    /// The budget it draws on.
    pub class: RateClass,
    /// Computes the answer over the project.
    pub compute: Box<dyn FnOnce(&Project) -> Value + Send>,
}

/// Reads a request to one computed endpoint from its path and raw query string.
pub type Read = fn(&str, Option<&str>) -> Result<Checked, Refusal>;

/// Decodes and validates a query of type `Q` from its path and raw query string.
pub fn read<Q: Query>(path: &str, query: Option<&str>) -> Result<Q, Refusal> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let query = Q::from_wire(path, &pairs)?;
    query.validate()?;
    Ok(query)
}

fn checked<Q: Query + Send + 'static>(
    path: &str,
    query: Option<&str>,
    compute: fn(&Project, &Q) -> Value,
) -> Result<Checked, Refusal> {
    let query = read::<Q>(path, query)?;
    Ok(Checked {
        cost: query.cost().total(),
        class: Q::SPEC.rate_class,
        compute: Box::new(move |project| compute(project, &query)),
    })
}

/// Every endpoint computed from the events, by its catalogue entry. The Profile API and saved
/// charts have routes of their own (other authentication; a stored request).
pub const COMPUTED: &[(&EndpointSpec, Read)] = &[
    (&catalogue::GET_USERS, |path, query| {
        checked::<UsersQuery>(path, query, endpoints::users::compute)
    }),
    (&catalogue::GET_SESSION_LENGTH, |path, query| {
        checked::<SessionLengthQuery>(path, query, endpoints::session_length::compute)
    }),
    (&catalogue::GET_AVERAGE_SESSION_LENGTH, |path, query| {
        checked::<SessionAverageQuery>(path, query, endpoints::session_average::compute)
    }),
    (&catalogue::GET_SESSIONS_PER_USER, |path, query| {
        checked::<SessionsPerUserQuery>(path, query, endpoints::sessions_per_user::compute)
    }),
    (&catalogue::GET_USER_COMPOSITION, |path, query| {
        checked::<CompositionQuery>(path, query, endpoints::composition::compute)
    }),
    (&catalogue::LIST_EVENTS, |path, query| {
        checked::<ListEventsQuery>(path, query, endpoints::events_list::compute)
    }),
    (&catalogue::GET_EVENT_SEGMENTATION, |path, query| {
        checked::<SegmentationQuery>(path, query, endpoints::segmentation::compute)
    }),
    (&catalogue::GET_FUNNEL, |path, query| {
        checked::<FunnelQuery>(path, query, endpoints::funnel::compute)
    }),
    (&catalogue::GET_RETENTION, |path, query| {
        checked::<RetentionQuery>(path, query, endpoints::retention::compute)
    }),
    (&catalogue::GET_USER_ACTIVITY, |path, query| {
        checked::<UserActivityQuery>(path, query, endpoints::user_activity::compute)
    }),
    (&catalogue::SEARCH_USERS, |path, query| {
        checked::<UserSearchQuery>(path, query, endpoints::user_search::compute)
    }),
    (&catalogue::GET_REALTIME_ACTIVE_USERS, |path, query| {
        checked::<RealtimeQuery>(path, query, endpoints::realtime::compute)
    }),
    (&catalogue::GET_REVENUE_LTV, |path, query| {
        checked::<RevenueLtvQuery>(path, query, endpoints::revenue_ltv::compute)
    }),
];

/// The reader of the computed endpoint at `path`, if there is one.
pub fn computed(path: &str) -> Option<Read> {
    COMPUTED
        .iter()
        .find(|(spec, _)| spec.path == path)
        .map(|(_, read)| *read)
}
