//! Behavioral Cohorts: `/api/3/cohorts` lists the configured cohorts with their size (users
//! who meet the cohort's segment now); a download runs as Amplitude's does:
//! `/api/5/cohorts/request/{id}` answers 202 with a request id, its status is 202
//! `JOB INPROGRESS` for `cohort_download.in_progress_secs` (0 by default) then 200
//! `JOB COMPLETED`, and its file is CSV (`user_id`, `amplitude_id`, then the properties asked
//! for: those of `propKeys`, or every custom property of the members with `props=1` alone),
//! members as they are when the file is fetched. With `cohort_download.redirect`, the file is
//! a 302 to `/presigned/...` on the other loopback name (`localhost` for `127.0.0.1` and back),
//! standing for the pre-signed storage URL on another host; like a pre-signed URL, it refuses a
//! request that carries an `Authorization` header.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amp_model::catalogue::RateClass;
use amp_model::cohorts::{
    AMPLITUDE_ID, CohortFileQuery, CohortJob, CohortRequestQuery, CohortStatusQuery, JobStatus,
    ListCohortsQuery, USER_ID,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use crate::config::CohortConfig;
use crate::predicate::segment_matches;
use crate::project::Project;
use crate::request;
use crate::respond::{
    answer, answer_bytes, invalid, json_response, nested_error, rate_limited, refused_credentials,
};
use crate::state::AppState;

/// A download job: its cohort, the properties it asked for (`None`: ids only; empty: all),
/// and when it was requested.
#[derive(Debug, Clone)]
pub struct Job {
    cohort_id: String,
    props: Option<Vec<String>>,
    requested: Instant,
}

/// The download jobs, by request id.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: std::collections::HashMap<String, Job>,
    next: u64,
}

fn unknown(what: &str, id: &str) -> Response {
    nested_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        &format!("no {what} `{id}` in this project"),
    )
}

/// A request's query, once its credentials pass, it reads strictly and `class` admits it; or
/// the answer that refuses it.
fn accept<Q: amp_model::Query>(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    class: RateClass,
) -> Result<(Q, crate::limits::Permit), Box<Response>> {
    if let Some(refused) = refused_credentials(headers, &state.read()) {
        return Err(Box::new(refused));
    }
    let query = request::read::<Q>(uri.path(), uri.query())
        .map_err(|refusal| Box::new(invalid(&refusal)))?;
    let permit = state
        .limiter
        .admit(class, 1)
        .map_err(|refusal| Box::new(rate_limited(class, &refusal.0)))?;
    Ok((query, permit))
}

/// The users who meet `cohort`'s segment now, in store order.
fn members(project: &Project, cohort: &CohortConfig) -> Vec<u32> {
    let now = project.now_ms();
    (0..)
        .zip(&project.store.users)
        .map(|(user, _)| user)
        .filter(|user| segment_matches(project, *user, &cohort.segment, now))
        .collect()
}

/// `GET /api/3/cohorts`. The emulator keeps no syncs, so `includeSyncInfo` changes nothing.
pub async fn list(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let _accepted = match accept::<ListCohortsQuery>(&state, &headers, &uri, RateClass::Cost) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    answer(&state, || {
        let project = state.read();
        let computed = project.now_ms() / 1000;
        let cohorts: Vec<Value> = project
            .config
            .cohorts
            .iter()
            .map(|cohort| {
                json!({
                    "id": cohort.id,
                    "name": cohort.name,
                    "appId": project.config.app_id,
                    "size": members(&project, cohort).len(),
                    "description": "",
                    "archived": false,
                    "published": true,
                    "hidden": false,
                    "finished": true,
                    "owners": [],
                    "viewers": [],
                    "type": "redshift",
                    "lastComputed": computed,
                    "definition": {"segment": cohort.segment},
                })
            })
            .collect();
        json!({ "cohorts": cohorts })
    })
    .await
}

/// `GET /api/5/cohorts/request/{cohort_id}`.
pub async fn request(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let (query, _permit) =
        match accept::<CohortRequestQuery>(&state, &headers, &uri, RateClass::CohortRequest) {
            Ok(accepted) => accepted,
            Err(refused) => return *refused,
        };
    if !state
        .read()
        .config
        .cohorts
        .iter()
        .any(|cohort| cohort.id == query.cohort_id)
    {
        return unknown("cohort", &query.cohort_id);
    }
    let props = (query.props == Some(1)).then(|| query.prop_keys.clone());
    let request_id = {
        let mut jobs = state
            .cohort_jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        jobs.next += 1;
        let request_id = format!("cohort-request-{}", jobs.next);
        jobs.jobs.insert(
            request_id.clone(),
            Job {
                cohort_id: query.cohort_id.clone(),
                props,
                requested: Instant::now(),
            },
        );
        request_id
    };
    let job = CohortJob::new(request_id, query.cohort_id);
    json_response(StatusCode::ACCEPTED, &json!(job))
}

