//! `POST /api/2/release`: a release recorded in the project's managed state; with
//! `chart_visibility` (true unless sent false) it also appears as an annotation labelled with
//! its version and title, from its start to its end, its description as details.

use amp_model::annotations::{Annotation, Timestamp};
use amp_model::releases::{CreateReleaseQuery, Release, ReleaseCreated};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::managed::Change;
use crate::project::Project;
use crate::respond::{commit, json_response};
use crate::state::AppState;

/// `POST /api/2/release`.
pub fn create(query: CreateReleaseQuery, state: &AppState, project: &mut Project) -> Response {
    let shown = query.chart_visibility != Some(false);
    let mut release = Release::new(
        project.managed.next_release_id(),
        query.version,
        query.release_start,
        query.title,
    );
    release.app_id = u64::try_from(project.config.app_id).ok();
    release.release_end = query.release_end;
    release.description = query.description;
    release.platforms = query.platforms;
    release.chart_visibility = Some(shown);
    let now = project.now_ms();
    release.other.insert("type".into(), json!("integration"));
    release.other.insert(
    "params".into(),
    json!({"created": now, "created_by": query.created_by, "last_modified": now, "last_modified_by": query.created_by}),
);
    let mut changes = Vec::new();
    if shown {
        let utc =
            |time: amp_model::releases::ReleaseTime| Timestamp(time.0.and_utc().fixed_offset());
        let label = format!("{} {}", release.version, release.title);
        let mut annotation =
            Annotation::new(project.managed.next_id(), label, utc(release.release_start));
        annotation.end = release.release_end.map(utc);
        annotation.details.clone_from(&release.description);
        changes.push(Change::PutAnnotation { annotation });
    }
    changes.insert(
        0,
        Change::AddRelease {
            release: release.clone(),
        },
    );
    match commit(state, project, &changes) {
        Ok(_) => json_response(StatusCode::OK, &json!(ReleaseCreated::new(release))),
        Err(refused) => *refused,
    }
}
