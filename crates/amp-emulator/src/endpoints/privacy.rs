//! The User Privacy API: deletion jobs kept in the project's managed state. Users asked for on
//! a day (UTC, by the project's clock) join that day's job while it is `Staging`; it runs
//! `deletions.delay_secs` after it was created (0 by default: at once), and then its users'
//! events, ids and properties are gone from every endpoint, exports and profiles included.
//! Ids that name no user refuse the request unless `ignore_invalid_id` is true; then they are
//! listed in `invalid_ids`. A user can be taken out of a job until it runs.

#![allow(
    clippy::needless_pass_by_value,
    reason = "a handler takes its query by value whether or not it keeps it: one signature for all (`request::handler`)"
)]

use std::sync::Weak;
use std::time::Duration;

use amp_model::privacy::{
    CreateDeletionQuery, Day, DeletionJob, DeletionStatus, DeletionUser, ListDeletionsQuery,
    RemoveFromDeletionQuery,
};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::managed::Change;
use crate::project::Project;
use crate::respond::{commit, json_response, nested_error, not_found};
use crate::state::AppState;

/// The wall clock in Unix milliseconds: when a job is due does not follow a fixed `now`.
fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Today by the project's clock, UTC.
fn today(project: &Project) -> Day {
    let now = chrono::DateTime::from_timestamp_millis(project.now_ms()).unwrap_or_default();
    Day(now.date_naive())
}

/// `job` as answered: with the project's id.
fn answered(project: &Project, job: &DeletionJob) -> DeletionJob {
    let mut job = job.clone();
    job.app = u64::try_from(project.config.app_id).ok();
    job
}

/// `POST /api/2/deletions/users`.
pub fn create(query: CreateDeletionQuery, state: &AppState, project: &mut Project) -> Response {
    let day = today(project);
    let store = &project.store;
    let mut users = Vec::new();
    let mut invalid: Vec<Value> = Vec::new();
    for &id in &query.amplitude_ids {
        match store.by_amplitude_id(id) {
            Some(_) => users.push(DeletionUser::new(id, query.requester.clone(), day)),
            None => invalid.push(json!(id)),
        }
    }
    for id in &query.user_ids {
        match store.by_user_id(id) {
            Some(user) => {
                let amplitude_id = store.users[user as usize].amplitude_id;
                let mut user = DeletionUser::new(amplitude_id, query.requester.clone(), day);
                user.user_id = Some(id.clone());
                users.push(user);
            }
            None => invalid.push(json!(id)),
        }
    }
    if !invalid.is_empty() && query.ignore_invalid_id != Some(true) {
        return nested_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid ids",
            &format!(
                "{} of the ids name no user ({}); remove them, or send ignore_invalid_id=true to delete the others",
                invalid.len(),
                invalid
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let delay = i64::try_from(project.config.deletions.delay_secs).unwrap_or(i64::MAX);
    let mut changes = vec![Change::RequestDeletion {
        day,
        users,
        due_ms: wall_ms().saturating_add(delay.saturating_mul(1000)),
    }];
    if delay == 0 {
        changes.push(Change::CompleteDeletion { day, done: day });
    }
    if let Err(refused) = commit(state, project, &changes) {
        return *refused;
    }
    let job = project
        .managed
        .deletions
        .iter()
        .rev()
        .map(|(job, _)| job)
        .find(|job| job.day == day);
    match job {
        Some(job) => {
            let mut job = answered(project, job);
            job.invalid_ids = invalid;
            json_response(StatusCode::OK, &json!(job))
        }
        None => not_found("deletion job", &day.to_string()),
    }
}

/// `GET /api/2/deletions/users`: the jobs of the days asked for, oldest first.
pub fn list(query: ListDeletionsQuery, _: &AppState, project: &mut Project) -> Response {
    let jobs: Vec<DeletionJob> = project
        .managed
        .deletions
        .iter()
        .map(|(job, _)| job)
        .filter(|job| (query.start_day..=query.end_day).contains(&job.day))
        .map(|job| answered(project, job))
        .collect();
    json_response(StatusCode::OK, &json!(jobs))
}

/// `DELETE /api/2/deletions/users/{amplitude_id}/{day}`: answers the user taken out.
pub fn remove(query: RemoveFromDeletionQuery, state: &AppState, project: &mut Project) -> Response {
    let (id, day) = (query.amplitude_id, query.day);
    let user = project.managed.pending(day).and_then(|job| {
        job.amplitude_ids
            .iter()
            .find(|user| user.amplitude_id == id)
            .cloned()
    });
    let Some(user) = user else {
        let ran = project.managed.deletions.iter().any(|(job, _)| {
            job.day == day
                && job.status == DeletionStatus::Done
                && job.amplitude_ids.iter().any(|user| user.amplitude_id == id)
        });
        if ran {
            return nested_error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "Job already done",
                &format!("the deletion job of {day} has run; user {id} is deleted"),
            );
        }
        return not_found("user in a pending deletion job", &format!("{id} of {day}"));
    };
    let change = Change::RemoveFromDeletion {
        day,
        amplitude_id: id,
    };
    match commit(state, project, &[change]) {
        Ok(_) => json_response(StatusCode::OK, &json!(user)),
        Err(refused) => *refused,
    }
}

/// Runs the jobs that come due, until the emulator is gone.
pub async fn sweep(state: Weak<AppState>) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let Some(state) = state.upgrade() else { return };
        if state.read().managed.due(wall_ms()).is_empty() {
            continue;
        }
        // Read again under the write lock: what is journalled must apply.
        let mut project = state.write();
        let due = project.managed.due(wall_ms());
        let done = today(&project);
        let changes: Vec<Change> = due
            .into_iter()
            .map(|day| Change::CompleteDeletion { day, done })
            .collect();
        if let Err(refused) = commit(&state, &mut project, &changes) {
            tracing::warn!(status = %refused.status(), "a deletion job that came due could not be stored; trying again");
        }
    }
}
