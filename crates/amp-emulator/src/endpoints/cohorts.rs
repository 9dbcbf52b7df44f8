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
//!
//! `/api/3/cohorts/upload` keeps a cohort of the listed users (ids of no user are skipped and
//! sampled, or refuse the upload with `skip_invalid_ids=false`; `skip_save` only checks), and
//! `/api/3/cohorts/membership` adds and removes members, change by change. Uploaded cohorts
//! are listed and downloaded like configured ones; configured ones take no writes (400).

#![allow(
    clippy::needless_pass_by_value,
    reason = "a handler takes its query by value whether or not it keeps it: one signature for all (`request::handler`)"
)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use amp_model::cohorts::{
    AMPLITUDE_ID, CohortFileQuery, CohortJob, CohortMembershipQuery, CohortRequestQuery,
    CohortStatusQuery, CohortUploadQuery, CohortUploaded, JobStatus, ListCohortsQuery,
    MembershipResult, MembershipsUpdated, USER_ID, UploadMetadata,
};
use amp_model::{CohortIdType, MembershipIdType, MembershipOperation};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use crate::config::CohortConfig;
use crate::managed::Change;
use crate::predicate::segment_matches;
use crate::project::Project;
use crate::request;
use crate::respond::{answer, answer_bytes, commit, json_response, nested_error, not_found};
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

/// The users who meet `cohort`'s segment now, in store order (deleted users are no one's).
fn members(project: &Project, cohort: &CohortConfig) -> Vec<u32> {
    let now = project.now_ms();
    (0..)
        .zip(&project.store.users)
        .filter(|(_, record)| !record.deleted)
        .map(|(user, _)| user)
        .filter(|user| segment_matches(project, *user, &cohort.segment, now))
        .collect()
}

/// The members of cohort `id`, configured or uploaded, in store order; `None` for no such
/// cohort.
fn members_of(project: &Project, id: &str) -> Option<Vec<u32>> {
    if let Some(cohort) = project.config.cohorts.iter().find(|cohort| cohort.id == id) {
        return Some(members(project, cohort));
    }
    let uploaded = project.managed.cohorts.get(id)?;
    let mut users: Vec<u32> = uploaded
        .members
        .iter()
        .filter_map(|member| project.store.by_amplitude_id(*member))
        .collect();
    users.sort_unstable();
    Some(users)
}

/// Whether cohort `id` exists, configured or uploaded.
fn exists(project: &Project, id: &str) -> bool {
    project.config.cohorts.iter().any(|cohort| cohort.id == id)
        || project.managed.cohorts.contains_key(id)
}

/// `GET /api/3/cohorts`. The emulator keeps no syncs, so `includeSyncInfo` changes nothing.
pub async fn list(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let _accepted = match request::accept::<ListCohortsQuery>(&state, &headers, &uri, &[]) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    answer(&state, || {
        let project = state.read();
        let computed = project.now_ms() / 1000;
        let listed = |id: &str, name: &str, size: usize, owners: Vec<&str>, published: bool| {
            json!({
                "id": id,
                "name": name,
                "appId": project.config.app_id,
                "size": size,
                "description": "",
                "archived": false,
                "published": published,
                "hidden": false,
                "finished": true,
                "owners": owners,
                "viewers": [],
                "lastComputed": computed,
            })
        };
        let mut cohorts: Vec<Value> = project
            .config
            .cohorts
            .iter()
            .map(|cohort| {
                let mut listed = listed(
                    &cohort.id,
                    &cohort.name,
                    members(&project, cohort).len(),
                    Vec::new(),
                    true,
                );
                listed["type"] = json!("redshift");
                listed["definition"] = json!({"segment": cohort.segment});
                listed
            })
            .collect();
        cohorts.extend(project.managed.cohorts.iter().map(|(id, cohort)| {
            let size = members_of(&project, id).map_or(0, |users| users.len());
            listed(
                id,
                &cohort.name,
                size,
                vec![cohort.owner.as_str()],
                cohort.published,
            )
        }));
        json!({ "cohorts": cohorts })
    })
    .await
}

