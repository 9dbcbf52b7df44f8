//! Reading a request: the endpoint's generated strict decoder, then the validation the SDK runs
//! before sending, so no parameter name is read anywhere else; and, for the project APIs, the
//! credentials and limits checked first.

use amp_model::{ParamError, Query, ValidationError};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use crate::respond::{invalid, rate_limited, refused_credentials};
use crate::state::AppState;

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

/// Decodes and validates a query of type `Q` from its path and raw query string.
pub fn read<Q: Query>(path: &str, query: Option<&str>) -> Result<Q, Refusal> {
    read_with_body(path, query, &[])
}

/// Decodes and validates a write of type `Q` from its path, raw query string and body.
pub fn read_with_body<Q: Query>(
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Q, Refusal> {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    // The Taxonomy API's docs send a read's parameters in a GET's form body (`curl
    // --data-urlencode`), and say "query or body": a GET's body counts as its query string.
    if Q::SPEC.api == "taxonomy" && Q::SPEC.method == amp_model::catalogue::Method::Get {
        pairs.extend(url::form_urlencoded::parse(body).into_owned());
    }
    let query = Q::from_wire(path, &pairs, body)?;
    query.validate()?;
    Ok(query)
}

/// A request's query (read from its path, query string and `body`), once its credentials
/// pass, it reads strictly and its endpoint's rate class admits it; or the answer that
/// refuses it.
pub fn accept<Q: amp_model::Query>(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
) -> Result<(Q, crate::limits::Permit), Box<Response>> {
    let class = Q::SPEC.rate_class;
    if let Some(refused) = refused_credentials(headers, &state.read()) {
        return Err(Box::new(refused));
    }
    let query = read_with_body::<Q>(uri.path(), uri.query(), body)
        .map_err(|refusal| Box::new(invalid(&refusal)))?;
    let permit = state
        .limiter
        .admit(class, query.cost().total())
        .map_err(|refusal| Box::new(rate_limited(class, &refusal.0)))?;
    Ok((query, permit))
}

/// A handler's answer, still being computed.
pub type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// The handler of a project API endpoint: the request accepted as [`accept`] does, then
/// answered by `answer` under the project's write lock, so that what a write checks still
/// holds when it is applied. `answer` takes the query by value, whether or not it keeps it:
/// one signature for every endpoint.
pub fn handler<Q: amp_model::Query + Send + 'static>(
    answer: fn(Q, &AppState, &mut crate::project::Project) -> Response,
) -> impl Fn(State<Arc<AppState>>, HeaderMap, Uri, Bytes) -> Pending + Clone + Send + Sync + 'static
{
    move |State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri, body: Bytes| {
        Box::pin(async move {
            let (query, _permit) = match accept::<Q>(&state, &headers, &uri, &body) {
                Ok(accepted) => accepted,
                Err(refused) => return *refused,
            };
            let mut project = state.write();
            answer(query, &state, &mut project)
        })
    }
}