/// The job of `request_id`, and whether it is done.
fn job(state: &AppState, request_id: &str) -> Option<(Job, bool)> {
    let jobs = state
        .cohort_jobs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let job = jobs.jobs.get(request_id)?.clone();
    let running = Duration::from_secs(state.read().config.cohort_download.in_progress_secs);
    let done = job.requested.elapsed() >= running;
    Some((job, done))
}

/// `GET /api/5/cohorts/request-status/{request_id}`.
pub async fn status(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let (query, _permit) =
        match accept::<CohortStatusQuery>(&state, &headers, &uri, RateClass::Cost) {
            Ok(accepted) => accepted,
            Err(refused) => return *refused,
        };
    let Some((job, done)) = self::job(&state, &query.request_id) else {
        return unknown("cohort request", &query.request_id);
    };
    let (code, status) = if done {
        (StatusCode::OK, JobStatus::Completed)
    } else {
        (StatusCode::ACCEPTED, JobStatus::InProgress)
    };
    let answered = CohortJob::new(query.request_id, job.cohort_id).at(status);
    json_response(code, &json!(answered))
}

/// `GET /api/5/cohorts/request/{request_id}/file`.
pub async fn file(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let (query, _permit) = match accept::<CohortFileQuery>(&state, &headers, &uri, RateClass::Cost)
    {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    let Some((job, done)) = self::job(&state, &query.request_id) else {
        return unknown("cohort request", &query.request_id);
    };
    if !done {
        return nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Job not completed",
            "poll the request's status until JOB COMPLETED",
        );
    }
    if state.read().config.cohort_download.redirect {
        let host = headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or("127.0.0.1");
        let other = match host.split_once(':') {
            Some(("localhost", port)) => format!("127.0.0.1:{port}"),
            Some((_, port)) => format!("localhost:{port}"),
            None => "localhost".to_owned(),
        };
        let location = format!(
            "http://{other}/presigned/cohorts/{}.csv?X-Amz-Expires=60",
            query.request_id
        );
        return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    }
    csv_answer(&state, &job).await
}

/// `GET /presigned/cohorts/{request_id}.csv`: the stand-in for the pre-signed storage URL.
pub async fn presigned(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return (
            StatusCode::BAD_REQUEST,
            "InvalidArgument: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        )
            .into_response();
    }
    let request_id = file.strip_suffix(".csv").unwrap_or(&file);
    match self::job(&state, request_id) {
        Some((job, true)) => csv_answer(&state, &job).await,
        _ => (StatusCode::FORBIDDEN, "AccessDenied: Request has expired").into_response(),
    }
}

async fn csv_answer(state: &AppState, job: &Job) -> Response {
    answer_bytes(state, "text/csv", || csv(&state.read(), job).into_bytes()).await
}

/// The file of `job`: a header, then one row per member.
fn csv(project: &Project, job: &Job) -> String {
    let store = &project.store;
    let Some(cohort) = project
        .config
        .cohorts
        .iter()
        .find(|cohort| cohort.id == job.cohort_id)
    else {
        return format!("{USER_ID},{AMPLITUDE_ID}\n");
    };
    let users = members(project, cohort);
    let properties = |user: u32| {
        store
            .custom(store.latest(&store.users[user as usize]))
            .to_map()
    };
    let columns: Vec<String> = match &job.props {
        None => Vec::new(),
        Some(keys) if !keys.is_empty() => keys.clone(),
        Some(_) => {
            let all: BTreeSet<String> = users
                .iter()
                .flat_map(|user| properties(*user).into_iter().map(|(key, _)| key))
                .collect();
            all.into_iter().collect()
        }
    };
    let mut text = [USER_ID, AMPLITUDE_ID]
        .into_iter()
        .chain(columns.iter().map(String::as_str))
        .map(quoted)
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for user in users {
        let record = &store.users[user as usize];
        let values = properties(user);
        let mut cells = vec![
            quoted(record.user_id.as_deref().unwrap_or("")),
            record.amplitude_id.to_string(),
        ];
        cells.extend(columns.iter().map(|column| {
            quoted(&match values.get(column) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            })
        }));
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

/// A CSV cell, quoted as Amplitude's files quote text.
fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}
