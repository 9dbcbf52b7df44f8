//! The endpoint catalogue: what each endpoint is called, where it lives, how it is limited and
//! which query parameters it takes. The data is generated from `spec/endpoints.toml`.

pub use crate::generated::catalogue::*;

/// Which of Amplitude's two query APIs an endpoint belongs to; it decides the host and the
/// authentication scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiFamily {
    /// The Dashboard REST API: `amplitude.com` or the EU host, HTTP Basic auth.
    Dashboard,
    /// The User Profile API: `profile-api.amplitude.com` only, `Api-Key` auth.
    Profile,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Method {
    /// `GET`, the method of every query endpoint.
    #[default]
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// Whether sending the request twice does what sending it once does, so that an attempt
    /// that may have reached Amplitude can be repeated: `GET` only. Amplitude has no
    /// idempotency key, and a repeated `POST` creates twice, a repeated `DELETE` answers 404.
    pub fn is_idempotent(self) -> bool {
        self == Self::Get
    }

    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// The query string.
    Query,
    /// The path (`{chart_id}`).
    Path,
    /// A key of a JSON object body.
    Json,
    /// A field of a form-encoded body.
    Form,
}

/// Which budget in the limits table an endpoint draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RateClass {
    /// Dashboard endpoints limited by query cost (and by the 5 concurrent requests).
    Cost,
    /// User activity and user search: 10 concurrent, 360 per hour.
    UserLookup,
    /// The User Profile API: 600 requests per minute per organisation.
    Profile,
    /// Requests for one cohort's members: 60 per 10 minutes and 4 at once per project.
    CohortRequest,
    /// The User Privacy API: 1 request per second and 8 at once per project.
    Privacy,
    /// The Taxonomy API: cost 4 in flight and 7,200 per hour (a read costs 1, a write 2).
    Taxonomy,
}

impl RateClass {
    /// Every class, in the order of [`RateClass::index`].
    pub const ALL: [Self; 6] = [
        Self::Cost,
        Self::UserLookup,
        Self::Profile,
        Self::CohortRequest,
        Self::Privacy,
        Self::Taxonomy,
    ];

    /// The class's place in [`RateClass::ALL`], for books kept per class.
    pub fn index(self) -> usize {
        match self {
            Self::Cost => 0,
            Self::UserLookup => 1,
            Self::Profile => 2,
            Self::CohortRequest => 3,
            Self::Privacy => 4,
            Self::Taxonomy => 5,
        }
    }
}

/// One endpoint of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointSpec {
    /// The SDK's name for the endpoint, after Amplitude's heading (`GetEventSegmentation`).
    pub name: &'static str,
    /// Path on the API host; `{chart_id}` marks a path parameter.
    pub path: &'static str,
    /// The API the endpoint belongs to: its host and authentication.
    pub family: ApiFamily,
    /// The API family it is documented in, and the endpoint crate (or module) that has it:
    /// `dashboard`, `profile`, `export`, `cohorts`, `annotations`, `releases`, `privacy`,
    /// `taxonomy`.
    pub api: &'static str,
    /// The budget it draws on.
    pub rate_class: RateClass,
    /// The method.
    pub method: Method,
    /// Whether a request that may have reached Amplitude can be sent again with the same
    /// effect: every `GET`, and the writes that set a whole state.
    pub repeatable: bool,
    /// Section of the project reference describing it.
    pub section: &'static str,
    /// One-line summary.
    pub doc: &'static str,
    /// Parameters in the order they are written.
    pub params: &'static [ParamSpec],
}

impl EndpointSpec {
    /// The parameter with wire name `wire`, if the endpoint has one.
    pub fn param(&self, wire: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|param| param.wire == wire)
    }
}

/// One query parameter of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParamSpec {
    /// Name on the wire (`e`, `start`, `timeHistogramConfigBinMin`).
    pub wire: &'static str,
    /// Value type: `date`, `hour` (`YYYYMMDDTHH`), `int`, `number`, `string`, `bool`, `property`, `event`, `segment`,
    /// `brackets`, or the name of a generated enum.
    pub kind: &'static str,
    /// Where it travels.
    pub location: Location,
    /// Whether Amplitude requires it.
    pub required: bool,
    /// Whether it holds several values (repeated, or comma-separated for profiles).
    pub list: bool,
    /// Amplitude's default when the parameter is absent, if documented.
    pub default: Option<&'static str>,
    /// What it means.
    pub doc: &'static str,
}
