//! The HTTP server: routes, authentication, limits, faults, and answers in Amplitude's forms.

use std::sync::{Arc, PoisonError, RwLock};

use amp_model::catalogue::{self, RateClass};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::endpoints;
use crate::faults::{Fault, Faults};
use crate::limits::Limiter;
use crate::project::Project;
use crate::routes::{self, Read};

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The project.
    pub project: RwLock<Project>,
    /// Amplitude's limits.
    pub limiter: Arc<Limiter>,
    /// Injected faults.
    pub faults: Faults,
}

impl AppState {
    /// Reads the project.
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Project> {
        self.project.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the project.
    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Project> {
        self.project.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every route the emulator answers, one per catalogue endpoint, and ingestion; anything else
/// is a 404 with an empty body.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for spec in catalogue::ENDPOINTS {
        let route = match spec.name {
            name if name == catalogue::GET_USER_PROFILE.name => get(endpoints::profile::handle),
            name if name == catalogue::GET_CHART_RESULTS.name => get(endpoints::chart::query),
            name if name == catalogue::GET_CHART_CSV.name => get(endpoints::chart::csv),
            _ => match routes::computed(spec.path) {
                Some(read) => get(dashboard_route(read)),
                None => continue,
            },
        };
        router = router.route(spec.path, route);
    }
    router
        .route("/2/httpapi", post(endpoints::ingestion::http_api))
        .route("/batch", post(endpoints::ingestion::http_api))
        .route("/identify", post(endpoints::ingestion::identify))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Amplitude's nested error envelope.
pub fn nested_error(status: StatusCode, kind: &str, message: &str, details: &str) -> Response {
    let body = json!({"error": {"http_code": status.as_u16(), "type": kind, "message": message, "metadata": {"details": details}}});
    json_response(status, &body)
}

/// The 401 of the Dashboard API.
pub fn unauthorized() -> Response {
    nested_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Invalid API key or secret key",
        "Use HTTP Basic authentication with the project's API key as the user name and its secret key as the password",
    )
}

/// A 400 for an invalid parameter.
pub fn invalid(error: &impl std::fmt::Display) -> Response {
    nested_error(
        StatusCode::BAD_REQUEST,
        "invalid",
        "Invalid request",
        &error.to_string(),
    )
}

/// Whether the request carries HTTP Basic credentials of the project.
pub(crate) fn basic_auth_ok(headers: &HeaderMap, project: &Project) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", project.config.api_key, project.config.secret_key);
    decoded == expected.as_bytes()
}

/// A handler's answer, still being computed.
type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// A Dashboard route: Basic auth, then the query read and validated as the SDK would, its
/// cost admitted by the limiter, faults, and the answer computed from the events.
fn dashboard_route(
    read: Read,
) -> impl Fn(State<Arc<AppState>>, HeaderMap, Uri) -> Pending + Clone + Send + Sync + 'static {
    move |State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri| {
        Box::pin(async move {
            if !basic_auth_ok(&headers, &state.read()) {
                return unauthorized();
            }
            let request = match read(uri.path(), uri.query()) {
                Ok(request) => request,
                Err(refusal) => return invalid(&refusal),
            };
            let _permit = match state.limiter.admit(request.class, request.cost) {
                Ok(permit) => permit,
                Err(refusal) => return rate_limited(request.class, &refusal.0),
            };
            let compute = request.compute;
            answer(&state, || compute(&state.read())).await
        })
    }
}

/// A 429 in the form of the endpoint's API.
pub fn rate_limited(class: RateClass, message: &str) -> Response {
    if class == RateClass::Profile {
        json_response(StatusCode::TOO_MANY_REQUESTS, &json!({"error": message}))
    } else {
        nested_error(
            StatusCode::TOO_MANY_REQUESTS,
            "unspecified",
            "Unspecified Error",
            message,
        )
    }
}

/// Applies latency and faults, then answers with `body`.
pub async fn answer(state: &AppState, body: impl FnOnce() -> Value) -> Response {
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match state.faults.draw() {
        Some(Fault::Status(429)) => nested_error(
            StatusCode::TOO_MANY_REQUESTS,
            "unspecified",
            "Unspecified Error",
            "Too Many Requests: injected fault",
        ),
        Some(Fault::Status(code)) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Fault::Truncate) => {
            let text = body().to_string();
            let cut = text.len() / 2;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                text[..cut].to_owned(),
            )
                .into_response()
        }
        Some(Fault::Reset) => {
            let text = body().to_string();
            let half = text.as_bytes()[..text.len() / 2].to_vec();
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ];
            let body = Body::from_stream(futures_util::stream::iter(chunks));
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, text.len())
                .body(body)
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        None => json_response(StatusCode::OK, &body()),
    }
}
