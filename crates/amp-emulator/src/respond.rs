//! Answers in Amplitude's forms: JSON bodies, its error envelopes, Basic authentication, and
//! the injected faults every answer passes through.

use amp_model::catalogue::RateClass;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use futures_util::StreamExt as _;

use crate::faults::Fault;
use crate::journal::Record;
use crate::managed::Change;
use crate::project::Project;
use crate::state::AppState;

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

/// The 404 of an id the project does not have.
pub fn not_found(what: &str, id: &str) -> Response {
    nested_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        &format!("no {what} `{id}` in this project"),
    )
}

/// The 401 of the Dashboard API.
fn unauthorized() -> Response {
    nested_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Invalid API key or secret key",
        "Use HTTP Basic authentication with the project's API key as the user name and its secret key as the password",
    )
}

/// A 403 with the text Amplitude sends for bad credentials.
fn forbidden(text: &'static str) -> Response {
    (StatusCode::FORBIDDEN, text).into_response()
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

/// The refusal of a request whose HTTP Basic credentials are not the project's, as Amplitude
/// answers it: 403 "Invalid API Key" for a key it does not know (the usual sign of the wrong
/// region), 403 "Invalid API/Secret Key combination" for a wrong secret, 401 without Basic
/// credentials. `None` for the project's own.
pub(crate) fn refused_credentials(headers: &HeaderMap, project: &Project) -> Option<Response> {
    let decoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
        });
    let text = decoded.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let Some((key, secret)) = text.as_deref().and_then(|text| text.split_once(':')) else {
        return Some(unauthorized());
    };
    if key != project.config.api_key {
        Some(forbidden("Invalid API Key"))
    } else if secret != project.config.secret_key {
        Some(forbidden("Invalid API/Secret Key combination"))
    } else {
        None
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

/// How long a reset fault waits, after the start of the body went out, before cutting.
const RESET_AFTER: std::time::Duration = std::time::Duration::from_millis(50);

/// Applies latency and faults, then answers with `body`.
pub async fn answer(state: &AppState, body: impl FnOnce() -> Value) -> Response {
    answer_bytes(state, "application/json", || {
        body().to_string().into_bytes()
    })
    .await
}

/// Applies latency and faults, then answers with `body`, of type `content_type`.
pub async fn answer_bytes(
    state: &AppState,
    content_type: &'static str,
    body: impl FnOnce() -> Vec<u8>,
) -> Response {
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
        // The body stops at a byte, wherever it falls (inside a character too), and the
        // connection ends cleanly: a client sees a complete answer that does not parse.
        Some(Fault::Truncate) => {
            let mut bytes = body();
            bytes.truncate(bytes.len() / 2);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type)],
                bytes,
            )
                .into_response()
        }
        // The status line, the headers (with the whole body's length) and half of the body go
        // out; then, once they have been flushed, the connection is cut.
        Some(Fault::Reset) => {
            let mut bytes = body();
            let length = bytes.len();
            bytes.truncate(length / 2);
            let half = futures_util::stream::once(async move { Ok(bytes) });
            let reset = futures_util::stream::once(async {
                tokio::time::sleep(RESET_AFTER).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CONTENT_LENGTH, length)
                .body(Body::from_stream(half.chain(reset)))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        None => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            body(),
        )
            .into_response(),
    }
}

/// Makes a project API write durable (`--state`) and applies it: its changes are journalled
/// before any is applied, so what is answered is what a restart replays. Answers the ids the
/// changes created or touched, or the 503 of a journal that cannot be written (nothing
/// applied).
pub fn commit(
    state: &AppState,
    project: &mut Project,
    changes: &[Change],
) -> Result<Vec<String>, Box<Response>> {
    if let Some(journal) = &state.journal {
        let record = Record {
            now_ms: project.now_ms(),
            events: Vec::new(),
            changes: changes.to_vec(),
        };
        journal.append(&record).map_err(|error| {
            Box::new(nested_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The change was not stored",
                &error.to_string(),
            ))
        })?;
    }
    changes
        .iter()
        .map(|change| {
            project.apply(change).map_err(|error| {
                Box::new(nested_error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "Not found",
                    &error,
                ))
            })
        })
        .collect()
}