/// `GET /api/5/cohorts/request/{cohort_id}`.
pub async fn request(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let (query, _permit) = match request::accept::<CohortRequestQuery>(&state, &headers, &uri, &[])
    {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    if !exists(&state.read(), &query.cohort_id) {
        return not_found("cohort", &query.cohort_id);
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
    let (query, _permit) = match request::accept::<CohortStatusQuery>(&state, &headers, &uri, &[]) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    let Some((job, done)) = self::job(&state, &query.request_id) else {
        return not_found("cohort request", &query.request_id);
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
    let (query, _permit) = match request::accept::<CohortFileQuery>(&state, &headers, &uri, &[]) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    let Some((job, done)) = self::job(&state, &query.request_id) else {
        return not_found("cohort request", &query.request_id);
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
    let users = members_of(project, &job.cohort_id).unwrap_or_default();
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

/// The most invalid ids an upload's answer samples.
const INVALID_SAMPLE: usize = 10;

/// The users `ids` name, as Amplitude IDs (`by_user_id`: user IDs, else Amplitude IDs), and
/// the ids that name no user.
fn resolve(project: &Project, by_user_id: bool, ids: &[String]) -> (Vec<u64>, Vec<String>) {
    let store = &project.store;
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    for id in ids {
        let user = if by_user_id {
            store.by_user_id(id)
        } else {
            id.parse().ok().and_then(|id| store.by_amplitude_id(id))
        };
        match user {
            Some(user) => found.push(store.users[user as usize].amplitude_id),
            None => invalid.push(id.clone()),
        }
    }
    (found, invalid)
}

/// Refuses a cohort of another count group than users: the emulator keeps user cohorts only.
fn of_users(count_group: Option<&str>) -> Result<(), Box<Response>> {
    match count_group.filter(|group| !group.eq_ignore_ascii_case("User")) {
        Some(group) => Err(Box::new(nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid count group",
            &format!("the emulator keeps cohorts of users only, not of `{group}`"),
        ))),
        None => Ok(()),
    }
}

/// Refuses a write to cohort `id` unless it is an uploaded cohort: a configured cohort is
/// computed from its definition.
fn writable(project: &Project, id: &str) -> Result<(), Box<Response>> {
    if project.config.cohorts.iter().any(|cohort| cohort.id == id) {
        return Err(Box::new(nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Cohort is not static",
            &format!(
                "cohort `{id}` is computed from its definition; only uploaded cohorts take uploads and membership changes"
            ),
        )));
    }
    if !project.managed.cohorts.contains_key(id) {
        return Err(Box::new(not_found("cohort", id)));
    }
    Ok(())
}

/// `POST /api/3/cohorts/upload`: a new cohort of the listed users, or an uploaded cohort's
/// members replaced (`existing_cohort_id`). Ids that name no user are left out and sampled
/// in the answer, or refuse the whole upload with `skip_invalid_ids=false`; `skip_save=true`
/// answers the same without saving.
pub fn upload(query: CohortUploadQuery, state: &AppState, project: &mut Project) -> Response {
    let app_id = project.config.app_id;
    if i64::try_from(query.app_id).ok() != Some(app_id) {
        return nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid app_id",
            &format!(
                "app_id {} is not this project's id ({app_id})",
                query.app_id
            ),
        );
    }
    let checked = of_users(query.count_group.as_deref()).and_then(|()| {
        query
            .existing_cohort_id
            .as_deref()
            .map_or(Ok(()), |existing| writable(project, existing))
    });
    if let Err(refused) = checked {
        return *refused;
    }
    let by_user_id = query.id_type == CohortIdType::UserId;
    let (members, invalid) = resolve(project, by_user_id, &query.ids);
    let sample: Vec<String> = invalid.iter().take(INVALID_SAMPLE).cloned().collect();
    if !invalid.is_empty() && query.skip_invalid_ids == Some(false) {
        let body = json!({"error": {"http_code": 400, "type": "invalid_ids", "message": format!("{} of the {} ids match no user; remove them or send skip_invalid_ids=true", invalid.len(), query.ids.len()), "metadata": {"invalid_ids_sample": sample}}});
        return json_response(StatusCode::BAD_REQUEST, &body);
    }
    let metadata = UploadMetadata::new(members.len() as u64, query.ids.len() as u64, sample);
    if query.skip_save == Some(true) {
        return json_response(StatusCode::OK, &json!(CohortUploaded::new(None, metadata)));
    }
    let change = Change::UploadCohort {
        replacing: query.existing_cohort_id.clone(),
        name: query.name.clone(),
        owner: query.owner.clone(),
        published: query.published,
        members,
    };
    match commit(state, project, &[change]) {
        Ok(ids) => json_response(
            StatusCode::OK,
            &json!(CohortUploaded::new(ids.into_iter().next(), metadata)),
        ),
        Err(refused) => *refused,
    }
}

/// `POST /api/3/cohorts/membership`: ADD and REMOVE changes to an uploaded cohort, applied in
/// order. Ids that name no user are skipped and listed per change, or refuse the whole request
/// with `skip_invalid_ids=false`.
pub fn membership(
    query: CohortMembershipQuery,
    state: &AppState,
    project: &mut Project,
) -> Response {
    let checked =
        of_users(query.count_group.as_deref()).and_then(|()| writable(project, &query.cohort_id));
    if let Err(refused) = checked {
        return *refused;
    }
    let mut changes = Vec::new();
    let mut results = Vec::new();
    for membership in &query.memberships {
        let by_user_id = membership.id_type == MembershipIdType::Name;
        let (members, skipped) = resolve(project, by_user_id, &membership.ids);
        changes.push(Change::Membership {
            cohort_id: query.cohort_id.clone(),
            add: membership.operation != MembershipOperation::Remove,
            members,
        });
        results.push(MembershipResult::of(membership, skipped));
    }
    let answer = MembershipsUpdated::new(query.cohort_id.clone(), results);
    let skipped: usize = answer
        .memberships_result
        .iter()
        .map(|result| result.skipped_ids.len())
        .sum();
    if skipped > 0 && query.skip_invalid_ids == Some(false) {
        let body = json!({"error": {"code": 400, "message": format!("{skipped} ids match no user; remove them or send skip_invalid_ids=true"), "metadata": answer}});
        return json_response(StatusCode::BAD_REQUEST, &body);
    }
    match commit(state, project, &changes) {
        Ok(_) => json_response(StatusCode::OK, &json!(answer)),
        Err(refused) => *refused,
    }
}
